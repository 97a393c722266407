"""Audio primitives: resampling, silence detection, fades, and atomic WAV writing."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from .errors import InputError, OutputError
from .files import atomic_path

_SUBTYPES = {16: "PCM_16", 24: "PCM_24", 32: "FLOAT"}


def resample(audio: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Band-limited resampling (soxr, very high quality)."""
    audio = np.asarray(audio, dtype=np.float32)
    if sr_in == sr_out or audio.size == 0:
        return audio
    return soxr.resample(audio, sr_in, sr_out, quality="VHQ").astype(np.float32)


def speech_bounds(audio: np.ndarray, sample_rate: int, threshold_db: float = -40.0,
                  margin_seconds: float = 0.01) -> tuple[int, int]:
    """``(first, end)`` of the part louder than ``threshold_db`` relative to the peak.

    Works on 10 ms windows and keeps a small margin so soft onsets and release tails of
    consonants survive. An all-silent input returns ``(0, 0)``.
    """
    audio = np.asarray(audio, dtype=np.float32)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak <= 1e-6:
        return 0, 0
    win = max(1, sample_rate // 100)
    n = len(audio) // win
    if n == 0:
        return 0, len(audio)
    frames = audio[: n * win].reshape(n, win)
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    loud = np.flatnonzero(rms > peak * 10 ** (threshold_db / 20))
    if loud.size == 0:
        return 0, 0
    margin = int(margin_seconds * sample_rate)
    first = max(0, loud[0] * win - margin)
    end = min(len(audio), (loud[-1] + 1) * win + margin)
    return int(first), int(end)


def fade_edges(audio: np.ndarray, sample_rate: int, seconds: float) -> np.ndarray:
    """Raised-cosine fade in and out, so cut points never click."""
    out = np.array(audio, dtype=np.float32, copy=True)
    n = min(int(seconds * sample_rate), len(out) // 2)
    if n > 0:
        ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n, dtype=np.float32))).astype(np.float32)
        out[:n] *= ramp
        out[-n:] *= ramp[::-1]
    return out


def peak_safe(audio: np.ndarray, ceiling: float = 0.98) -> np.ndarray:
    """Scale down (never up) so the peak stays under ``ceiling``; PCM never wraps."""
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    return audio * (ceiling / peak) if peak > ceiling else audio


def subtype(bit_depth: int) -> str:
    try:
        return _SUBTYPES[bit_depth]
    except KeyError:
        raise OutputError(f"bit depth {bit_depth} is not supported (use 16, 24 or 32)") from None


def write_wav(path: Path, audio: np.ndarray, sample_rate: int, bit_depth: int = 16) -> None:
    """Write mono PCM WAV atomically: a crash never leaves a finished-looking half file."""
    with atomic_path(path) as tmp:
        sf.write(str(tmp), peak_safe(np.asarray(audio, dtype=np.float32)), sample_rate,
                 subtype=subtype(bit_depth), format="WAV")


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Read any soundfile-readable file as mono float32."""
    try:
        audio, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as e:
        raise InputError(f"{path}: cannot read audio ({e})") from e
    return audio.mean(axis=1).astype(np.float32), sr
