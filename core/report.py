"""The per-line and per-job records a dub produces, and their JSON form."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .files import atomic_path


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
    warnings: tuple[str, ...] = ()
    sha256: str = ""
    speaker: str | None = None
    flag: str | None = None  # too_long | too_short

    def to_dict(self) -> dict:
        d = asdict(self)
        d["file"] = str(self.file)
        d["warnings"] = list(self.warnings)
        return d


@dataclass
class DubReport:
    sample_rate: int
    bit_depth: int
    track: Path
    lines: list[LineResult]
    failed: list[dict] = field(default_factory=list)
    cache: dict = field(default_factory=dict)  # CacheStats when a cache was used

    def summary(self) -> dict:
        methods: dict[str, int] = {}
        for r in self.lines:
            methods[r.method] = methods.get(r.method, 0) + 1
        return {
            "lines": len(self.lines),
            "failed": len(self.failed),
            "flagged": sum(1 for r in self.lines if r.flag),
            "methods": methods,
        }

    def to_dict(self) -> dict:
        return {
            "sample_rate": self.sample_rate,
            "bit_depth": self.bit_depth,
            "track": str(self.track),
            "summary": self.summary(),
            "lines": [r.to_dict() for r in self.lines],
            "failed": self.failed,
            **({"cache": self.cache} if self.cache else {}),
        }


def write_report(path: Path, report: DubReport, root: Path | None = None) -> None:
    """report.json, atomically; ``root``: the folder the write is confined to."""
    with atomic_path(path, root=root) as tmp:
        tmp.write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
