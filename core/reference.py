"""Reference audio for voice cloning: load it, and tell the user whether it will clone well.

Shared by ``dubline voices add`` and the daemon's RegisterVoice. Zero-shot cloning needs a
few seconds of clean, unclipped speech: at least 5 s after silence is trimmed, at most 15 s
(IndexTTS2 cuts there; longer references only cost GPU memory).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InputError, Problem, VoiceError

MIN_SPEECH_SECONDS = 5.0
MAX_SECONDS = 15.0
# The most of a reference clip that is ever decoded, and its channels: a clip is named by a
# request (the daemon's Emotion.reference_path), so its cost must not be what its file claims.
DECODE_SECONDS = 30.0
DECODE_CHANNELS = 8
MIN_SAMPLE_RATE = 16000
MIN_SNR_DB = 20.0
CLIP_LEVEL = 0.999
MAX_CLIPPED_FRACTION = 0.001
_FRAME_SECONDS = 0.02
_SILENCE_BELOW_PEAK_DB = 40.0


@dataclass(frozen=True)
class QualityReport:
    """What a reference clip holds and what a user should fix before cloning from it.

    ``errors`` make the clip unusable; ``warnings`` make it usable but worse.
    """

    path: Path
    sample_rate: int
    channels: int
    seconds: float  # whole file
    speech_seconds: float  # after trimming leading/trailing silence
    snr_db: float  # speech frames vs. quietest frames
    clipped_fraction: float
    used_seconds: float  # what cloning will use (trimmed, capped at MAX_SECONDS)
    warnings: tuple[str, ...] = field(default_factory=tuple)
    errors: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        lines = [
            f"{self.path}: {self.seconds:.1f} s, {self.sample_rate} Hz, {self.channels} ch; "
            f"speech {self.speech_seconds:.1f} s, SNR {self.snr_db:.0f} dB, "
            f"clipped {self.clipped_fraction * 100:.2f} %, cloning uses {self.used_seconds:.1f} s"
        ]
        lines += [f"error: {e}" for e in self.errors]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


@dataclass(frozen=True)
class ReferenceAudio:
    samples: np.ndarray  # mono float32, silence trimmed, at most MAX_SECONDS
    sample_rate: int


def read_audio(path: Path, max_seconds: float | None = None) -> tuple[np.ndarray, int, int]:
    """(samples frames x channels float32, sample rate, channels) or VoiceError.

    With ``max_seconds``, only that much from the start is decoded, and a file with more than
    DECODE_CHANNELS channels or a rate outside 8-192 kHz is refused: memory stays bounded
    whatever a small compressed file claims (the daemon's bound on reference clips).
    """
    import soundfile as sf

    if not Path(path).is_file():
        raise InputError(Problem("no such file" if not Path(path).exists() else "is not a file", file=Path(path)))
    try:
        with sf.SoundFile(str(path)) as f:
            sr, channels = f.samplerate, f.channels
            if max_seconds is not None and not (8000 <= sr <= 192000 and 1 <= channels <= DECODE_CHANNELS):
                raise VoiceError(f"reference audio {path}: {channels} channels at {sr} Hz; give at most "
                                 f"{DECODE_CHANNELS} channels at 8000-192000 Hz")
            frames = -1 if max_seconds is None else int(max_seconds * sr)
            data = f.read(frames, dtype="float32", always_2d=True)
    except (OSError, RuntimeError) as e:
        # soundfile's own words name the file and say "System error" or "Format not recognised"
        detail = str(e).split(": ", 1)[-1] if ": " in str(e) else str(e)
        raise VoiceError(f"{path}: not an audio file this can read ({detail.strip()}); "
                         "give a WAV or FLAC clip") from e
    if data.shape[0] == 0:
        raise VoiceError(f"reference audio {path} is empty")
    return data, int(sr), int(data.shape[1])


def speech_bounds(mono: np.ndarray, sample_rate: int) -> tuple[int, int, np.ndarray]:
    """Start and end sample of the speech (trimming silence 40 dB below the peak frame)."""
    hop = max(1, int(sample_rate * _FRAME_SECONDS))
    n = len(mono) // hop
    if n == 0:
        return 0, len(mono), np.array([0.0])
    frames = mono[: n * hop].reshape(n, hop)
    energy_db = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
    voiced = np.nonzero(energy_db > energy_db.max() - _SILENCE_BELOW_PEAK_DB)[0]
    return int(voiced[0] * hop), int(min(len(mono), (voiced[-1] + 1) * hop)), energy_db


def estimate_snr_db(energy_db: np.ndarray) -> float:
    """Loud frames (speech) against quiet frames (the noise floor between words)."""
    if len(energy_db) < 10:
        return 0.0
    floor = np.percentile(energy_db, 10)
    speech = np.percentile(energy_db, 90)
    return float(max(0.0, speech - floor))


def check_reference(path: Path | str) -> QualityReport:
    path = Path(path)
    data, sr, channels = read_audio(path)
    mono = data.mean(axis=1)
    clipped = float(np.mean(np.abs(data) >= CLIP_LEVEL))
    start, end, energy_db = speech_bounds(mono, sr)
    speech = (end - start) / sr
    snr = estimate_snr_db(energy_db)
    errors: list[str] = []
    warnings: list[str] = []
    if sr < MIN_SAMPLE_RATE:
        errors.append(f"sample rate {sr} Hz is below {MIN_SAMPLE_RATE} Hz; record or export at 16 kHz or more")
    if speech < MIN_SPEECH_SECONDS:
        errors.append(
            f"only {speech:.1f} s of speech after trimming silence; cloning needs at least "
            f"{MIN_SPEECH_SECONDS:.0f} s of one speaker"
        )
    if speech > MAX_SECONDS:
        warnings.append(
            f"{speech:.1f} s of speech; only the first {MAX_SECONDS:.0f} s are used "
            "(longer references exhaust GPU memory), trim it to the best 5-15 s"
        )
    if clipped > MAX_CLIPPED_FRACTION:
        warnings.append(f"{clipped * 100:.2f} % of samples are clipped; re-export at a lower level")
    if snr < MIN_SNR_DB:
        warnings.append(
            f"estimated SNR {snr:.0f} dB is below {MIN_SNR_DB:.0f} dB; background noise will be "
            "cloned too, use a cleaner take or denoise it"
        )
    if channels > 1:
        warnings.append(f"{channels} channels are mixed down to mono")
    return QualityReport(
        path=path, sample_rate=sr, channels=channels, seconds=len(mono) / sr, speech_seconds=speech,
        snr_db=snr, clipped_fraction=clipped, used_seconds=min(speech, MAX_SECONDS),
        warnings=tuple(warnings), errors=tuple(errors),
    )


def load_reference(path: Path | str) -> ReferenceAudio:
    """Mono, silence-trimmed, capped at MAX_SECONDS: exactly what cloning conditions on.

    At most the first DECODE_SECONDS are decoded (speaker and emotion clips alike)."""
    data, sr, _ = read_audio(Path(path), DECODE_SECONDS)
    mono = data.mean(axis=1)
    start, end, _ = speech_bounds(mono, sr)
    mono = mono[start:end][: int(MAX_SECONDS * sr)]
    return ReferenceAudio(np.ascontiguousarray(mono, dtype=np.float32), sr)
