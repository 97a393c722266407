"""Broadcast WAV: the bext TimeReference read back by an independent reader (mediainfo)."""
import json
import shutil
import subprocess
from fractions import Fraction

import numpy as np
import pytest
import soundfile as sf

from dubline.core.bwf import BextInfo, read_time_reference, stamp, write_bwf
from dubline.core.timebase import FrameRate
from dubline.core.timeline_info import TimelineInfo


def mediainfo_delay_samples(path, sample_rate: int) -> int:
    """TimeReference as mediainfo reports it (Delay in seconds from the bext chunk)."""
    exe = shutil.which("mediainfo")
    if exe is None:
        pytest.fail("mediainfo is required for this test: apt-get install -y mediainfo (.ci/run does)")
    out = json.loads(subprocess.run([exe, "--Output=JSON", str(path)], check=True,
                                    capture_output=True, text=True).stdout)
    (audio,) = [t for t in out["media"]["track"] if t["@type"] == "Audio"]
    assert audio["Delay_Source"] == "Container (bext)"
    return round(Fraction(audio["Delay"]) * sample_rate)


@pytest.mark.parametrize("label, tc, sr, expected", [
    ("24000/1001", "01:00:00:00", 48000, 172972800),
    ("29.97 DF", "01:00:00;00", 48000, 172799827),
    ("30000/1001", "01:00:00:00", 48000, 172972800),
    ("25", "10:00:00:00", 96000, 3456000000),  # past 2**32: the high word is used
    ("59.94 DF", "23:59:59;59", 44100, None),
])
def test_time_reference_read_by_mediainfo(tmp_path, label, tc, sr, expected):
    info = TimelineInfo.at("t", FrameRate.parse(label), tc, sr)
    if expected is not None:
        assert info.start_sample == expected
    ref = info.time_reference(1601)
    path = write_bwf(tmp_path / "a.wav", np.zeros(sr // 10, np.float32), sr, BextInfo(ref, "line 1"))
    assert read_time_reference(path) == ref
    assert mediainfo_delay_samples(path, sr) == ref
    # Still a plain WAV for everyone else.
    audio, got_sr = sf.read(str(path))
    assert got_sr == sr and len(audio) == sr // 10


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "FLOAT"])
def test_stamp_keeps_samples_bit_exact(tmp_path, subtype):
    rng = np.random.default_rng(1)
    audio = (rng.standard_normal(4801) * 0.2).astype(np.float32)
    path = tmp_path / "s.wav"
    sf.write(str(path), audio, 48000, subtype=subtype)
    before = sf.read(str(path), dtype="int32" if subtype != "FLOAT" else "float32")[0]
    stamp(path, BextInfo(123456789))
    after = sf.read(str(path), dtype="int32" if subtype != "FLOAT" else "float32")[0]
    assert np.array_equal(before, after)
    assert read_time_reference(path) == 123456789
    assert sf.info(str(path)).subtype == subtype


def test_write_bwf_24bit_values(tmp_path):
    audio = np.array([0.0, 0.5, -0.5, 1.0, -1.0], np.float32)
    path = write_bwf(tmp_path / "x.wav", audio, 48000, BextInfo(0), bit_depth=24)
    back, _ = sf.read(str(path), dtype="float32")
    assert np.allclose(back, audio, atol=2 / 2**23)
