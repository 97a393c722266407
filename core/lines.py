"""The record every source produces and every later stage consumes: one timed line."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .timebase import TimeRange

# IndexTTS2's emotion vector order; the other engines map what they can and warn about the rest.
EMOTIONS = ("happy", "angry", "sad", "afraid", "disgusted", "melancholic", "surprised", "calm")


@dataclass(frozen=True)
class Emotion:
    """How a line should feel. At most one of the controls is normally set.

    preset + intensity: a name from ``EMOTIONS`` with strength 0-1; intensity None: not given,
    the engine applies its own default (IndexTTS2: 0.65, as its UI).
    vector: eight weights in ``EMOTIONS`` order.
    reference: an audio clip whose emotion is copied.
    description: free text ("冷笑一声", "trembling") for engines with a text-emotion model.
    """

    preset: str | None = None
    intensity: float | None = None
    vector: tuple[float, ...] | None = None
    reference: Path | None = None
    description: str | None = None

    def is_neutral(self) -> bool:
        return not (self.preset or self.vector or self.reference or self.description)


@dataclass(frozen=True)
class SourceRef:
    """Where a line came from, for error messages and conform matching."""

    file: Path | None = None
    line: int | None = None  # 1-based line in the file
    cue: str | None = None  # cue number, item id, marker name


@dataclass(frozen=True)
class Line:
    """One line of dialogue to be spoken in ``range`` on the timeline.

    ``id`` is stable across edits of the source (SRT cue number, OTIO item id, Resolve
    item id, Premiere guid) so a conform pass can match lines between runs.
    """

    id: str
    text: str
    range: TimeRange
    speaker: str | None = None
    voice: str | None = None  # explicit voice name; None lets the voice map decide
    emotion: Emotion | None = None
    source: SourceRef = field(default_factory=SourceRef)
