"""``dubline srt --cluster`` with a cloned voice: the coordinator never loads IndexTTS2 weights.

The coordinator plans the job and checks every line with the checkpoint's tokenizer
(``TextChecker``); the Ray workers hold the model. What each process reads is observed
from outside the code under test: every Python process of the run (the ``dubline``
console script and each Ray worker) gets a ``sitecustomize`` that logs, through Python's
audit hooks, every open of a weight file under the checkpoint folder (torch.load of
gpt.pth, s2mel.pth, ...) with the pid that made it. The tiny random checkpoint of
tests/tiny_indextts2.py stands in for the real one.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("ray")
pytest.importorskip("torch")
if __import__("importlib").util.find_spec("indextts") is None:
    pytest.skip("indextts2-inference not installed (pip install -e '.[indextts-test]')", allow_module_level=True)

from cli_door import DUBLINE, one_error  # noqa: E402
from cloned_voice import FAST, SR, assert_sample_exact  # noqa: E402
from tiny_indextts2 import build, speechlike  # noqa: E402

WEIGHTS = (".pth", ".pt", ".bin", ".safetensors")
# Loaded by every Python process started with the hook folder on PYTHONPATH.
SITECUSTOMIZE = f"""\
import os
import sys

_log, _watch = os.environ.get("DUBLINE_TEST_WEIGHT_LOG"), os.environ.get("DUBLINE_TEST_WEIGHT_DIR")


def _opened(event, args):
    if event != "open" or not args or not isinstance(args[0], (str, bytes, os.PathLike)):
        return
    path = os.fsdecode(args[0])
    if path.startswith(_watch) and path.endswith({WEIGHTS!r}):
        with open(_log, "a") as f:  # (an open outside the watched folder: not logged again)
            f.write(f"{{os.getpid()}} {{path}}\\n")


if _log and _watch:
    sys.addaudithook(_opened)
"""


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    root = tmp_path_factory.mktemp("cluster-clone")
    ckpt = build(root / "IndexTTS-2")
    speechlike(root / "guanyu.wav", 110, 2.0, 0)
    voices = root / "voices.toml"
    voices.write_text('[speakers.GUANYU]\nreference = "guanyu.wav"\nemotion = "sad"\n', encoding="utf-8")
    hooks = root / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    return {"root": root, "ckpt": ckpt, "voices": voices, "hooks": hooks}


def run(kit, srt: Path, out: Path, *extra: str, threads: str | None = None, cache: Path | None = None
        ) -> tuple[subprocess.CompletedProcess, int, dict[int, set[str]]]:
    """``dubline srt`` as a user types it (fitted-audio cache in ``cache``, else none); its
    result, the coordinator's pid, and which pid opened which weight files."""
    log = out.parent / f"{out.name}-weights.log"
    env = {**os.environ, "RAY_DISABLE_USAGE_STATS": "1", "PYTHONPATH": str(kit["hooks"]),
           **({"OMP_NUM_THREADS": threads} if threads else {}),
           "DUBLINE_TEST_WEIGHT_LOG": str(log), "DUBLINE_TEST_WEIGHT_DIR": str(kit["ckpt"].resolve()),
           "DUBLINE_CACHE_DIR": str(out.parent / f"{out.name}-cache")}
    args = [str(DUBLINE), "-q", "srt", str(srt), "-o", str(out), "--voices", str(kit["voices"]),
            "--model-dir", str(kit["ckpt"]), *FAST, "--sample-rate", str(SR),
            *(["--cache-dir", str(cache)] if cache else ["--no-cache"]), *extra]
    proc = subprocess.Popen(args, cwd=out.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    stdout, stderr = proc.communicate(timeout=600)
    opened: dict[int, set[str]] = {}
    for entry in log.read_text().splitlines() if log.exists() else []:
        pid, path = entry.split(" ", 1)
        opened.setdefault(int(pid), set()).add(Path(path).name)
    return subprocess.CompletedProcess(args, proc.returncode, stdout, stderr), proc.pid, opened


def test_the_coordinator_checks_lines_without_the_weights_and_the_workers_dub(kit, tmp_path):
    srt = tmp_path / "scene.srt"
    srt.write_text("1\n00:00:01,000 --> 00:00:01,600\nGUANYU: hello world\n\n"
                   "2\n00:00:02,000 --> 00:00:02,500\nGUANYU: we will meet again\n", encoding="utf-8")
    # Ray runs a one-CPU worker's torch on one thread; on the CPU the sums of several threads
    # differ in the last bit, so the local run to match is a one-thread run too.
    local, _, loaded_here = run(kit, srt, tmp_path / "local", threads="1", cache=tmp_path / "fitted")
    assert local.returncode == 0, local.stderr
    assert set(loaded_here) == {next(iter(loaded_here))} and "gpt.pth" in next(iter(loaded_here.values()))

    r, coordinator, opened = run(kit, srt, tmp_path / "cluster", "--cluster", "local:1")
    assert r.returncode == 0, r.stderr
    assert coordinator not in opened, opened[coordinator]  # no weight file, not even one
    workers = [pid for pid, names in opened.items() if {"gpt.pth", "s2mel.pth"} <= names]
    assert len(workers) == 1, opened  # the worker loaded the model (so the hook saw its process)
    report = assert_sample_exact(tmp_path / "cluster")
    assert [ln["voice"] for ln in report["lines"]] == ["GUANYU@voices"] * 2
    for ours, theirs in zip(report["lines"], assert_sample_exact(tmp_path / "local")["lines"]):
        assert np.array_equal(sf.read(ours["file"], dtype="int16")[0], sf.read(theirs["file"], dtype="int16")[0])

    # The coordinator's cache keys are a local run's (the checker has the engine's model
    # version): on the local run's cache, every line is reused and no process loads the model.
    r, _, opened = run(kit, srt, tmp_path / "again", "--cluster", "local:1", cache=tmp_path / "fitted")
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "again" / "report.json").read_text())["cache"]["fitted_hits"] == 2
    assert opened == {}


def test_an_unspeakable_line_is_refused_before_any_line_is_sent(kit, tmp_path):
    srt = tmp_path / "scene.srt"
    srt.write_text("1\n00:00:01,000 --> 00:00:01,600\nGUANYU: hello world\n\n"
                   "2\n00:00:02,000 --> 00:00:02,500\nGUANYU: 。！？\n", encoding="utf-8")
    r, coordinator, opened = run(kit, srt, tmp_path / "out", "--cluster", "local:1")
    assert r.returncode == 1
    assert one_error(r) == (f"dubline: error: {srt}:5 cue 2: IndexTTS2 finds nothing to say in '。！？': "
                            "it has no word or character its tokenizer can read")
    assert opened == {}  # no process loaded the model: no line reached a worker
    assert not (tmp_path / "out" / "track.wav").exists()
