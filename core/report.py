"""The per-line and per-job records a dub produces, and their JSON form."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .files import atomic_path


# Engine warnings that mean part of a line is not heard as written, and their flag.
_LISTEN_WARNINGS = (("no reading for", "reading"), ("generation hit max_mel_tokens", "cut"))


@dataclass(frozen=True)
class LineResult:
    """One fitted line as written: its stem and where it sits on the timeline."""

    id: str
    text: str
    voice: str
    start_sample: int
    end_sample: int  # exclusive
    file: Path
    natural_seconds: float  # trimmed speech length the voice takes unforced
    target_seconds: float  # slot length the speech was fitted to
    factor: float  # target / natural
    method: str  # natural | native | native+stretch | stretch (+squeeze)
    # The speech is shorter than its slot and silence fills the rest: the right result for a
    # short line in a long slot, so not a flag (fit's "too_short" is turned into this).
    padded: bool = False
    warnings: tuple[str, ...] = ()
    sha256: str = ""
    speaker: str | None = None
    flag: str | None = None  # too_long | too_short
    language: str | None = None  # the line's identified language (ISO 639-1), when known

    def __post_init__(self) -> None:
        # ``flag`` means a person should listen: too_long (compressed past the policy, or
        # cut), reading (part of the text had no reading), cut (the model stopped early).
        if self.flag == "too_short":
            object.__setattr__(self, "flag", None)
            object.__setattr__(self, "padded", True)
        if self.flag is None:
            heard = next((flag for w in self.warnings for prefix, flag in _LISTEN_WARNINGS if w.startswith(prefix)),
                         None)
            object.__setattr__(self, "flag", heard)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["file"] = str(self.file)
        d["warnings"] = list(self.warnings)
        return d


@dataclass(frozen=True)
class ExportedFile:
    """A file made from the finished lines in the same run as the stems and track (a timeline
    or delivery file), listed in report.json with its hash like every other file there."""

    file: Path
    sha256: str

    def to_dict(self) -> dict:
        return {"file": str(self.file), "sha256": self.sha256}


@dataclass
class DubReport:
    sample_rate: int
    bit_depth: int
    track: Path
    lines: list[LineResult]
    failed: list[dict] = field(default_factory=list)
    cache: dict = field(default_factory=dict)  # CacheStats when a cache was used
    # What the reader of the input decided (format, encoding, speakers taken, every cue
    # skipped, fixed or flagged): Subtitles.report(), empty for other sources.
    input: dict = field(default_factory=dict)
    # Timeline and delivery files of this run (``DubOptions.exports``), committed with it.
    exports: list[ExportedFile] = field(default_factory=list)

    def summary(self) -> dict:
        methods: dict[str, int] = {}
        for r in self.lines:
            methods[r.method] = methods.get(r.method, 0) + 1
        return {
            "lines": len(self.lines),
            "failed": len(self.failed),
            "flagged": sum(1 for r in self.lines if r.flag),
            "padded": sum(1 for r in self.lines if r.padded),
            "listen": self.listen(),
            "methods": methods,
        }

    def listen(self) -> list[dict]:
        """The lines a person should listen to: flagged ones, then failed ones."""
        flagged = [{"id": r.id, "reason": r.flag} for r in self.lines if r.flag]
        return flagged + [{"id": f["id"], "reason": "failed"} for f in self.failed]

    def to_dict(self) -> dict:
        return {
            "sample_rate": self.sample_rate,
            "bit_depth": self.bit_depth,
            "track": str(self.track),
            "summary": self.summary(),
            "lines": [r.to_dict() for r in self.lines],
            "failed": self.failed,
            **({"cache": self.cache} if self.cache else {}),
            **({"input": self.input} if self.input else {}),
            **({"exports": [e.to_dict() for e in self.exports]} if self.exports else {}),
        }


def write_report(path: Path, report: DubReport, root: Path | None = None) -> None:
    """report.json, atomically; ``root``: the folder the write is confined to."""
    with atomic_path(path, root=root) as tmp:
        tmp.write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
