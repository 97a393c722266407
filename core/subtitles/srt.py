"""SubRip (.srt) text -> raw cues; pysrt parses each cue, this module finds the cues.

Real files break the format's blank-line rule: a blank line inside a cue's text is kept
in the cue unless the next line starts a cue (a number followed by a timing, or a timing
alone, as hand-edited files have it). Every block that is not a cue is a Problem with its
line in the file.
"""
from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import pysrt

from ..errors import Problem
from ..timebase import TimeRange
from .model import CueList, RawCue

MS = Fraction(1000)
_TIME = r"\s*(\d{1,3}):(\d{1,2}):(\d{1,2})(?:[,.:](\d{1,3}))?\s*"
_TIMING = re.compile(_TIME + r"-->" + _TIME + r"(?:\s.*)?$")


# A timing line, well-formed or damaged ('00:00:08,000 -> 00:00:09,000'): a damaged one
# still starts a cue, so its error is reported on it instead of being read as text.
_TIMING_LIKE = re.compile(r"^\s*\d{1,3}:\d{1,2}[:.,;\d]*\s*(?:-{1,3}>|[→–—]>?|=>)")


def _is_timing(row: str) -> bool:
    return "-->" in row or _TIMING_LIKE.match(row) is not None


def _starts_cue(rows: list[str], i: int) -> bool:
    """Whether the non-blank line ``rows[i]`` begins a new cue."""
    if _is_timing(rows[i]):
        return True
    return rows[i].strip().isdigit() and i + 1 < len(rows) and _is_timing(rows[i + 1])


def blocks(text: str) -> list[tuple[int, list[str]]]:
    """Cue blocks with the 1-based line number each starts on."""
    rows = text.splitlines()
    out: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    blank_run: list[str] = []
    for i, raw in enumerate(rows):
        if not raw.strip():
            if current:
                blank_run.append("")
            continue
        if current and blank_run and (_starts_cue(rows, i) or not any("-->" in r for r in current[:2])):
            out.append((start, current))
            current = []
        if current and blank_run:
            current.extend(blank_run)  # a blank line inside the cue's text
        blank_run = []
        if not current:
            start = i + 1
        current.append(raw.rstrip())
    if current:
        out.append((start, current))
    return out


def _normal_timing(m: re.Match) -> str:
    """Canonical 'HH:MM:SS,mmm --> ...': milliseconds written with fewer digits ('2.5')
    are a fraction of a second, which pysrt would misread as 5 ms."""
    g = m.groups()

    def stamp(h: str, mi: str, s: str, frac: str | None) -> str:
        return f"{int(h):02d}:{int(mi):02d}:{int(s):02d},{(frac or '0').ljust(3, '0')}"

    return f"{stamp(*g[:4])} --> {stamp(*g[4:])}"


def parse_block(start: int, rows: list[str], path: Path) -> RawCue | Problem:
    # A block may lack its number line (common in hand-edited files): find the timing row.
    timing = next((i for i, r in enumerate(rows[:2]) if _is_timing(r)), None)
    number = rows[0].strip() if timing == 1 else "?"
    if timing is None:
        return Problem(f"not a cue (no 'start --> end' timing line): {rows[0][:40]!r}", path, start)
    m = _TIMING.match(rows[timing])
    if not m:
        return Problem(f"unparseable timing {rows[timing].strip()!r} (want HH:MM:SS,mmm --> HH:MM:SS,mmm)",
                       path, start + timing, number)
    rows = list(rows)
    rows[timing] = _normal_timing(m)
    try:
        item = pysrt.SubRipItem.from_lines(([] if timing else ["0"]) + rows)
    except (pysrt.InvalidItem, ValueError, AttributeError, IndexError):
        return Problem(f"unparseable timing {rows[timing].strip()!r}", path, start + timing, number)
    return RawCue(number, start, TimeRange(item.start.ordinal, item.end.ordinal, MS), item.text)


def parse(text: str, path: Path) -> CueList:
    found = CueList()
    for start, rows in blocks(text):
        got = parse_block(start, rows, path)
        if isinstance(got, Problem):
            timing = next((i for i, r in enumerate(rows[:2]) if _is_timing(r)), None)
            found.reject(got, "\n".join(rows[timing + 1:] if timing is not None else rows))
        else:
            found.cues.append(got)
    return found
