"""One exception root with small subclasses named for the failure.

Every message names what went wrong and where (file, line, cue), so the CLI can print it as
one line and the daemon can map it to a status code.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class DublineError(Exception):
    """Root of every error Dubline raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One defect in an input: where it is and what is wrong."""

    message: str
    file: Path | None = None
    line: int | None = None  # 1-based line in the file
    cue: str | None = None  # cue number or item id

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(f"{self.file}:{self.line}" if self.line else str(self.file))
        if self.cue is not None:
            where.append(f"cue {self.cue}")
        return f"{' '.join(where)}: {self.message}" if where else self.message


class InputError(DublineError):
    """The input (subtitle, timeline, request) is missing, unreadable or invalid."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        head = str(self.problems[0])
        more = len(self.problems) - 1
        super().__init__(head + (f" (and {more} more problem{'s' * (more > 1)})" if more else ""))


class TimeFormatError(InputError):
    """A frame rate or timecode that cannot be parsed or is not supported."""


class VoiceError(DublineError):
    """A voice name that no engine provides, or a voice an engine cannot use."""


class ModelMissingError(DublineError):
    """Model files are missing; the message lists exactly what and where it looked."""


class EngineError(DublineError):
    """An engine failed on a line (bad text for its phone set, out of memory, ...)."""


class FitError(DublineError):
    """A line cannot be fitted at all (for example its slot is too short to say anything)."""


class OutputError(DublineError):
    """Output cannot be written where asked (outside the output root, not writable, ...)."""


class DiskFullError(OutputError):
    """The disk (or the user's quota) filled up while writing ``path``."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        super().__init__(f"{path}: disk full (no space left on the device, or quota exceeded); "
                         f"free some space and run again")

    def __reduce__(self):  # pickles (process pools) with its one argument
        return (type(self), (self.path,))


class ClusterError(DublineError):
    """The Ray cluster cannot be reached, is not installed, or lost every worker."""
