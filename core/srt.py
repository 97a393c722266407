"""SubRip (.srt) subtitles -> Lines, with the robustness real subtitle files need.

pysrt parses each cue; this module owns what pysrt does not: encoding detection (BOMs,
UTF-16, cp1252, GBK/GB18030), markup stripping, speaker prefixes, and a validation pass
that reports every defect with its cue number and line in the file.
"""
from __future__ import annotations

import codecs
import logging
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import pysrt

from .errors import InputError, Problem
from .lines import Line, SourceRef
from .timebase import TimeRange

log = logging.getLogger(__name__)

MS = Fraction(1000)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_ASS_TAG = re.compile(r"\{\\[^{}]*\}")  # {\an8}; plain {..} is a reading override, kept
_SPEAKER_BRACKET = re.compile(r"^\s*\[([^\[\]\d]{1,40})\]\s*(.*)$", re.S)
_SPEAKER_COLON = re.compile(r"^\s*([^\W\d_][^:：\d\n]{0,30}?)\s*[:：]\s+(.*)$", re.S)
_SPEAKER_COLON_CJK = re.compile(r"^\s*([\u4e00-\u9fff]{1,4})：\s*(.*)$", re.S)
_DIALOGUE_DASH = re.compile(r"^\s*[-–—]\s*")
_TIME = r"\s*(\d{1,3}):(\d{1,2}):(\d{1,2})(?:[,.:](\d{1,3}))?\s*"
_TIMING = re.compile(_TIME + r"-->" + _TIME + r"(?:\s.*)?$")


@dataclass(frozen=True)
class SrtOptions:
    """``on_error``: 'error' stops on any defect (default), 'skip' drops bad cues,
    'fix' trims overlaps to the next cue's start and drops what cannot be fixed."""

    encoding: str | None = None  # None = detect
    on_error: str = "error"
    speakers: bool = True  # read NAME: / [NAME] prefixes as the speaker
    min_seconds: Fraction = Fraction(1, 5)  # shorter cues cannot hold speech

    def __post_init__(self) -> None:
        if self.on_error not in ("error", "skip", "fix"):
            raise ValueError("on_error must be 'error', 'skip' or 'fix'")


@dataclass(frozen=True)
class Cue:
    """One parsed cue before validation."""

    number: str
    line: int  # line of the cue number in the file
    range: TimeRange
    text: str
    speaker: str | None


def decode(data: bytes, path: Path, encoding: str | None = None) -> str:
    """Bytes -> text: explicit encoding, else BOM, else UTF-8, else GB18030 or cp1252."""
    if encoding:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError) as e:
            raise InputError(Problem(f"cannot decode as {encoding}: {e}", path)) from None
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name)
    if len(data) >= 4 and (data[1::2].count(0) > len(data) // 4 or data[0::2].count(0) > len(data) // 4):
        return data.decode("utf-16-le" if data[1::2].count(0) > data[0::2].count(0) else "utf-16-be")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
        non_ascii = [c for c in text if ord(c) > 127]
        cjk = sum(1 for c in non_ascii if "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f"
                  or "\uff00" <= c <= "\uffef")
        if non_ascii and cjk / len(non_ascii) > 0.9:
            return text
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise InputError(Problem("cannot detect the text encoding; pass it explicitly (--encoding)", path)) from None


def clean_text(text: str) -> str:
    """Strip HTML/ASS markup and dialogue dashes; join the cue's lines with spaces."""
    text = _ASS_TAG.sub("", _HTML_TAG.sub("", text))
    parts = [_DIALOGUE_DASH.sub("", p).strip() for p in text.splitlines()]
    return " ".join(p for p in parts if p)


def split_speaker(text: str) -> tuple[str | None, str]:
    """'[ANNA] Hi' / 'ANNA: Hi' / '张三：你好' -> ('ANNA', 'Hi')."""
    for pattern in (_SPEAKER_BRACKET, _SPEAKER_COLON_CJK, _SPEAKER_COLON):
        m = pattern.match(text)
        if m and m.group(2).strip():
            return m.group(1).strip(), m.group(2).strip()
    return None, text


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """Blank-line separated blocks with the 1-based line number each starts on."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if raw.strip():
            if not current:
                start = number
            current.append(raw.rstrip())
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


def _parse_block(start: int, rows: list[str], path: Path, options: SrtOptions) -> Cue | Problem:
    # A block may lack its number line (common in hand-edited files): find the timing row.
    timing = next((i for i, r in enumerate(rows[:2]) if "-->" in r), None)
    number = rows[0].strip() if timing == 1 else "?"
    if timing is None:
        return Problem(f"unparseable block (no 'start --> end' timing): {rows[0][:40]!r}", path, start)
    m = _TIMING.match(rows[timing])
    if not m:
        return Problem(f"unparseable timing {rows[timing].strip()!r} (want HH:MM:SS,mmm --> HH:MM:SS,mmm)",
                       path, start + timing, number)
    rows = list(rows)
    rows[timing] = _normal_timing(m)
    try:
        item = pysrt.SubRipItem.from_lines(([] if timing else ["0"]) + rows)
    except (pysrt.InvalidItem, ValueError, AttributeError):
        return Problem(f"unparseable timing {rows[timing].strip()!r}", path, start + timing, number)
    rng = TimeRange(item.start.ordinal, item.end.ordinal, MS)
    text = clean_text(item.text)
    speaker = None
    if options.speakers:
        speaker, text = split_speaker(text)
    return Cue(number, start, rng, text, speaker)


def _normal_timing(m: re.Match) -> str:
    """Canonical 'HH:MM:SS,mmm --> ...': milliseconds written with fewer digits ('2.5')
    are a fraction of a second, which pysrt would misread as 5 ms."""
    g = m.groups()

    def stamp(h, mi, s, frac):
        return f"{int(h):02d}:{int(mi):02d}:{int(s):02d},{(frac or '0').ljust(3, '0')}"

    return f"{stamp(*g[:4])} --> {stamp(*g[4:])}"


def _validate(cues: list[Cue], path: Path, options: SrtOptions) -> tuple[list[Cue], list[Problem]]:
    problems, kept = [], []
    for i, cue in enumerate(cues):
        where: dict[str, Any] = dict(file=path, line=cue.line, cue=cue.number)
        if not cue.text:
            problems.append(Problem("empty text", **where))
            continue
        if cue.range.duration <= 0:
            problems.append(Problem(f"zero or negative duration {cue.range}", **where))
            continue
        nxt = cues[i + 1] if i + 1 < len(cues) else None
        if nxt is not None and nxt.range.start < cue.range.end:
            overlap = Fraction(cue.range.end - nxt.range.start, 1000)
            problems.append(Problem(f"overlaps cue {nxt.number} by {float(overlap):.3f}s", **where))
            if options.on_error != "fix" or nxt.range.start <= cue.range.start:
                continue
            cue = Cue(cue.number, cue.line, TimeRange(cue.range.start, nxt.range.start, MS), cue.text, cue.speaker)
        if cue.range.duration_seconds < options.min_seconds:
            problems.append(Problem(
                f"{float(cue.range.duration_seconds):.3f}s is too short to say anything "
                f"(minimum {float(options.min_seconds):.2f}s)", **where))
            continue
        kept.append(cue)
    return kept, problems


def read_srt(path: Path | str, options: SrtOptions = SrtOptions()) -> list[Line]:
    """Parse and validate an SRT file. Raises InputError listing every defect, unless
    ``options.on_error`` says to skip or fix them."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(Problem(f"cannot read subtitle file: {e.strerror}", path)) from None
    text = decode(data, path, options.encoding)
    parsed = [_parse_block(start, rows, path, options) for start, rows in _blocks(text)]
    problems = [p for p in parsed if isinstance(p, Problem)]
    cues = sorted((c for c in parsed if isinstance(c, Cue)), key=lambda c: (c.range.start, c.line))
    cues, found = _validate(cues, path, options)
    problems += found
    if problems and options.on_error == "error":
        raise InputError(problems)
    for problem in problems:
        log.warning("%s (%s)", problem, "fixed" if options.on_error == "fix" else "skipped")
    if not cues:
        raise InputError(Problem("no cues with text found", path))
    return [
        Line(id=_unique_id(c.number, c.line, seen), text=c.text, range=c.range, speaker=c.speaker,
             source=SourceRef(path, c.line, c.number))
        for seen in [set[str]()] for c in cues
    ]


def _unique_id(number: str, line: int, seen: set[str]) -> str:
    """The cue number, made unique (duplicated or missing numbers get the file line)."""
    ident = number if number.isdigit() else f"L{line}"
    if ident in seen:
        ident = f"{ident}-L{line}"
    seen.add(ident)
    return ident
