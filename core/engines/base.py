"""The engine interface: synthesize(text, voice, controls, target) -> Synthesis.

An engine declares what it can do in ``Capabilities``; callers never probe with hasattr.
A control an engine cannot honour comes back as a warning in the result, never silently
dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from ..lines import Emotion


@dataclass(frozen=True)
class DurationControl:
    """How an engine can be told the length to speak a line in.

    ``native`` engines take a target and land within ``resolution_seconds`` of it as long as
    the factor (target / natural length) lies in ``[min_factor, max_factor]``, the range in
    which the engine's own speech stays intelligible.
    """

    native: bool
    min_factor: float = 1.0
    max_factor: float = 1.0
    resolution_seconds: float = 0.0


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


@dataclass
class Synthesis:
    """What an engine made for one line.

    ``audio`` is mono float32 in [-1, 1] at ``sample_rate`` (the engine's own rate).
    ``natural_seconds`` is how long the engine speaks the line unforced (raw, untrimmed);
    ``method`` is "natural" when no target was asked, "native" when the engine's own
    duration control produced the length.
    """

    audio: np.ndarray
    sample_rate: int
    natural_seconds: float
    method: str
    target_seconds: Fraction | None = None
    warnings: list[str] = field(default_factory=list)


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

    def synthesize(
        self,
        text: str,
        voice: Voice,
        controls: SynthesisControls,
        target_seconds: Fraction | None = None,
    ) -> Synthesis:
        """Speak ``text``; with a target, aim the raw output at that length natively.

        Raises ``EngineError`` for text the engine cannot speak. Deterministic for the same
        text, voice, controls and target.
        """
        ...
