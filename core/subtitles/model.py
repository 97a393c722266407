"""The records the subtitle readers share: a cue as a format reader found it, what the
reader did to a cue (kept for the report), and the result of reading a file."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..lines import Line
from ..timebase import TimeRange

FORMATS = ("srt", "vtt", "ass")
FORMAT_NAMES = {"srt": "SubRip", "vtt": "WebVTT", "ass": "ASS/SSA"}


@dataclass(frozen=True)
class RawCue:
    """One cue as its format reader found it, before cleaning and speaker detection.

    ``text`` keeps the file's markup (tags, entities, ``\\N``); ``speaker`` is set only by
    explicit speaker markup of the format (an ASS event's Name, a WebVTT ``<v Name>`` span).
    """

    number: str
    line: int  # 1-based line in the file where the cue starts
    range: TimeRange
    text: str
    speaker: str | None = None


@dataclass(frozen=True)
class Note:
    """Something done to a cue that the user must be able to see in the report:
    ``action`` is 'skipped' (cue not dubbed), 'fixed' (cue changed) or 'flagged' (dubbed
    as read, but worth a look)."""

    action: str
    message: str
    cue: str | None = None
    line: int | None = None
    text: str = ""  # the cue's text as read, so a skipped cue's words are not lost

    def to_dict(self) -> dict:
        return {"action": self.action, "cue": self.cue, "line": self.line, "message": self.message,
                "text": self.text}


@dataclass(frozen=True)
class SpeakerTaken:
    """A prefix read as a speaker name: which rule took it, on how many cues."""

    name: str
    rule: str  # caps | bracket | dialogue | given | markup | cjk
    cues: int
    first_cue: str

    def to_dict(self) -> dict:
        return {"name": self.name, "rule": self.rule, "cues": self.cues, "first_cue": self.first_cue}


@dataclass(frozen=True)
class Subtitles:
    """A subtitle file read into lines, with what the reader decided on the way."""

    path: Path
    format: str  # one of FORMATS
    encoding: str
    lines: list[Line]
    notes: tuple[Note, ...] = ()
    speakers: tuple[SpeakerTaken, ...] = ()
    encoding_reason: str = ""

    def report(self) -> dict:
        """The ``input`` section of report.json."""
        return {
            "file": str(self.path),
            "format": self.format,
            "encoding": self.encoding,
            **({"encoding_reason": self.encoding_reason} if self.encoding_reason else {}),
            "speakers": [s.to_dict() for s in self.speakers],
            "notes": [n.to_dict() for n in self.notes],
        }


@dataclass(frozen=True)
class CueList:
    """What a format reader returns: the cues it could read and a problem per block it could not."""

    cues: list[RawCue] = field(default_factory=list)
    problems: list = field(default_factory=list)  # list[Problem]
    # The raw text of the block each problem is about ('' when none), so a skipped block's
    # words reach the report: problem_texts[i] belongs to problems[i].
    problem_texts: list[str] = field(default_factory=list)

    def reject(self, problem, text: str = "") -> None:
        self.problems.append(problem)
        self.problem_texts.append(text)
