"""Delivery files and muxing, checked with readers independent of the code that wrote them:
ffmpeg's own EBU R128 meter (ebur128 filter) for loudness, PyAV for containers and packets."""
import re
import subprocess

import av
import numpy as np
import pytest
import soundfile as sf

from dubline.core.bwf import BextInfo, read_time_reference, write_bwf
from dubline.core.deliver import DeliveryOptions, deliver
from dubline.core.errors import InputError, OutputError
from dubline.core.ffmpeg_run import ffmpeg_exe
from dubline.core.loudness import LoudnessOptions
from dubline.core.mux import MuxOptions, mux

SR = 48000


def speechlike(seconds: float = 6.0, level: float = 0.05) -> np.ndarray:
    """Voiced harmonics with syllable-rate modulation and pauses: a stand-in for dialogue."""
    t = np.arange(int(seconds * SR)) / SR
    f0 = 120 * (1 + 0.1 * np.sin(2 * np.pi * 0.7 * t))
    phase = 2 * np.pi * np.cumsum(f0) / SR
    voiced = sum(np.sin(k * phase) / k for k in range(1, 12))
    envelope = np.clip(np.sin(2 * np.pi * 4 * t), 0, None) * (np.sin(2 * np.pi * 0.3 * t) > -0.3)
    return (voiced * envelope * level).astype(np.float32)


def ebur128(path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) measured by ffmpeg's ebur128 filter."""
    err = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path), "-af",
                          "ebur128=peak=true", "-f", "null", "-"], capture_output=True, text=True).stderr
    summary = err[err.rindex("Summary:"):]
    lufs = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"True peak:\s+Peak:\s+(-?[\d.inf]+) dBFS", summary).group(1))
    return lufs, peak


@pytest.fixture()
def track(tmp_path):
    return write_bwf(tmp_path / "out" / "track.wav", speechlike(), SR, BextInfo(172800000))


@pytest.mark.parametrize("target", [-23.0, -16.0])
def test_loudness_and_formats(tmp_path, track, target):
    done = deliver(track, tmp_path / "out" / "delivery", DeliveryOptions(LoudnessOptions(target)))
    names = sorted(f.name for f in done.files)
    assert names == ["dialogue.flac", "dialogue.m4a", "dialogue.mp3", "dialogue.wav"]
    master = tmp_path / "out" / "delivery" / "dialogue.wav"
    lufs, peak = ebur128(master)
    assert lufs == pytest.approx(target, abs=0.3)
    assert peak <= -1.0
    assert read_time_reference(master) == 172800000  # same timecode as the track
    length = sf.info(str(track)).frames
    for f, codec in [("dialogue.flac", "flac"), ("dialogue.mp3", "mp3"), ("dialogue.m4a", "aac")]:
        with av.open(str(tmp_path / "out" / "delivery" / f)) as c:
            (s,) = c.streams.audio
            assert s.codec_context.name.startswith(codec)
            assert s.codec_context.sample_rate == SR
            seconds = float(c.duration) / av.time_base
            assert seconds == pytest.approx(length / SR, abs=0.06)
    with av.open(str(tmp_path / "out" / "delivery" / "dialogue.flac")) as c:
        decoded = np.concatenate([f.to_ndarray().ravel() for f in c.decode(audio=0)])
    assert len(decoded) == length  # lossless: every sample


def test_peak_ceiling_caps_gain(tmp_path):
    # Sparse loud clicks: reaching -16 LUFS would need a true peak far above -1 dBTP.
    audio = np.zeros(SR * 4, np.float32)
    audio[::SR // 2] = 0.5
    audio += speechlike(4, 0.002)
    track = write_bwf(tmp_path / "track.wav", audio, SR, BextInfo(0))
    done = deliver(track, tmp_path / "d", DeliveryOptions(LoudnessOptions(-16.0), formats=()))
    assert done.normalised.warnings and "capped" in done.normalised.warnings[0]
    assert ebur128(tmp_path / "d" / "dialogue.wav")[1] <= -1.0


def test_unknown_format(tmp_path, track):
    with pytest.raises(OutputError, match="unknown delivery format"):
        deliver(track, tmp_path / "d", DeliveryOptions(formats=("ogg",)))


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    path = tmp_path_factory.mktemp("v") / "picture.mp4"
    subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc=size=96x64:rate=25:duration=4", "-f", "lavfi", "-i",
                    "sine=frequency=440:sample_rate=48000:duration=4", "-c:v", "libx264", "-g", "12",
                    "-c:a", "aac", "-shortest", str(path)], check=True)
    return path


def _video_packets(path):
    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(video=0) if p.size]


@pytest.mark.parametrize("mode, audio_streams", [("add", 2), ("replace", 1), ("mix", 1)])
def test_mux_copies_picture(tmp_path, video, track, mode, audio_streams):
    out = mux(video, track.parent, tmp_path / "dubbed.mp4", MuxOptions(mode=mode))
    assert _video_packets(out) == _video_packets(video)  # the picture is not re-encoded
    with av.open(str(out)) as c:
        assert len(c.streams.audio) == audio_streams
        assert all(s.codec_context.name == "aac" for s in c.streams.audio)
        dub = c.streams.audio[-1]
        decoded = np.concatenate([f.to_ndarray()[0] for f in c.decode(dub)])
    # The dub is there: its stream carries sound, as long as the picture.
    assert float(np.sqrt(np.mean(decoded ** 2))) > 0.01
    assert len(decoded) == pytest.approx(4 * SR, abs=2048)


def test_mux_refuses_overwriting_input(video, track):
    with pytest.raises(OutputError, match="overwrite the input"):
        mux(video, track, video)


def test_mux_missing_dub(tmp_path, video):
    with pytest.raises(InputError, match="no such file"):
        mux(video, tmp_path / "nothing", tmp_path / "o.mp4")
    assert not list(tmp_path.glob("*.mp4"))
