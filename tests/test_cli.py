"""End to end through the real CLI on the bundled sample, and the bad-input cases."""
import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from dubline.bridge.cli import main


@pytest.fixture(scope="module")
def dubbed(tmp_path_factory, samples):
    out = tmp_path_factory.mktemp("out")
    assert main(["-q", "srt", str(samples / "episode_en.srt"), "-o", str(out), "--voice", "en-joe",
                 "--sample-rate", "48000", "--fps", "24000/1001"]) == 0
    return out


def test_every_stem_is_exactly_its_cue_and_sits_in_the_track(dubbed):
    report = json.loads((dubbed / "report.json").read_text())
    assert report["sample_rate"] == 48000
    track, sr = sf.read(str(dubbed / "track.wav"), dtype="int16")
    assert sr == 48000
    assert len(track) == report["lines"][-1]["end_sample"]
    for line in report["lines"]:
        for key in ("id", "text", "start_sample", "end_sample", "file", "natural_seconds", "factor", "method",
                    "warnings", "voice"):
            assert key in line
        stem, stem_sr = sf.read(line["file"], dtype="int16")
        assert stem_sr == 48000
        assert len(stem) == line["end_sample"] - line["start_sample"]
        assert np.array_equal(track[line["start_sample"]:line["end_sample"]], stem)
        assert line["natural_seconds"] > 0 and line["voice"] == "en-joe"
    # snapped to the 23.976 grid: cue 1 at 1.000 s is frame 24 = 1.001 s = 48048 samples
    assert report["lines"][0]["start_sample"] == 48048
    # silence between lines
    assert not track[: report["lines"][0]["start_sample"]].any()


def test_speakers_kept_and_markup_gone(dubbed):
    report = json.loads((dubbed / "report.json").read_text())
    by_id = {ln["id"]: ln for ln in report["lines"]}
    assert by_id["2"]["speaker"] == "BEN" and by_id["2"]["text"] == "Did you bring the maps?"
    assert by_id["4"]["text"] == "Then we leave at dawn."


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "dubline.bridge.cli", *args], capture_output=True, text=True)


def test_missing_file(tmp_path):
    r = run_cli("srt", str(tmp_path / "nope.srt"), "-o", str(tmp_path / "out"))
    assert r.returncode == 1 and "nope.srt" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists()


def test_undecodable_file(tmp_path):
    bad = tmp_path / "bad.srt"
    bad.write_bytes(bytes(range(256)) * 8)
    r = run_cli("srt", str(bad), "-o", str(tmp_path / "out"))
    assert r.returncode == 1 and "bad.srt" in r.stderr and "Traceback" not in r.stderr


def test_unknown_voice_writes_nothing(tmp_path, samples):
    out = tmp_path / "out"
    r = run_cli("srt", str(samples / "episode_en.srt"), "-o", str(out), "--voice", "nobody")
    assert r.returncode == 2 and "unknown voice 'nobody'" in r.stderr and r.stderr.count("nobody") == 2
    assert not (out / "track.wav").exists() and not (out / "lines").exists()


def test_target_too_short_names_the_cue(tmp_path):
    srt = tmp_path / "short.srt"
    srt.write_text("1\n00:00:01,000 --> 00:00:02,000\nFine.\n\n2\n00:00:03,000 --> 00:00:03,080\nThis cannot fit.\n")
    r = run_cli("srt", str(srt), "-o", str(tmp_path / "out"))
    assert r.returncode == 1 and "short.srt:5 cue 2" in r.stderr and "too short" in r.stderr
    assert not (tmp_path / "out").exists()


def test_previous_outputs_survive_a_failed_run(tmp_path, samples):
    out = tmp_path / "out"
    assert main(["-q", "srt", str(samples / "episode_en.srt"), "-o", str(out)]) == 0
    before = (out / "track.wav").read_bytes()
    r = run_cli("srt", str(samples / "episode_en.srt"), "-o", str(out), "--voice", "nobody")
    assert r.returncode == 2 and (out / "track.wav").read_bytes() == before
    assert not list(out.rglob("*.part"))
