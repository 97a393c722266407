"""The one catalog builder and the options around it, through the CLI and the daemon."""
from __future__ import annotations

import ast
from pathlib import Path


from dubline.bridge.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
            names.update(f"{'.' * node.level}{node.module or ''}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_no_engine_imports_the_catalog():
    # The catalog loads engines; an engine that imported it back would tie every engine to all.
    offenders = {str(p.relative_to(ROOT)): sorted(n for n in _imports(p) if n.rstrip(".").endswith("catalog")
                                                   or ".catalog." in n or n.endswith(".catalog"))
                 for p in (ROOT / "core" / "engines").rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_srt_server_refuses_every_option_the_daemon_holds(tmp_path, capsys):
    srt = tmp_path / "a.srt"
    srt.write_text("1\n00:00:01,000 --> 00:00:02,000\nHello.\n", encoding="utf-8")
    (tmp_path / "ckpt").mkdir()
    # Port 9 on loopback: nothing listens; the refusal must come before any connection.
    code = main(["-q", "srt", str(srt), "-o", "out", "--server", "127.0.0.1:9", "--model-dir",
                 str(tmp_path / "ckpt"), "--device", "cpu", "--no-fp16", "--diffusion-steps", "4", "--s2-batch", "4"])
    err = capsys.readouterr().err
    assert code != 0
    for option in ("--model-dir", "--device", "--fp16/--no-fp16", "--diffusion-steps", "--s2-batch"):
        assert f"dubline: error: {option}: the daemon at 127.0.0.1:9 holds its own model" in err
    assert "UNAVAILABLE" not in err  # refused, not attempted


def test_cloned_voices_without_a_model_dir_name_the_missing_option(tmp_path, capsys):
    (tmp_path / "a.wav").write_bytes(b"")
    voices = tmp_path / "voices.toml"
    voices.write_text('[speakers.ANNA]\nreference = "a.wav"\n', encoding="utf-8")
    srt = tmp_path / "a.srt"
    srt.write_text("1\n00:00:01,000 --> 00:00:02,000\nANNA: Hello.\n", encoding="utf-8")
    code = main(["-q", "srt", str(srt), "-o", str(tmp_path / "out"), "--voices", str(voices)])
    err = capsys.readouterr().err
    assert code == 1 and "give --model-dir" in err and "ANNA@voices" in err
    from dubline.core.timebase import FrameRate
    from tests.otio_fixtures import dialogue_timeline, write

    cut = write(dialogue_timeline(FrameRate(25), cues=[("ANNA: Hello.", 25, 50)]), tmp_path / "cut.otio")
    for command in (["otio", str(cut)], ["conform", str(cut), str(cut)]):
        # otio and conform build the same catalog from the same options
        code = main(["-q", *command, "-o", str(tmp_path / "out"), "--voices", str(voices), "--device", "cpu",
                     "--fp16", "--beams", "1"])
        assert code == 1 and "give --model-dir" in capsys.readouterr().err, command


def test_serve_with_a_bad_model_dir_exits_with_one_clear_line(tmp_path, capsys):
    empty = tmp_path / "IndexTTS-2"
    empty.mkdir()
    code = main(["serve", "--port", "0", "--bridge-port", "-1", "--output-root", str(tmp_path / "out"),
                 "--state-dir", str(tmp_path / "state"), "--token-file", str(tmp_path / "token"),
                 "--model-dir", str(empty), "--device", "cpu"])
    errors = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("dubline: error:")]
    assert code == 1
    assert len(errors) == 1 and str(empty) in errors[0] and "config.yaml" in errors[0]
    code = main(["serve", "--port", "0", "--model-dir", str(tmp_path / "nowhere")])
    assert code == 1 and "--model-dir" in capsys.readouterr().err
