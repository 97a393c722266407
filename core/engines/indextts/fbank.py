"""Kaldi-compatible log mel filterbank in plain torch (what CAMPPlus was trained on).

IndexTTS2 computes CAMPPlus's input with ``torchaudio.compliance.kaldi.fbank``; torchaudio has
no build for every torch (none for the CPU torch Dubline's CI uses), so this reimplements
exactly the settings IndexTTS2 uses: 25 ms Povey windows every 10 ms, snip_edges, DC
removal, pre-emphasis 0.97, 512-point power spectrum, 80 triangular bins on Kaldi's mel
scale from 20 Hz to Nyquist, natural log floored at float epsilon, no dither.
tests/test_kaldi_fbank.py checks it against reference values.
"""
from __future__ import annotations

import math

import torch

_PREEMPHASIS = 0.97
_LOW_FREQ = 20.0


def _mel(freq: torch.Tensor | float):
    if isinstance(freq, torch.Tensor):
        return 1127.0 * torch.log1p(freq / 700.0)
    return 1127.0 * math.log1p(freq / 700.0)


def mel_banks(num_bins: int, fft_size: int, sample_rate: float, device=None, dtype=torch.float32) -> torch.Tensor:
    """Triangular filters, shape (num_bins, fft_size // 2 + 1), Kaldi's layout (last column zero)."""
    half = fft_size // 2
    mel_low, mel_high = _mel(_LOW_FREQ), _mel(sample_rate / 2)
    delta = (mel_high - mel_low) / (num_bins + 1)
    b = torch.arange(num_bins, dtype=torch.float64).unsqueeze(1)
    left, center, right = mel_low + b * delta, mel_low + (b + 1) * delta, mel_low + (b + 2) * delta
    mel = _mel(torch.arange(half, dtype=torch.float64) * (sample_rate / fft_size)).unsqueeze(0)
    up = (mel - left) / (center - left)
    down = (right - mel) / (right - center)
    banks = torch.clamp(torch.minimum(up, down), min=0.0)
    banks = torch.nn.functional.pad(banks, (0, 1))
    return banks.to(device=device, dtype=dtype)


def fbank(waveform: torch.Tensor, sample_rate: int = 16000, num_mel_bins: int = 80) -> torch.Tensor:
    """Log mel filterbank of the first channel of ``waveform`` (1, N) -> (frames, num_mel_bins)."""
    wave = waveform[0] if waveform.dim() == 2 else waveform
    win = int(sample_rate * 0.025)
    shift = int(sample_rate * 0.010)
    if wave.numel() < win:
        return torch.empty(0, num_mel_bins, dtype=wave.dtype, device=wave.device)
    frames = wave.unfold(0, win, shift)  # (num_frames, win), snip_edges=True
    frames = frames - frames.mean(dim=1, keepdim=True)
    previous = torch.nn.functional.pad(frames.unsqueeze(0), (1, 0), mode="replicate").squeeze(0)[:, :-1]
    frames = frames - _PREEMPHASIS * previous
    window = torch.hann_window(win, periodic=False, dtype=wave.dtype, device=wave.device).pow(0.85)
    frames = frames * window
    fft_size = 1 << (win - 1).bit_length()
    frames = torch.nn.functional.pad(frames, (0, fft_size - win))
    power = torch.fft.rfft(frames).abs().pow(2.0)
    banks = mel_banks(num_mel_bins, fft_size, float(sample_rate), wave.device, wave.dtype)
    energies = power @ banks.T
    eps = torch.finfo(wave.dtype).eps
    return torch.clamp(energies, min=eps).log()
