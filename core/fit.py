"""Fit one line's speech to the exact sample count of its slot.

Policy (DESIGN.md, "Fitting a line"):
1. trim the engine's leading/trailing silence, measure the natural speech length;
2. ask the engine for the target natively, inside the safe range of both the policy and
   the engine;
3. past that range: borrow free time after the line (opt-in), then a bounded time-stretch
   for the rest, then flag the line with the factor it would have needed;
4. cut or pad to the exact sample count with short fades.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .audio import fade_edges, resample, speech_bounds
from .engines.base import Engine, Synthesis, SynthesisControls, SynthesisRequest, Voice
from .errors import FitError, InputError
from .stretch import stretch_to


@dataclass(frozen=True)
class FitPolicy:
    """How far a line may be bent to fit, and what to do past that.

    ``min_factor``/``max_factor`` bound native duration control (target / natural length);
    ``max_stretch`` bounds the post-hoc time-stretch of what remains (1.25 allows 0.8-1.25).
    ``squeeze``: a line still too long after both is compressed to fit anyway (complete but
    fast, flagged) rather than cut off mid-word.
    """

    min_factor: float = 0.75
    max_factor: float = 1.35
    max_stretch: float = 1.25
    borrow_gap: bool = False
    squeeze: bool = True
    fade_seconds: float = 0.005
    pad_slack: float = 0.03  # share of the slot a take may fall short by and be padded
    silence_db: float = -40.0

    def __post_init__(self) -> None:
        if not 0 < self.min_factor <= 1 <= self.max_factor:
            raise InputError("fit range must satisfy 0 < min-factor <= 1 <= max-factor")
        if self.max_stretch < 1:
            raise InputError("max-stretch must be at least 1")


@dataclass
class FitResult:
    """A fitted line: ``audio`` has exactly the slot's samples (plus any borrowed ones)."""

    audio: np.ndarray
    natural_seconds: float  # trimmed speech length the engine makes unforced
    target_seconds: float  # slot length including borrowed time
    factor: float  # target / natural
    method: str  # natural | native | native+stretch | stretch
    warnings: list[str] = field(default_factory=list)
    borrowed_samples: int = 0
    flag: str | None = None  # "too_long" | "too_short" when outside every bound


@dataclass(frozen=True)
class _Take:
    """An engine take at the output rate, with where its speech starts and ends."""

    audio: np.ndarray
    first: int
    end: int

    @property
    def speech(self) -> np.ndarray:
        return self.audio[self.first:self.end]


def _take(synthesis: Synthesis, sample_rate: int, policy: FitPolicy) -> _Take:
    audio = resample(synthesis.audio, synthesis.sample_rate, sample_rate)
    return _Take(audio, *speech_bounds(audio, sample_rate, policy.silence_db))


@dataclass(frozen=True)
class FitTask:
    """One slot's fitting work: everything ``fit_line`` needs besides the engine.

    Plain data, so a cluster worker can take it and a cache can key on it.
    """

    index: int  # the slot's place in its job
    text: str
    voice: Voice
    controls: SynthesisControls
    target_samples: int
    sample_rate: int
    policy: FitPolicy
    gap_samples: int

    def request(self) -> SynthesisRequest:
        return SynthesisRequest(self.text, self.voice, self.controls)

    def run(self, engine: Engine) -> FitResult:
        return fit_line(engine, self.voice, self.text, self.controls, self.target_samples,
                        self.sample_rate, self.policy, self.gap_samples)


def native_range(engine: Engine, policy: FitPolicy) -> tuple[float, float] | None:
    """The factor range the engine may reach natively under ``policy``; None if it can't."""
    d = engine.capabilities.duration
    if not d.native:
        return None
    return max(policy.min_factor, d.min_factor), min(policy.max_factor, d.max_factor)


def fit_line(engine: Engine, voice: Voice, text: str, controls: SynthesisControls,
             target_samples: int, sample_rate: int, policy: FitPolicy = FitPolicy(),
             gap_samples: int = 0) -> FitResult:
    """Synthesize ``text`` and fit it to ``target_samples`` at ``sample_rate``."""
    _check_slot(target_samples)
    take = engine.synthesize(text, voice, controls)
    return fit_take(engine, voice, text, controls, take, target_samples, sample_rate, policy, gap_samples)


def fit_take(engine: Engine, voice: Voice, text: str, controls: SynthesisControls, natural_take: Synthesis,
             target_samples: int, sample_rate: int, policy: FitPolicy = FitPolicy(),
             gap_samples: int = 0) -> FitResult:
    """Fit from an already made natural take (a cache can supply it).

    The engine is called again only for a native-duration take.
    """
    _check_slot(target_samples)
    natural = _take(natural_take, sample_rate, policy)
    n = natural.end - natural.first
    if n == 0:
        raise FitError(f"engine '{engine.name}' produced only silence for {text!r}")
    warnings = list(natural_take.warnings)
    tolerance = max(1, int(sample_rate * max(engine.capabilities.duration.resolution_seconds, 0.0125)))
    native = native_range(engine, policy)
    lo = native[0] if native else 1.0

    borrowed = 0
    if policy.borrow_gap and gap_samples > 0 and target_samples < n * lo / policy.max_stretch:
        borrowed = min(gap_samples, int(np.ceil(n * lo / policy.max_stretch)) - target_samples)
    budget = target_samples + borrowed
    factor = budget / n

    # A take may end a little early: the rest of the slot is a natural pause, not an error.
    slack = max(tolerance, int(policy.pad_slack * budget))

    def fits(length: int) -> bool:
        return -tolerance <= budget - length <= slack

    if fits(n):
        speech, method = natural.speech, "natural"
    elif native is not None:
        f = min(max(factor, native[0]), native[1])
        speech, notes = _native_speech(engine, voice, text, controls, natural, f, sample_rate)
        warnings += [w for w in notes if w not in warnings]
        method = "native"
        if not fits(len(speech)):
            speech, method = _bounded_stretch(speech, budget, sample_rate, policy), "native+stretch"
    else:
        speech, method = _bounded_stretch(natural.speech, budget, sample_rate, policy), "stretch"

    flag = None
    if len(speech) > budget + tolerance:
        flag = "too_long"
        warnings.append(f"too long: needs factor {factor:.2f}, limit {lo / policy.max_stretch:.2f}"
                        + ("; squeezed to fit" if policy.squeeze else "; cut at the slot end"))
        if policy.squeeze:
            speech = stretch_to(speech, sample_rate, budget)
            method += "+squeeze"
    elif len(speech) < budget - tolerance and method != "natural":
        hi = (native[1] if native else 1.0) * policy.max_stretch
        if factor > hi:
            flag = "too_short"
            warnings.append(f"too short: needs factor {factor:.2f}, limit {hi:.2f}; padded with silence")
    if borrowed:
        warnings.append(f"borrowed {borrowed / sample_rate:.3f}s of the gap after the line")
    return FitResult(
        audio=place(speech, budget, sample_rate, policy.fade_seconds),
        natural_seconds=n / sample_rate,
        target_seconds=budget / sample_rate,
        factor=factor,
        method=method,
        warnings=warnings,
        borrowed_samples=borrowed,
        flag=flag,
    )


def _native_speech(engine: Engine, voice: Voice, text: str, controls: SynthesisControls, natural: _Take,
                   factor: float, sample_rate: int) -> tuple[np.ndarray, list[str]]:
    """Speech made natively at ``factor`` times its natural length, and the take's warnings.

    The engine scales its pauses with its speech, so the whole take is aimed at ``factor``
    times the natural take and the natural take's edge silences, scaled alike, are cut off.
    Re-detecting silence on the new take instead would jump by tens of milliseconds
    whenever a soft final consonant crosses the threshold.
    """
    raw = Fraction(round(len(natural.audio) * factor), sample_rate)
    synthesis = engine.synthesize(text, voice, controls, raw)
    audio = resample(synthesis.audio, synthesis.sample_rate, sample_rate)
    scale = len(audio) / len(natural.audio)
    first = round(natural.first * scale)
    end = len(audio) - round((len(natural.audio) - natural.end) * scale)
    return audio[first:end], synthesis.warnings


def _check_slot(target_samples: int) -> None:
    if target_samples <= 0:
        raise FitError(f"slot of {target_samples} samples has no room for speech")


def _bounded_stretch(speech: np.ndarray, budget: int, sample_rate: int, policy: FitPolicy) -> np.ndarray:
    """Stretch toward ``budget`` but no further than ``policy.max_stretch`` either way."""
    ratio = budget / len(speech)
    ratio = min(max(ratio, 1 / policy.max_stretch), policy.max_stretch)
    return stretch_to(speech, sample_rate, max(1, round(len(speech) * ratio)))


def place(speech: np.ndarray, length: int, sample_rate: int, fade_seconds: float) -> np.ndarray:
    """Speech at the start of a ``length``-sample slot: cut or padded, faded at its edges."""
    out = np.zeros(length, dtype=np.float32)
    body = fade_edges(speech[:length], sample_rate, fade_seconds)
    out[: len(body)] = body
    return out
