"""Pitch-preserving time-stretch (Rubber Band, through pedalboard) to an exact length."""
from __future__ import annotations

import numpy as np

from .audio import resample


def stretch_to(audio: np.ndarray, sample_rate: int, length: int) -> np.ndarray:
    """Time-stretch ``audio`` to ``length`` samples, pitch and formants kept.

    Rubber Band lands within a few samples; the remainder is cut or padded here so the
    result has exactly ``length`` samples.
    """
    audio = np.asarray(audio, dtype=np.float32)
    if length <= 0:
        return np.zeros(0, dtype=np.float32)
    if len(audio) == 0:
        return np.zeros(length, dtype=np.float32)
    if len(audio) != length:
        from pedalboard import time_stretch

        speed = len(audio) / length  # >1 shortens
        audio = time_stretch(audio[np.newaxis, :], float(sample_rate), stretch_factor=speed,
                             transient_mode="mixed", preserve_formants=True)[0]
    out = np.zeros(length, dtype=np.float32)
    n = min(length, len(audio))
    out[:n] = audio[:n]
    return out


def stretch_resampled(native: np.ndarray, native_rate: int, sample_rate: int, length: int) -> np.ndarray:
    """``native`` (speech at the engine's own rate) stretched, then resampled to exactly
    ``length`` samples at ``sample_rate``.

    Rubber Band's cost grows with the samples it reads, and a take resampled up holds
    nothing above the engine's Nyquist frequency: stretching before resampling up (22.05 to
    48 kHz for the embedded voices) does the same work on under half the samples.
    """
    if native_rate >= sample_rate:
        return stretch_to(resample(native, native_rate, sample_rate), sample_rate, length)
    if length <= 0:
        return np.zeros(0, dtype=np.float32)
    made = resample(stretch_to(native, native_rate, max(1, round(length * native_rate / sample_rate))),
                    native_rate, sample_rate)
    out = np.zeros(length, dtype=np.float32)
    n = min(length, len(made))
    out[:n] = made[:n]
    return out
