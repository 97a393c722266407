"""Pitch-preserving time-stretch (Rubber Band, through pedalboard) to an exact length."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

# Rubber Band's R3 engine with its long (default) or short window. Fitting uses the long
# one. The short one takes 0.41x the CPU, but Whisper base heard Piper's English slightly
# worse through it (python -m tests.bench.stretch_rate, 360 takes at 0.75-1.2: WER 0.0136
# vs 0.0121, worse on 13 sentences, better on 11) and Mandarin was mixed (CER 0.110 vs
# 0.102 at 0.6, 0.089 vs 0.111 at 0.7), so it stays a bench option. Formant keeping is
# off: it only acts on a pitch shift, and with none the samples are the same for 0.90x
# the CPU.
WINDOWS: Mapping[str, Mapping[str, Any]] = {
    "long": {"transient_mode": "mixed", "use_long_fft_window": None, "preserve_formants": False},
    "short": {"transient_mode": "mixed", "use_long_fft_window": False, "preserve_formants": False},
}


def stretch_to(audio: np.ndarray, sample_rate: int, length: int, window: str = "long") -> np.ndarray:
    """Time-stretch ``audio`` to ``length`` samples, pitch and formants kept.

    Rubber Band lands within a few samples; the remainder is cut or padded here so the
    result has exactly ``length`` samples. ``window`` is a key of ``WINDOWS``.
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
                             **WINDOWS[window])[0]
    out = np.zeros(length, dtype=np.float32)
    n = min(length, len(audio))
    out[:n] = audio[:n]
    return out
