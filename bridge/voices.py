"""Registered reference voices: stored under the state dir, checked for quality, kept across restarts."""
from __future__ import annotations

import io
import json
import logging
import math
import re
from pathlib import Path

import grpc
import numpy as np
import soundfile as sf
from dubline.core.audio import write_wav
from dubline.core.files import atomic_path
from dubline.core.catalog import Catalog
from dubline.core.engines.base import Voice
from dubline.core.errors import InputError
from dubline.core.reference import DECODE_CHANNELS, DECODE_SECONDS

from ._proto import dubline_pb2 as pb
from .errors import ServiceError, invalid, not_found

log = logging.getLogger(__name__)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def quality_report(audio: np.ndarray, sample_rate: int, channels: int) -> pb.QualityReport:
    """Length, clipping and a rough SNR (loud 20 ms frames vs quiet ones) of a reference clip."""
    n = len(audio)
    clipped = int(np.count_nonzero(np.abs(audio) >= 0.999))
    frame = max(1, sample_rate // 50)
    usable = n - n % frame
    snr = 0.0
    if usable >= frame * 10:
        energy = np.mean(audio[:usable].reshape(-1, frame).astype(np.float64) ** 2, axis=1) + 1e-12
        snr = float(10 * math.log10(np.percentile(energy, 95) / np.percentile(energy, 10)))
    report = pb.QualityReport(samples=n, sample_rate=sample_rate, channels=channels, snr_db=round(snr, 1),
                              clipped_samples=clipped, clipped_fraction=clipped / n if n else 0.0)
    seconds = n / sample_rate if sample_rate else 0
    if seconds < 3:
        report.warnings.append(f"reference is {seconds:.1f} s; 3-15 s of clean speech clones best")
    elif seconds > 30:
        report.warnings.append(f"reference is {seconds:.1f} s; engines use the first 15-30 s")
    if report.clipped_fraction > 0.001:
        report.warnings.append(f"{clipped} samples clip ({report.clipped_fraction:.2%}); re-record lower")
    if usable >= frame * 10 and snr < 20:
        report.warnings.append(f"estimated SNR {snr:.0f} dB is low; background noise will be cloned")
    if sample_rate < 16000:
        report.warnings.append(f"sample rate {sample_rate} Hz is below 16 kHz")
    return report


MAX_REFERENCE_SECONDS = 30
MAX_REFERENCE_CHANNELS = 8


def decode_reference(data: bytes, name: str) -> tuple[np.ndarray, int, int, int]:
    """(mono float32 of at most MAX_REFERENCE_SECONDS, rate, channels, frames in the file).

    Decoded block by block, so a small compressed file of hours of audio costs at most 30 s
    of memory, not what its header claims.
    """
    try:
        f = sf.SoundFile(io.BytesIO(data))
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as e:
        raise InputError(f"reference audio for {name!r} cannot be read ({e}); send WAV or FLAC") from e
    with f:
        sr, channels, total = f.samplerate, f.channels, f.frames
        if not 8000 <= sr <= 192000:
            raise invalid(f"reference audio for {name!r} is at {sr} Hz; use 8000-192000 Hz")
        if not 1 <= channels <= MAX_REFERENCE_CHANNELS:
            raise invalid(f"reference audio for {name!r} has {channels} channels; at most {MAX_REFERENCE_CHANNELS}")
        limit = MAX_REFERENCE_SECONDS * sr
        blocks, got = [], 0
        try:
            for block in f.blocks(blocksize=sr, dtype="float32", always_2d=True):
                take = block[: limit - got]
                blocks.append(take.mean(axis=1))
                got += len(take)
                if got >= limit:
                    break
        except (sf.LibsndfileError, RuntimeError) as e:
            raise InputError(f"reference audio for {name!r} is damaged ({e})") from e
    if got == 0:
        raise invalid(f"reference audio for {name!r} is empty")
    return np.concatenate(blocks), sr, channels, max(total, got)


def check_emotion_reference(path: Path, where: str) -> None:
    """An emotion reference clip a request names: readable, and by its header at most
    DECODE_SECONDS long with at most DECODE_CHANNELS channels, refused at submit with the bound.
    (The engine decodes no more than that in any case: ``reference.load_reference``.)"""
    if not path.is_file():
        raise not_found(f"{where}: emotion reference {path} does not exist (paths are under the output root)")
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError) as e:
        raise invalid(f"{where}: emotion reference {path.name} cannot be read ({e}); give a WAV or FLAC clip") from e
    if not (8000 <= info.samplerate <= 192000 and 1 <= info.channels <= DECODE_CHANNELS):
        raise invalid(f"{where}: emotion reference {path.name} has {info.channels} channels at {info.samplerate} "
                      f"Hz; give at most {DECODE_CHANNELS} channels at 8000-192000 Hz")
    seconds = info.frames / info.samplerate
    if seconds > DECODE_SECONDS:
        raise invalid(f"{where}: emotion reference {path.name} lasts {seconds:.1f} s; the limit is "
                      f"{DECODE_SECONDS:g} s: cut it to the part that carries the emotion")


class VoiceRegistry:
    """User voices over the catalog's built-in ones; ``voices.json`` + ``voices/<name>.wav``."""

    def __init__(self, state_dir: Path, catalog: Catalog):
        self.dir = Path(state_dir) / "voices"
        self.catalog = catalog
        self.builtin = {v.name for v in catalog.voices()}
        self._index = self.dir / "voices.json"
        for v in self._load():
            try:
                catalog.add(v)
            except Exception as e:  # an engine that is gone: keep the file, skip the voice
                log.warning("registered voice %s not available: %s", v.name, e)

    def _load(self) -> list[Voice]:
        try:
            raw = json.loads(self._index.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        return [Voice(**dict(d, reference=Path(d["reference"]) if d.get("reference") else None)) for d in raw]

    def _save(self) -> None:
        user = [v for v in self.catalog.voices() if v.name not in self.builtin]
        data = [dict(name=v.name, engine=v.engine, language=v.language, preset=v.preset,
                     reference=str(v.reference) if v.reference else None, description=v.description,
                     licence=v.licence) for v in user]
        with atomic_path(self._index) as tmp:
            tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")

    def register(self, req: pb.RegisterVoiceRequest, audio_bytes: bytes, engine_name: str,
                 cloning: bool, fallback_preset: str | None) -> pb.RegisterVoiceResponse:
        if not _NAME.fullmatch(req.name):
            raise invalid(f"voice name {req.name!r}: use 1-64 letters, digits, '.', '_' or '-'")
        if req.name in self.builtin:
            raise ServiceError(grpc.StatusCode.ALREADY_EXISTS, f"{req.name!r} is a built-in voice")
        mono, sr, channels, total = decode_reference(audio_bytes, req.name)
        report = quality_report(mono, sr, channels)
        if total > len(mono):
            report.warnings.append(f"reference is {total / sr:.1f} s; only the first {MAX_REFERENCE_SECONDS} s "
                                   f"were kept")
        path = self.dir / f"{req.name}.wav"
        write_wav(path, mono, sr, 24)
        if not cloning:
            report.warnings.append(f"engine {engine_name!r} cannot clone: lines in this voice use its preset "
                                   f"voice; the reference is kept for a cloning engine")
        voice = Voice(name=req.name, engine=engine_name, language=req.language or "en",
                      preset=None if cloning else fallback_preset, reference=path.resolve(),
                      description=req.description or "registered reference voice")
        self.catalog.add(voice)
        self._save()
        from .convert import voice_info

        return pb.RegisterVoiceResponse(voice=voice_info(voice, builtin=False), quality=report)

    def delete(self, name: str) -> None:
        if name in self.builtin:
            raise ServiceError(grpc.StatusCode.FAILED_PRECONDITION,
                               f"{name!r} is a built-in voice and cannot be deleted")
        voice = {v.name: v for v in self.catalog.voices()}.get(name)
        if voice is None:
            raise not_found(f"no registered voice {name!r}")
        self.catalog.remove(name)
        if voice.reference:
            Path(voice.reference).unlink(missing_ok=True)
        self._save()
