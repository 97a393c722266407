"""`dubline otio` with every export format: checked before any audio, never failing after it."""
import json
from fractions import Fraction

import opentimelineio as otio
import soundfile as sf

from dubline.bridge.cli import main
from dubline.core.timebase import FrameRate, round_half_up

from tests.otio_fixtures import dialogue_timeline, write

CUES = [("Hello there.", 24, 60), ("How are you?", 96, 130)]


def test_a_format_that_cannot_be_written_stops_before_any_audio(tmp_path, monkeypatch, capsys):
    src = write(dialogue_timeline(FrameRate(25), cues=CUES), tmp_path / "cut.otio")
    real = otio.adapters.write_to_string

    def edl_fails(timeline, adapter_name=None, **kw):  # the adapter refusing, as adapters do
        if adapter_name == "cmx_3600":
            raise otio.exceptions.NotSupportedError("No more than 2 audio tracks are supported.")
        return real(timeline, adapter_name=adapter_name, **kw)

    monkeypatch.setattr(otio.adapters, "write_to_string", edl_fails)
    out = tmp_path / "out"
    rc = main(["-q", "otio", str(src), "-o", str(out), "--no-cache", "--timeline", "otio,fcp7,edl"])
    err = capsys.readouterr().err
    assert rc == 1
    assert "the edl adapter cannot write this timeline" in err and "leave edl out of --timeline" in err
    assert not out.exists() or not any(p.is_file() for p in out.rglob("*"))  # no audio was made


def test_every_format_written_and_placed_alike(tmp_path, capsys):
    src = write(dialogue_timeline(FrameRate.parse("29.97 DF"), cues=CUES), tmp_path / "cut.otio")
    out = tmp_path / "out"
    assert main(["-q", "otio", str(src), "-o", str(out), "--no-cache", "--timeline", "otio,fcp7,edl"]) == 0
    report = json.loads((out / "report.json").read_text())
    for line in report["lines"]:
        assert sf.info(line["file"]).frames == line["end_sample"] - line["start_sample"]
    # the EDL, read back by Dubline, places the dub where the cut put the dialogue
    capsys.readouterr()
    again = out / "again"
    assert main(["-q", "otio", str(out / "dub.edl"), "-o", str(again), "--no-cache", "--fps", "29.97 DF",
                 "--track", "A1", "--timeline", ""]) == 0
    printed = capsys.readouterr().out
    assert "starts 01:00:00;24" in printed  # the first line's record timecode: frame 24 after 01:00:00;00
    back = json.loads((again / "report.json").read_text())
    # same frames, now counted from the first line (samples rounded once from that origin)
    per_frame = Fraction(48000 * 1001, 30000)
    assert [(l["start_sample"], l["end_sample"]) for l in back["lines"]] == [
        (round_half_up((s - 24) * per_frame), round_half_up((e - 24) * per_frame)) for _, s, e in CUES]
