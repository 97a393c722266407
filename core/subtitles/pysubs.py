"""WebVTT and ASS/SSA through pysubs2, mapped back to the file's own lines.

pysubs2 decides what is a cue and when it plays. It does not keep where a cue was in the
file, so each event is matched to its source line (the timing line of a WebVTT cue, the
``Dialogue:`` line of an ASS event) for error messages; a WebVTT cue's text is taken from
the source up to the blank line that ends it (pysubs2 would fold a following damaged cue's
timing into the text, and drops ``<v Name>`` speaker spans).
"""
from __future__ import annotations

import logging
import re
import warnings
from fractions import Fraction
from pathlib import Path

import pysubs2

from ..errors import Problem
from ..timebase import TimeRange
from .model import CueList, RawCue

log = logging.getLogger(__name__)
MS = Fraction(1000)
_VTT_STAMP = re.compile(r"^\s*(?:(\d+):)?(\d{1,2}):(\d{1,2})[.,](\d{1,3})\s+-->\s+(?:(\d+):)?(\d{1,2}):(\d{1,2})[.,](\d{1,3})")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>")
# What pysubs2 raises on damaged input besides its own errors (its parsers index and convert freely).
_PARSE_ERRORS = (pysubs2.exceptions.Pysubs2Error, ValueError, IndexError, KeyError, AttributeError,
                 TypeError, OverflowError, UnicodeError)


def _load(text: str, fmt: str, path: Path) -> pysubs2.SSAFile | Problem:
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            subs = pysubs2.SSAFile.from_string(text, format_=fmt)
        for w in caught:  # style fields it could not read: nothing a dub depends on
            log.info("%s: %s", path, w.message)
        return subs
    except _PARSE_ERRORS as e:
        kind = "WebVTT" if fmt == "vtt" else "ASS/SSA"
        return Problem(f"cannot read as {kind}: {e}", path)


def _ms(h: str | None, m: str, s: str, frac: str) -> int:
    return ((int(h or 0) * 60 + int(m)) * 60 + int(s)) * 1000 + int(frac.ljust(3, "0"))


def _block(rows: list[str], first: int) -> list[str]:
    """The rows from ``first`` up to the next blank one: a cue's text."""
    body = []
    for line in rows[first:]:
        if not line.strip():
            break
        body.append(line)
    return body


def parse_vtt(text: str, path: Path) -> CueList:
    found = CueList()
    subs = _load(text, "vtt", path)
    if isinstance(subs, Problem):
        found.reject(subs)
        return found
    rows = text.splitlines()
    timings = []  # (row index, start ms, end ms) of every well-formed timing line
    for i, source in enumerate(rows):
        if "-->" not in source:
            continue
        m = _VTT_STAMP.match(source)
        if m is None:
            body = _block(rows, i + 1)
            found.reject(Problem(f"unparseable timing {source.strip()[:60]!r} (want [HH:]MM:SS.mmm --> "
                                 "[HH:]MM:SS.mmm)", path, i + 1), "\n".join(body))
            continue
        g = m.groups()
        timings.append((i, _ms(*g[:4]), _ms(*g[4:])))
    at = 0
    for n, event in enumerate(subs, 1):
        while at < len(timings) and timings[at][1] != event.start:
            at += 1
        if at == len(timings):  # pysubs2 read a cue we cannot place: keep its own text
            found.cues.append(RawCue(str(n), 0, TimeRange(event.start, event.end, MS), event.text))
            continue
        row, start, end = timings[at]
        at += 1
        ident = rows[row - 1].strip() if row > 0 and rows[row - 1].strip() else str(n)
        raw = "\n".join(_block(rows, row + 1))
        voice = _VOICE.search(raw)
        found.cues.append(RawCue(ident, row + 1, TimeRange(start, end, MS), raw,
                                 voice.group(1).strip() if voice else None))
    return found


def parse_ass(text: str, path: Path) -> CueList:
    found = CueList()
    subs = _load(text, "ass", path)
    if isinstance(subs, Problem):
        found.reject(subs)
        return found
    dialogue_rows = [i + 1 for i, row in enumerate(text.splitlines()) if row.lstrip().startswith("Dialogue:")]
    n = 0
    for event in subs:
        if event.is_comment:
            continue
        row = dialogue_rows[n] if n < len(dialogue_rows) else 0
        n += 1
        if event.is_drawing:  # a vector shape (a sign's outline), nothing to say
            continue
        found.cues.append(RawCue(str(n), row, TimeRange(event.start, event.end, MS), event.text,
                                 event.name.strip() or None))
    return found
