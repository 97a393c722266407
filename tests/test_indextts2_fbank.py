"""The torch-only Kaldi fbank against values from torchaudio.compliance.kaldi.fbank.

Reference: torchaudio 2.11 ``fbank(x, num_mel_bins=80, dither=0, sample_frequency=16000)``
on the signal below (frame 10, every 10th bin, and the mean over all frames and bins).
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from dubline.core.engines.indextts.fbank import fbank  # noqa: E402

REF_FRAME10 = [-12.5838, -5.5952, -8.3557, -15.4526, -15.9424, -7.7323, -15.4404, -15.9424]
REF_MEAN = -10.94371


def test_matches_torchaudio_kaldi_fbank():
    t = np.arange(8000) / 16000
    x = (0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * np.sin(2 * np.pi * 3000 * t)
         + 0.01 * np.sin(2 * np.pi * 7000 * t)).astype(np.float32)
    out = fbank(torch.from_numpy(x)[None], 16000, 80)
    assert out.shape == (48, 80)  # 25 ms windows every 10 ms, edges snipped
    assert np.allclose(out[10, ::10].numpy(), REF_FRAME10, atol=2e-3)
    assert abs(out.mean().item() - REF_MEAN) < 1e-3


def test_short_and_silent_input():
    assert fbank(torch.zeros(1, 100)).shape == (0, 80)
    silent = fbank(torch.zeros(1, 1600))
    assert torch.isfinite(silent).all() and silent.shape == (8, 80)
