"""Delivery files for creators: loudness-normalised dialogue and compressed copies.

From a rendered full track (out/track.wav) this writes out/delivery/dialogue.wav (Broadcast
WAV, EBU R128 normalised, same timecode as the track) and, per format asked, .flac, .mp3
(192 kb/s) and .m4a (AAC-LC 192 kb/s).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .bwf import BextInfo, read_time_reference, write_bwf
from .errors import InputError, OutputError, Problem
from .ffmpeg_run import run_to
from .loudness import LoudnessOptions, Normalised, normalise

log = logging.getLogger(__name__)

# format name -> (suffix, ffmpeg output options)
ENCODINGS: dict[str, tuple[str, dict]] = {
    "flac": (".flac", {"acodec": "flac", "compression_level": 8}),
    "mp3": (".mp3", {"acodec": "libmp3lame", "audio_bitrate": "192k"}),
    "aac": (".m4a", {"acodec": "aac", "audio_bitrate": "192k", "movflags": "+faststart"}),
}


@dataclass(frozen=True)
class DeliveryOptions:
    loudness: LoudnessOptions | None = field(default_factory=LoudnessOptions)  # None: as rendered
    formats: tuple[str, ...] = ("flac", "mp3", "aac")
    bit_depth: int = 24


@dataclass
class Delivery:
    files: list[Path]
    normalised: Normalised | None


def deliver(track: Path, out_dir: Path, options: DeliveryOptions = DeliveryOptions(),
            root: Path | None = None) -> Delivery:
    """Delivery files in ``out_dir``, confined to ``root`` (no symlink below it followed)."""
    import soundfile as sf

    track = Path(track)
    if not track.is_file():
        raise InputError(Problem("no rendered track to deliver", file=track))
    unknown = [f for f in options.formats if f not in ENCODINGS]
    if unknown:
        raise OutputError(f"unknown delivery format(s) {', '.join(unknown)} (known: {', '.join(ENCODINGS)})")
    audio, sr = sf.read(str(track), dtype="float32", always_2d=False)
    result = None
    if options.loudness is not None:
        audio, result = normalise(audio, sr, options.loudness)
        for w in result.warnings:
            log.warning("%s: %s", track.name, w)
    out_dir = Path(out_dir)
    master = out_dir / "dialogue.wav"
    bext = BextInfo(
        time_reference=read_time_reference(track) or 0,
        description=f"Dubline dialogue, {options.loudness.target_lufs:g} LUFS target"
        if options.loudness else "Dubline dialogue",
        loudness_value=result.after.integrated_lufs if result and np.isfinite(result.after.integrated_lufs) else None,
        max_true_peak=result.after.true_peak_dbtp if result and np.isfinite(result.after.true_peak_dbtp) else None,
        coding_history=f"A=PCM,F={sr},W={options.bit_depth},M=mono,T=Dubline\r\n",
    )
    files = [write_bwf(master, audio, sr, bext, options.bit_depth, root=root)]
    for fmt in options.formats:
        suffix, opts = ENCODINGS[fmt]
        files.append(_encode(master, out_dir / f"dialogue{suffix}", opts, root))
    return Delivery(files, result)


def _encode(source: Path, target: Path, opts: dict, root: Path | None = None) -> Path:
    import ffmpeg

    return run_to(lambda tmp: ffmpeg.input(str(source)).output(tmp, **opts), target, root)
