"""The engine interface: synthesize(text, voice, controls, target) -> Synthesis.

An engine declares what it can do in ``Capabilities``; callers never probe with hasattr.
A control an engine cannot honour comes back as a warning in the result, never silently
dropped.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from ..lines import Emotion


@dataclass(frozen=True)
class FactorRange:
    """Factors (target / natural length) from ``low`` to ``high``, both included."""

    low: float
    high: float

    def holds(self, factor: float, slack: float = 0.0) -> bool:
        return self.low - slack <= factor <= self.high + slack


@dataclass(frozen=True)
class DurationControl:
    """How an engine can be told the length to speak a line in.

    ``native`` engines take a target and land within ``resolution_seconds`` of it as long as
    the factor (target / natural length) lies in ``[min_factor, max_factor]``, the range in
    which the engine's own speech stays intelligible. ``stretch_ranges``: the factors at
    which a time-stretch of the engine's natural take was measured more intelligible than
    its own pacing (the evidence is in ``pacing``); there a fit asks the engine for its
    natural take and stretches it, unless the fit policy says otherwise.
    """

    native: bool
    min_factor: float = 1.0
    max_factor: float = 1.0
    resolution_seconds: float = 0.0
    stretch_ranges: tuple[FactorRange, ...] = ()


@dataclass(frozen=True)
class Capabilities:
    languages: tuple[str, ...]
    duration: DurationControl
    cloning: bool = False
    emotion_modes: frozenset[str] = frozenset()  # subset of {"reference", "vector", "preset", "text"}
    streaming: bool = False
    device: str = "cpu"


@dataclass(frozen=True)
class Voice:
    """A named voice: which engine speaks it and with what preset or reference audio."""

    name: str
    engine: str
    language: str
    preset: str | None = None  # engine-specific speaker/model selector
    reference: Path | None = None  # reference audio for engines that clone
    description: str = ""
    licence: str = ""


@dataclass(frozen=True)
class SynthesisControls:
    """Per-call settings. ``seed`` makes stochastic engines reproducible."""

    seed: int = 0
    emotion: Emotion | None = None


@dataclass(frozen=True)
class DurationTarget:
    """How long a line's *speech* (first phoneme to last, edge silences excluded) should last.

    The engine clamps the factor (``speech_seconds`` / natural speech length) into
    ``[min_factor, max_factor]`` intersected with its own safe range, so one synthesis run
    lands where the fitting policy wants it; fitting stretches only what remains. A factor
    inside one of ``stretch_ranges`` is not aimed at: the engine speaks at its natural pace
    and fitting stretches the whole take (see ``clamp_factor``).
    """

    speech_seconds: Fraction
    min_factor: float = 0.0
    max_factor: float = math.inf
    stretch_ranges: tuple[FactorRange, ...] = ()

    def leaves_natural(self, factor: float) -> bool:
        """Whether a line at ``factor`` is to be spoken at its natural pace (fitting stretches it)."""
        return any(r.holds(factor) for r in self.stretch_ranges)


def clamp_factor(factor: float, target: DurationTarget, engine_min: float, engine_max: float,
                 voice: str) -> tuple[float, str | None]:
    """``factor`` clamped into the target's range intersected with the engine's own.

    Returns the factor to speak at and a warning when the engine's own range (not the
    caller's) was what held it back: the caller asked for more than the voice can do.
    A factor the target leaves to stretching is spoken at 1 (the natural take).
    """
    if target.leaves_natural(factor):
        return 1.0, None
    lo, hi = max(target.min_factor, engine_min), min(target.max_factor, engine_max)
    if lo > hi:  # the caller's range lies outside the engine's: its nearest edge
        lo = hi = engine_max if target.min_factor > engine_max else engine_min
    clamped = min(max(factor, lo), hi)
    # A thousandth of slack: a target at the edge of the range, rounded, is still in it.
    if abs(clamped - factor) > 1e-3 and (clamped == engine_min or clamped == engine_max):
        return clamped, (f"target is {factor:.2f}x the natural length, outside the voice's range "
                         f"{engine_min}-{engine_max} ({voice}); spoke at {clamped:.2f}x")
    return clamped, None


@dataclass(frozen=True)
class SynthesisRequest:
    """One synthesis an engine will be asked for (see ``Engine.prepare``)."""

    text: str
    voice: Voice
    controls: SynthesisControls
    target: DurationTarget | None = None


@dataclass
class Synthesis:
    """What an engine made for one line.

    ``audio`` is mono float32 in [-1, 1] at ``sample_rate`` (the engine's own rate).
    ``natural_seconds`` is how long the engine speaks the line unforced, speech only, known
    from the model's own alignment (phoneme durations, token counts), also when a target was
    given; ``speech`` is the ``[first, end)`` sample span of the speech inside ``audio``,
    from the same alignment (None: the engine has none, fitting falls back to detecting
    silence); ``factor`` is the speech length achieved natively / natural.
    ``method`` is "natural" when no target was asked, "native" when the engine's own
    duration control produced the length.
    """

    audio: np.ndarray
    sample_rate: int
    natural_seconds: float
    method: str
    target_seconds: Fraction | None = None
    warnings: list[str] = field(default_factory=list)
    speech: tuple[int, int] | None = None
    factor: float = 1.0


@runtime_checkable
class Engine(Protocol):
    name: str
    model_version: str
    capabilities: Capabilities

    def voices(self) -> list[Voice]:
        """The voices this engine provides without user input."""
        ...

    def check(self, text: str) -> None:
        """Raise ``EngineError`` if ``text`` cannot be spoken; cheap, runs no model.

        Called for every line before any audio is made, so a bad line late in a job
        stops it before the first stem is written.
        """
        ...

    def prepare(self, requests: Sequence[SynthesisRequest]) -> None:
        """A hint: these syntheses will be asked for next, in this order.

        An engine may batch work ahead (IndexTTS2 runs its GPT over several lines of one
        voice at once); one that gains nothing from it does nothing. Never changes what
        ``synthesize`` returns: a prepared and an unprepared call give the same samples.
        """
        ...

    def synthesize(
        self,
        text: str,
        voice: Voice,
        controls: SynthesisControls,
        target: DurationTarget | None = None,
    ) -> Synthesis:
        """Speak ``text`` once; with a target, aim the speech at it natively.

        One model run per call: the natural length comes from the model's alignment, not
        from a separate unforced take. Raises ``EngineError`` for text the engine cannot
        speak. Deterministic for the same text, voice, controls and target.
        """
        ...
