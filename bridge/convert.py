"""Wire messages <-> library records. Exact time only: frames at rational rates, or samples."""
from __future__ import annotations

from dataclasses import fields
from fractions import Fraction
from pathlib import Path

from dubline.core.engines.base import Capabilities, Engine, Voice
from dubline.core.errors import InputError, Problem
from dubline.core.fit import FitPolicy
from dubline.core.lines import EMOTIONS, Emotion, Line, SourceRef
from dubline.core.report import LineResult
from dubline.core.timebase import FrameRate, TimeRange, seconds_to_samples

from ._proto import dubline_pb2 as pb


def frame_rate(msg: pb.FrameRate, where: str) -> FrameRate:
    if msg.num <= 0 or msg.den <= 0:
        raise InputError(Problem(f"frame rate {msg.num}/{msg.den} must be positive (set rate.num and rate.den)",
                                 cue=where))
    return FrameRate(msg.num, msg.den, msg.drop_frame)


def time_range(msg: pb.TimeRange, output_rate: int, where: str) -> TimeRange:
    kind = msg.WhichOneof("kind")
    if kind == "frames":
        f = msg.frames
        return TimeRange.from_frames(f.start_frame, f.end_frame, frame_rate(f.rate, where))
    if kind == "samples":
        s = msg.samples
        rate = s.sample_rate or output_rate
        if rate <= 0:
            raise InputError(Problem("sample range needs a positive sample_rate", cue=where))
        return TimeRange(s.start_sample, s.end_sample, Fraction(rate))
    raise InputError(Problem("line has no range: set range.frames or range.samples", cue=where))


def emotion(msg: pb.Emotion | None, where: str, root: Path | None = None) -> Emotion | None:
    """The wire emotion; a reference path is resolved under ``root`` (the output root)."""
    if msg is None or msg == pb.Emotion():
        return None
    if msg.preset and msg.preset not in EMOTIONS:
        raise InputError(Problem(f"unknown emotion preset {msg.preset!r} (one of {', '.join(EMOTIONS)})", cue=where))
    if msg.vector and len(msg.vector) != len(EMOTIONS):
        raise InputError(Problem(f"emotion vector needs {len(EMOTIONS)} weights, got {len(msg.vector)}", cue=where))
    return Emotion(
        preset=msg.preset or None,
        intensity=msg.intensity if msg.HasField("intensity") else None,
        vector=tuple(msg.vector) or None,
        reference=_reference(msg.reference_path, root) if msg.reference_path else None,
        description=msg.description or None,
    )


def _reference(path: str, root: Path | None) -> Path:
    if root is None:
        return Path(path)
    from .confine import confine

    return confine(root, path)


def line(msg: pb.JobLine, output_rate: int, root: Path | None = None) -> Line:
    where = msg.id or "(no id)"
    return Line(
        id=msg.id,
        text=msg.text,
        range=time_range(msg.range, output_rate, where),
        speaker=msg.speaker or None,
        voice=msg.voice or None,
        emotion=emotion(msg.emotion if msg.HasField("emotion") else None, where, root),
        source=SourceRef(cue=msg.id),
    )


def job_line(ln: Line) -> pb.JobLine:
    """A library line as a wire line (the Python client sends SRT/OTIO lines this way)."""
    rate = Fraction(ln.range.rate)
    msg = pb.JobLine(id=ln.id, text=ln.text, speaker=ln.speaker or "", voice=ln.voice or "")
    msg.range.frames.start_frame = ln.range.start
    msg.range.frames.end_frame = ln.range.end
    msg.range.frames.rate.num = rate.numerator
    msg.range.frames.rate.den = rate.denominator
    if ln.emotion is not None:
        e = ln.emotion
        msg.emotion.preset = e.preset or ""
        if e.intensity is not None:
            msg.emotion.intensity = e.intensity
        msg.emotion.vector.extend(e.vector or ())
        msg.emotion.reference_path = str(e.reference or "")
        msg.emotion.description = e.description or ""
    return msg


def fit_policy(msg: pb.FitPolicy | None) -> FitPolicy:
    if msg is None:
        return FitPolicy()
    given = {f.name: getattr(msg, f.name) for f in fields(FitPolicy)
             if f.name in pb.FitPolicy.DESCRIPTOR.fields_by_name and msg.HasField(f.name)}
    return FitPolicy(**given)


def line_result(r: LineResult, sample_rate: int) -> pb.LineResult:
    return pb.LineResult(
        line_id=r.id, text=r.text, voice=r.voice, file=str(r.file),
        start_sample=r.start_sample, end_sample=r.end_sample, sample_rate=sample_rate,
        natural_samples=seconds_to_samples(Fraction(r.natural_seconds), sample_rate),
        factor=r.factor, method=r.method, warnings=list(r.warnings), sha256=r.sha256,
    )


def voice_info(v: Voice, builtin: bool) -> pb.VoiceInfo:
    return pb.VoiceInfo(name=v.name, engine=v.engine, language=v.language, preset=v.preset or "",
                        reference_path=str(v.reference or ""), description=v.description,
                        licence=v.licence, builtin=builtin)


def capabilities(c: Capabilities) -> pb.Capabilities:
    res = Fraction(c.duration.resolution_seconds).limit_denominator(1_000_000)
    return pb.Capabilities(
        languages=list(c.languages),
        duration=pb.DurationControl(native=c.duration.native, min_factor=c.duration.min_factor,
                                    max_factor=c.duration.max_factor,
                                    resolution_seconds=pb.Rational(num=res.numerator, den=res.denominator)),
        cloning=c.cloning, emotion_modes=sorted(c.emotion_modes), streaming=c.streaming, device=c.device,
    )


def engine_info(name: str, engine: Engine | None) -> pb.EngineInfo:
    if engine is None:
        return pb.EngineInfo(name=name, loaded=False)
    return pb.EngineInfo(name=name, model_version=engine.model_version,
                         capabilities=capabilities(engine.capabilities), loaded=True)
