"""Fit one line's speech to the exact sample count of its slot.

Policy (DESIGN.md, "Fitting a line"):
1. one synthesis: an engine with duration control is asked for the slot natively, inside
   the safe range of both the policy and the engine; its own alignment says how long the
   line is unforced and where the take's speech starts and ends (no natural take is made
   just to measure it, and no energy threshold decides the edges). Where the engine
   declares that stretching its natural take was measured more intelligible than its own
   pacing (``DurationControl.stretch_ranges``, evidence in ``engines/pacing.py``), the one
   synthesis is the natural take and the stretch goes all the way (``FitPolicy.pacing``
   overrides: "native" or "stretch" everywhere);
2. past that range: borrow free time after the line (opt-in), then a bounded time-stretch
   for the rest, then flag the line with the factor it would have needed;
3. cut or pad to the exact sample count with short fades.
An engine without an alignment (``Synthesis.speech`` None) has its edges found by
detecting silence instead.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .audio import fade_edges, resample, speech_bounds
from .engines.base import (
    Capabilities, DurationTarget, Engine, FactorRange, Synthesis, SynthesisControls, SynthesisRequest, Voice,
)
from .errors import FitError, InputError
from .stretch import stretch_to


PACINGS = ("auto", "native", "stretch")


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
    # "auto": the engine's own pacing or a stretch of its natural take, per factor range,
    # as the engine declares from measurement (DurationControl.stretch_ranges);
    # "native": always the engine's own pacing; "stretch": always stretch the natural take.
    pacing: str = "auto"

    def __post_init__(self) -> None:
        if not 0 < self.min_factor <= 1 <= self.max_factor:
            raise InputError("fit range must satisfy 0 < min-factor <= 1 <= max-factor")
        if self.pacing not in PACINGS:
            raise InputError(f"pacing {self.pacing!r}: use one of {', '.join(PACINGS)}")
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

    def request(self, capabilities: Capabilities) -> SynthesisRequest:
        """The synthesis ``run`` will ask an engine with ``capabilities`` for."""
        target = duration_target(capabilities, self.target_samples, self.sample_rate, self.policy)
        return SynthesisRequest(self.text, self.voice, self.controls, target)

    def run(self, engine: Engine) -> FitResult:
        return fit_line(engine, self.voice, self.text, self.controls, self.target_samples,
                        self.sample_rate, self.policy, self.gap_samples)


def native_range(capabilities: Capabilities, policy: FitPolicy) -> tuple[float, float] | None:
    """The factor range an engine may reach natively under ``policy``; None if it can't."""
    d = capabilities.duration
    if not d.native:
        return None
    return max(policy.min_factor, d.min_factor), min(policy.max_factor, d.max_factor)


def stretch_ranges(capabilities: Capabilities, policy: FitPolicy) -> tuple[FactorRange, ...]:
    """The factors at which this fit stretches the engine's natural take, not its pacing.

    "auto" takes the engine's measured table (``DurationControl.stretch_ranges``); "stretch"
    puts stretching wherever the engine's pacing would have gone (the policy's native
    range; past it the engine still paces to the edge and the bounded stretch does the rest).
    """
    if not capabilities.duration.native or policy.pacing == "native":
        return ()
    if policy.pacing == "stretch":
        return (FactorRange(policy.min_factor, policy.max_factor),)
    return capabilities.duration.stretch_ranges


def duration_target(capabilities: Capabilities, target_samples: int, sample_rate: int,
                    policy: FitPolicy) -> DurationTarget | None:
    """What ``fit_line`` asks an engine for a slot (None: it has no duration control):
    its speech at the slot's length, within the policy, or natural where it stretches."""
    if not capabilities.duration.native:
        return None
    return DurationTarget(Fraction(target_samples, sample_rate), policy.min_factor, policy.max_factor,
                          stretch_ranges(capabilities, policy))


def fit_line(engine: Engine, voice: Voice, text: str, controls: SynthesisControls,
             target_samples: int, sample_rate: int, policy: FitPolicy = FitPolicy(),
             gap_samples: int = 0) -> FitResult:
    """Synthesize ``text`` once and fit it to ``target_samples`` at ``sample_rate``."""
    _check_slot(target_samples)
    target = duration_target(engine.capabilities, target_samples, sample_rate, policy)
    synthesis = engine.synthesize(text, voice, controls, target)
    return fit_synthesis(engine.name, engine.capabilities, text, synthesis, target_samples, sample_rate,
                         policy, gap_samples)


def speech_span(synthesis: Synthesis, audio: np.ndarray, sample_rate: int, policy: FitPolicy) -> tuple[int, int]:
    """``[first, end)`` of the speech in ``audio`` (the take at ``sample_rate``).

    From the engine's alignment, moved to the output rate; detected from the audio only
    when the engine has no alignment.
    """
    if synthesis.speech is None:
        return speech_bounds(audio, sample_rate, policy.silence_db)
    first, end = (min(len(audio), round(Fraction(i * sample_rate, synthesis.sample_rate)))
                  for i in synthesis.speech)
    return first, max(first, end)


def fit_synthesis(engine_name: str, capabilities: Capabilities, text: str, synthesis: Synthesis,
                  target_samples: int, sample_rate: int, policy: FitPolicy = FitPolicy(),
                  gap_samples: int = 0) -> FitResult:
    """Fit one take (made for this slot by ``fit_line``) to the exact sample count.

    The take's speech is already at the slot's length when the engine reached it natively;
    what remains (under a frame, or the part past the engine's range) is cut, padded or
    stretched within the policy's bounds.
    """
    _check_slot(target_samples)
    audio = resample(synthesis.audio, synthesis.sample_rate, sample_rate)
    first, end = speech_span(synthesis, audio, sample_rate, policy)
    speech = audio[first:end]
    if len(speech) == 0:
        raise FitError(f"engine '{engine_name}' produced only silence for {text!r}")
    # Natural speech length: the engine's alignment knows it even for a forced take; an
    # engine without one made this take unforced (it has no duration control), so its
    # measured speech is the natural length.
    aligned = synthesis.speech is not None or synthesis.method != "natural"
    n = max(1, round(synthesis.natural_seconds * sample_rate)) if aligned else len(speech)
    warnings = list(synthesis.warnings)
    tolerance = max(1, int(sample_rate * max(capabilities.duration.resolution_seconds, 0.0125)))
    native = native_range(capabilities, policy)
    lo = native[0] if native else 1.0

    borrowed = 0
    if policy.borrow_gap and gap_samples > 0 and target_samples < n * lo / policy.max_stretch:
        borrowed = min(gap_samples, int(np.ceil(n * lo / policy.max_stretch)) - target_samples)
    budget = target_samples + borrowed
    factor = budget / n

    # A take may end a little early: the rest of the slot is a natural pause, not an error.
    slack = max(tolerance, int(policy.pad_slack * budget))
    # The engine saw the factor before borrowing; an engine that spoke its natural take there
    # (its factor 1) left the whole fit to the stretch.
    limit = _stretch_limit(capabilities, policy, target_samples / n) if synthesis.factor == 1.0 else None
    method = "native" if synthesis.method == "native" and limit is None else "natural"
    if not -tolerance <= budget - len(speech) <= slack:
        speech = _bounded_stretch(speech, budget, sample_rate, limit or policy.max_stretch)
        method = "native+stretch" if method == "native" else "stretch"

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


def _check_slot(target_samples: int) -> None:
    if target_samples <= 0:
        raise FitError(f"slot of {target_samples} samples has no room for speech")


def _stretch_limit(capabilities: Capabilities, policy: FitPolicy, asked: float) -> float | None:
    """How far a take may be stretched when ``asked`` (the factor the engine saw) lies in a
    stretch range, so the engine spoke its natural take: all the way to the slot. None when
    the engine paced it. A thousandth of slack: the engine measured the factor in its own
    frames, and a take it left natural at a range's edge must still be stretched to fit."""
    if not any(r.holds(asked, 1e-3) for r in stretch_ranges(capabilities, policy)):
        return None
    return max(policy.max_stretch, asked, 1 / asked) * 1.001


def _bounded_stretch(speech: np.ndarray, budget: int, sample_rate: int, limit: float) -> np.ndarray:
    """Stretch toward ``budget`` but no further than ``limit`` either way."""
    ratio = budget / len(speech)
    ratio = min(max(ratio, 1 / limit), limit)
    return stretch_to(speech, sample_rate, max(1, round(len(speech) * ratio)))


def place(speech: np.ndarray, length: int, sample_rate: int, fade_seconds: float) -> np.ndarray:
    """Speech at the start of a ``length``-sample slot: cut or padded, faded at its edges."""
    out = np.zeros(length, dtype=np.float32)
    body = fade_edges(speech[:length], sample_rate, fade_seconds)
    out[: len(body)] = body
    return out
