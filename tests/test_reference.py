"""Reference-clip quality check: the report a user sees on `dubline voices add`."""
import numpy as np
import soundfile as sf

from dubline.core.reference import MAX_SECONDS, check_reference, load_reference


def clip(path, seconds, sr=24000, noise=0.001, level=0.3, lead=0.5, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    voiced = (np.sin(2 * np.pi * 2.7 * t) > -0.3).astype(np.float32)
    speech = level * voiced * np.sin(2 * np.pi * 150 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 5 * t))
    pad = np.zeros(int(lead * sr))
    x = np.concatenate([pad, speech, pad])
    x = x + rng.normal(0, noise, x.size)
    sf.write(path, np.clip(x, -1, 1).astype(np.float32), sr)
    return path


def test_good_clip_passes(tmp_path):
    r = check_reference(clip(tmp_path / "good.wav", 7))
    assert r.ok and not r.warnings, r.summary()
    assert 6.5 < r.speech_seconds < 7.5 and r.seconds > r.speech_seconds  # silence trimmed
    assert r.snr_db > 30


def test_too_little_speech_is_an_error(tmp_path):
    r = check_reference(clip(tmp_path / "short.wav", 3))
    assert not r.ok and "at least 5 s" in r.errors[0]


def test_long_clip_is_capped_with_a_warning(tmp_path):
    path = clip(tmp_path / "long.wav", 20)
    r = check_reference(path)
    assert r.ok and r.used_seconds == MAX_SECONDS
    assert any("only the first 15 s" in w for w in r.warnings)
    ref = load_reference(path)
    assert len(ref.samples) == MAX_SECONDS * ref.sample_rate


def test_clipping_noise_and_low_rate(tmp_path):
    clipped = check_reference(clip(tmp_path / "hot.wav", 6, level=3.0))
    assert any("clipped" in w for w in clipped.warnings)
    noisy = check_reference(clip(tmp_path / "noisy.wav", 6, noise=0.08))
    assert any("SNR" in w for w in noisy.warnings)
    low = check_reference(clip(tmp_path / "phone.wav", 6, sr=8000))
    assert not low.ok and "8000 Hz" in low.errors[0]


def test_loading_decodes_no_more_than_its_bound(tmp_path):
    """A small compressed file of ten minutes costs the engine 30 s of decoding, not ten minutes."""
    import tracemalloc

    import pytest
    from dubline.core.errors import VoiceError
    from dubline.core.reference import DECODE_SECONDS, read_audio

    sr = 48000
    long = tmp_path / "long.flac"
    with sf.SoundFile(long, "w", sr, 1) as f:
        for _ in range(600):
            f.write(np.zeros(sr, dtype=np.float32))
    assert long.stat().st_size < 1024 * 1024
    data, rate, _ = read_audio(long, DECODE_SECONDS)
    assert data.shape == (int(DECODE_SECONDS * sr), 1) and rate == sr
    tracemalloc.start()  # numpy reports its buffers to tracemalloc
    try:
        load_reference(long)
        peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    assert peak_mb < 40, f"loading took {peak_mb:.0f} MB"  # the whole file would be 110 MB of float32
    wide = tmp_path / "wide.wav"
    sf.write(wide, np.zeros((sr, 9), dtype=np.float32), sr)
    with pytest.raises(VoiceError, match="at most 8 channels"):
        load_reference(wide)
