"""The timeline subcommands end to end with the real engine: otio, conform, srt --timeline."""
import json
from pathlib import Path

import opentimelineio as otio
import pytest
import soundfile as sf

from dubline.bridge.cli import main
from dubline.core.bwf import read_time_reference
from dubline.core.timebase import FrameRate

from tests.otio_fixtures import dialogue_timeline, write
from test_bwf import mediainfo_delay_samples

DF = FrameRate.parse("29.97 DF")
V1 = [("Hello there.", 24, 48), ("How are you?", 96, 126), ("Fine, thanks.", 160, 190)]


def _dub_track(path: Path):
    obj = otio.adapters.read_from_file(str(path))
    (track,) = [t for t in obj.tracks if t.kind == otio.schema.TrackKind.Audio]
    return [(c.name, c.range_in_parent().start_time.value, c.range_in_parent().duration.value)
            for c in track.find_clips()]


@pytest.fixture(scope="module")
def first_cut(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    v1 = write(dialogue_timeline(DF, cues=V1), root / "cut_v1.otio")
    out = root / "out"
    assert main(["-q", "otio", str(v1), "-o", str(out), "--cache-dir", str(root / "cache")]) == 0
    return root, v1, out


def test_otio_command_outputs(first_cut, capsys):
    root, v1, out = first_cut
    report = json.loads((out / "report.json").read_text())
    assert [l["id"] for l in report["lines"]] == ["L001", "L002", "L003"]
    origin = 172799827  # 01:00:00;00 at 29.97 DF, in samples at 48 kHz
    assert read_time_reference(out / "track.wav") == origin
    for line in report["lines"]:
        assert read_time_reference(line["file"]) == origin + line["start_sample"]
    first = report["lines"][0]
    assert first["start_sample"] == 38438  # frame 24 x 1601.6 samples, rounded once
    assert mediainfo_delay_samples(first["file"], 48000) == origin + 38438
    for name in ("dub.otio", "dub.xml"):
        assert _dub_track(out / name) == [("L001", 24, 24), ("L002", 96, 30), ("L003", 160, 30)]


def test_conform_command(first_cut, tmp_path, capsys):
    root, v1, out = first_cut
    v2 = write(dialogue_timeline(DF, cues=[("Hello over there.", 24, 54), ("How are you?", 110, 140)]),
               tmp_path / "cut_v2.otio")
    assert main(["-q", "conform", str(v1), str(v2), "-o", str(out), "--cache-dir", str(root / "cache"),
                 "--timeline", "otio"]) == 0
    printed = capsys.readouterr().out
    assert "changed:    1  L001" in printed and "moved:    1  L002" in printed
    assert "removed:    1  L003" in printed and "model calls" in printed
    conform = json.loads((out / "conform.json").read_text())
    assert conform["counts"] == {"added": 0, "removed": 1, "changed": 1, "retimed": 0, "moved": 1,
                                 "unchanged": 0}
    report = json.loads((out / "report.json").read_text())
    assert report["cache"]["fitted_hits"] == 1  # the moved line's audio was reused
    assert not (out / "lines" / "L003.wav").exists()
    assert _dub_track(out / "dub.otio") == [("L001", 24, 30), ("L002", 110, 30)]


def test_srt_with_timeline_and_start(tmp_path, samples):
    out = tmp_path / "out"
    assert main(["-q", "srt", str(samples / "episode_en.srt"), "-o", str(out), "--fps", "24000/1001",
                 "--start", "01:00:00:00", "--timeline", "otio,fcp7", "--cache-dir",
                 str(tmp_path / "cache")]) == 0
    report = json.loads((out / "report.json").read_text())
    assert read_time_reference(out / "track.wav") == 172972800
    clips = _dub_track(out / "dub.xml")
    assert clips == _dub_track(out / "dub.otio")
    # Cue 1 at 1.000 s snaps to frame 24 of 23.976: the clip and the stem agree.
    assert clips[0][1] == 24 and report["lines"][0]["start_sample"] == 48048
    back = otio.adapters.read_from_file(str(out / "dub.otio"))
    assert back.global_start_time.value == 86400
    assert len(clips) == len(report["lines"])
    assert sf.info(report["lines"][0]["file"]).samplerate == 48000


def test_srt_start_needs_fps(tmp_path, samples, capsys):
    assert main(["srt", str(samples / "episode_en.srt"), "-o", str(tmp_path / "o"),
                 "--start", "01:00:00:00"]) == 2
    assert "needs --fps" in capsys.readouterr().err
