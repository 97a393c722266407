"""What changed between two versions of a cut, line by line, matched by stable id.

changed: text, voice, speaker or emotion differ (needs new synthesis);
re-timed: the slot's length differs (one native synthesis at the new length);
moved: same length at another position (audio reused as is);
added / removed / unchanged as named. A line that changed and moved counts as changed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .files import atomic_path
from .lines import Line

KINDS = ("added", "removed", "changed", "retimed", "moved", "unchanged")


@dataclass(frozen=True)
class LineChange:
    id: str
    kind: str  # one of KINDS
    what: tuple[str, ...] = ()  # fields that differ, for "changed"
    old_range: str | None = None
    new_range: str | None = None


@dataclass
class ConformReport:
    changes: list[LineChange] = field(default_factory=list)

    def ids(self, kind: str) -> list[str]:
        return [c.id for c in self.changes if c.kind == kind]

    def counts(self) -> dict[str, int]:
        return {k: len(self.ids(k)) for k in KINDS}

    def summary(self) -> str:
        """Human-readable report, one line per kind with the ids."""
        rows = []
        for kind in KINDS:
            ids = self.ids(kind)
            shown = ", ".join(ids[:20]) + (f", ... (+{len(ids) - 20})" if len(ids) > 20 else "")
            rows.append(f"{kind:>9}: {len(ids):4d}" + (f"  {shown}" if ids and kind != "unchanged" else ""))
        return "\n".join(rows)

    def to_dict(self) -> dict:
        return {"counts": self.counts(),
                "lines": [{"id": c.id, "kind": c.kind, "what": list(c.what),
                           "old_range": c.old_range, "new_range": c.new_range}
                          for c in self.changes]}

    def write(self, path: Path, root: Path | None = None) -> Path:
        path = Path(path)
        with atomic_path(path, root=root) as tmp:
            tmp.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path


def _rng(line: Line) -> str:
    r = line.range
    return f"{r.start}-{r.end}@{r.rate.numerator}/{r.rate.denominator}"


def compare(old: list[Line], new: list[Line]) -> ConformReport:
    """Classify every line of ``new`` (and every removed line of ``old``), in new's order."""
    before = {line.id: line for line in old}
    after_ids = {line.id for line in new}
    report = ConformReport()
    for line in new:
        prev = before.get(line.id)
        if prev is None:
            report.changes.append(LineChange(line.id, "added", new_range=_rng(line)))
            continue
        what = tuple(f for f in ("text", "voice", "speaker", "emotion")
                     if getattr(prev, f) != getattr(line, f))
        if what:
            kind = "changed"
        elif prev.range.duration_seconds != line.range.duration_seconds:
            kind = "retimed"
        elif prev.range.start_seconds != line.range.start_seconds:
            kind = "moved"
        else:
            kind = "unchanged"
        report.changes.append(LineChange(line.id, kind, what, _rng(prev), _rng(line)))
    for line in old:
        if line.id not in after_ids:
            report.changes.append(LineChange(line.id, "removed", old_range=_rng(line)))
    return report


def prune_stale(out_dir: Path, previous: list[Path], current: list[Path]) -> list[Path]:
    """Delete stems a previous render wrote that the current one no longer has.

    Only files the previous report listed, and only inside ``out_dir/lines``, are touched.
    """
    keep = {Path(p).resolve() for p in current}
    lines_dir = (Path(out_dir) / "lines").resolve()
    removed = []
    for p in previous:
        p = Path(p).resolve()
        if p not in keep and p.parent == lines_dir and p.is_file():
            p.unlink()
            removed.append(p)
    return removed


def previous_stems(out_dir: Path) -> list[Path]:
    """Stem files listed in ``out_dir/report.json`` from an earlier render, if any."""
    report = Path(out_dir) / "report.json"
    if not report.is_file():
        return []
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
        # By name inside out_dir/lines: the folder may have been moved or copied since.
        return [Path(out_dir) / "lines" / Path(line["file"]).name for line in data.get("lines", [])]
    except (ValueError, KeyError, TypeError):
        return []


def conform_pass(old: list[Line], new: list[Line], options, catalog=None):
    """Compare, render ``new`` through the cache, then delete stems of removed lines.

    A generator like ``render.dub``: yields the ``ConformReport`` first, then dub's events;
    the daemon and the CLI consume the same sequence. ``options.cache_dir`` should be set,
    or every line is synthesized again.
    """
    from .render import JobDone, dub

    changes = compare(old, new)
    changes.write(Path(options.out_dir) / "conform.json", root=options.output_root or options.out_dir)
    yield changes
    before = previous_stems(options.out_dir)
    for event in dub(new, options, catalog):
        if isinstance(event, JobDone):
            prune_stale(options.out_dir, before, [r.file for r in event.report.lines])
        yield event
