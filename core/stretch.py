"""Pitch-preserving time-stretch (Rubber Band, through pedalboard) to an exact length."""
from __future__ import annotations

import numpy as np


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
