"""EBU R128 loudness: integrated loudness (ITU-R BS.1770-4, pyloudnorm) and true peak.

Normalisation is one gain for the whole programme so the dub's dynamics stay as made; if
that gain would push the true peak over the ceiling, the gain stops at the ceiling and the
result says how far below the target it landed (a limiter would change the sound).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)

BROADCAST_LUFS = -23.0  # EBU R128
WEB_LUFS = -16.0  # common for web and podcast platforms
TRUE_PEAK_CEILING = -1.0  # dBTP
PEAK_MARGIN_DB = 0.5
_OVERSAMPLE_TO = 192000  # true peak per BS.1770-4 Annex 2: >= 4x oversampling at 48 kHz


@dataclass(frozen=True)
class LoudnessOptions:
    target_lufs: float = BROADCAST_LUFS
    true_peak_ceiling: float = TRUE_PEAK_CEILING


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float  # -inf for silence
    true_peak_dbtp: float


@dataclass(frozen=True)
class Normalised:
    gain_db: float
    before: Loudness
    after: Loudness
    warnings: tuple[str, ...] = ()


def true_peak(audio: np.ndarray, sample_rate: int) -> float:
    """True peak in dBTP: the sample peak after oversampling to >= 192 kHz."""
    import soxr

    a = np.asarray(audio, dtype=np.float64)
    if a.size == 0:
        return float("-inf")
    factor = max(1, -(-_OVERSAMPLE_TO // sample_rate))
    up = soxr.resample(a, sample_rate, sample_rate * factor, quality="VHQ") if factor > 1 else a
    peak = float(np.max(np.abs(up)))
    return 20 * np.log10(peak) if peak > 0 else float("-inf")


def measure(audio: np.ndarray, sample_rate: int) -> Loudness:
    import pyloudnorm

    a = np.asarray(audio, dtype=np.float64)
    # BS.1770 gating needs at least one 400 ms block.
    if len(a) < int(0.4 * sample_rate) or not np.any(a):
        lufs = float("-inf")
    else:
        lufs = float(pyloudnorm.Meter(sample_rate).integrated_loudness(a))
    return Loudness(lufs, true_peak(a, sample_rate))


def normalise(audio: np.ndarray, sample_rate: int,
              options: LoudnessOptions = LoudnessOptions()) -> tuple[np.ndarray, Normalised]:
    before = measure(audio, sample_rate)
    if not np.isfinite(before.integrated_lufs):
        return np.asarray(audio, dtype=np.float32), Normalised(0.0, before, before,
                                                               ("too short or silent to measure",))
    gain = options.target_lufs - before.integrated_lufs
    warnings = []
    if before.true_peak_dbtp + gain > options.true_peak_ceiling:
        capped = options.true_peak_ceiling - before.true_peak_dbtp
        warnings.append(f"true peak would reach {before.true_peak_dbtp + gain:.1f} dBTP; gain "
                        f"capped, loudness {options.target_lufs - (gain - capped):.1f} LUFS "
                        f"instead of {options.target_lufs:.1f}")
        # True-peak meters differ by a few tenths of a dB on impulsive material (their
        # oversampling filters differ); the margin keeps every common meter under the ceiling.
        gain = capped - PEAK_MARGIN_DB
    out = (np.asarray(audio, dtype=np.float64) * 10 ** (gain / 20)).astype(np.float32)
    after = measure(out, sample_rate)
    return out, Normalised(gain, before, after, tuple(warnings))
