"""A subtitle file -> Subtitles: decode, pick the format, read cues, clean their text as a
player shows it, take speaker prefixes, validate, identify each line's language.

Under ``on_error='error'`` every defect stops the read, listed with file, line and cue;
under 'skip'/'fix' each defect is dropped or repaired and written down as a Note, so the
report shows every cue that was not dubbed as written.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from ..errors import InputError, Problem
from ..lines import Line, SourceRef
from ..timebase import TimeRange
from . import pysubs, srt
from .clean import clean_text, cue_lines, join_lines
from .detect import detect_format
from .encoding import decode
from .model import FORMAT_NAMES, CueList, Note, RawCue, SpeakerTaken, Subtitles
from .speakers import SpeakerRules, split_cue

log = logging.getLogger(__name__)

MS = Fraction(1000)
_PARSERS = {"srt": srt.parse, "vtt": pysubs.parse_vtt, "ass": pysubs.parse_ass}


@dataclass(frozen=True)
class SubtitleOptions:
    """``on_error``: 'error' stops on any defect (default), 'skip' drops bad cues, 'fix'
    trims overlaps to the next cue's start and drops what cannot be fixed; either way each
    is a Note in the result. ``speaker_names`` are the names given with ``--speaker``."""

    encoding: str | None = None  # None = detect
    on_error: str = "error"
    speakers: bool = True  # read NAME: / [NAME] prefixes as the speaker
    speaker_names: frozenset[str] = frozenset()
    min_seconds: Fraction = Fraction(1, 5)  # shorter cues cannot hold speech
    languages: bool = True  # identify each line's language (loads py3langid for shared scripts)

    def __post_init__(self) -> None:
        if self.on_error not in ("error", "skip", "fix"):
            raise ValueError("on_error must be 'error', 'skip' or 'fix'")


@dataclass(frozen=True)
class Cue:
    """A cue after cleaning and speaker detection, before validation."""

    number: str
    line: int
    range: TimeRange
    text: str
    speaker: str | None
    rule: str = ""  # why the speaker was taken
    shown: str = ""  # the cue's text as a player shows it (speaker prefixes included)


def _cue(raw: RawCue, fmt: str, rules: SpeakerRules, notes: list[Note]) -> Cue:
    lines = cue_lines(raw.text, fmt)
    shown = join_lines(lines)
    if raw.speaker and rules.enabled:
        return Cue(raw.number, raw.line, raw.range, shown, rules.given(raw.speaker) or raw.speaker, "markup", shown)
    split = split_cue(lines, rules)
    if split.others:
        notes.append(Note("flagged", f"more than one speaker in the cue ({', '.join((split.speaker or '',) + split.others)}); "
                          f"all of it is spoken by {split.speaker}'s voice", raw.number, raw.line, shown))
    return Cue(raw.number, raw.line, raw.range, join_lines(split.lines), split.speaker, split.rule, shown)


def _validate(cues: list[Cue], path: Path, options: SubtitleOptions) -> tuple[list[Cue], list[Problem], list[Note]]:
    problems: list[Problem] = []
    notes: list[Note] = []
    kept = []
    skip = "skipped"

    def bad(message: str, cue: Cue, action: str = skip) -> None:
        problems.append(Problem(message, path, cue.line, cue.number))
        notes.append(Note(action, message, cue.number, cue.line, cue.shown))

    for i, cue in enumerate(cues):
        if not cue.text:
            bad("empty text", cue)
            continue
        if cue.range.duration <= 0:
            bad(f"zero or negative duration {cue.range}", cue)
            continue
        nxt = cues[i + 1] if i + 1 < len(cues) else None
        if nxt is not None and nxt.range.start < cue.range.end:
            overlap = Fraction(cue.range.end - nxt.range.start, 1000)
            message = f"overlaps cue {nxt.number} by {float(overlap):.3f}s"
            if options.on_error != "fix" or nxt.range.start <= cue.range.start:
                bad(message, cue)
                continue
            bad(f"{message}; end moved from {float(cue.range.end_seconds):.3f}s to "
                f"{float(nxt.range.start_seconds):.3f}s", cue, "fixed")
            cue = replace(cue, range=TimeRange(cue.range.start, nxt.range.start, MS))
        if cue.range.duration_seconds < options.min_seconds:
            bad(f"{float(cue.range.duration_seconds):.3f}s is too short to say anything "
                f"(minimum {float(options.min_seconds):.2f}s)", cue)
            continue
        kept.append(cue)
    return kept, problems, notes


def _speakers(cues: list[Cue]) -> tuple[SpeakerTaken, ...]:
    taken: dict[str, SpeakerTaken] = {}
    for cue in cues:
        if cue.speaker is None:
            continue
        had = taken.get(cue.speaker)
        taken[cue.speaker] = (replace(had, cues=had.cues + 1) if had
                              else SpeakerTaken(cue.speaker, cue.rule, 1, cue.number))
    return tuple(taken.values())


def _unique_id(number: str, line: int, seen: set[str]) -> str:
    """The cue number, made unique (duplicated or missing numbers get the file line)."""
    ident = number if number.isdigit() else f"L{line}"
    if ident in seen:
        ident = f"{ident}-L{line}"
    seen.add(ident)
    return ident


def parse_text(text: str, path: Path, fmt: str | None = None) -> tuple[str, CueList]:
    """Decoded text -> (format, raw cues and problems); the format from the content when not given."""
    fmt = fmt or detect_format(text, path)
    return fmt, _PARSERS[fmt](text, path)


def read_subtitles(path: Path | str, options: SubtitleOptions = SubtitleOptions()) -> Subtitles:
    """Read, clean and validate a SubRip, WebVTT or ASS/SSA file. Raises InputError listing
    every defect, unless ``options.on_error`` says to skip or fix them."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(Problem(f"cannot read subtitle file: {e.strerror}", path)) from None
    decoded = decode(data, path, options.encoding)
    fmt, found = parse_text(decoded.text, path)
    rules = SpeakerRules(options.speakers, options.speaker_names)
    notes: list[Note] = [Note("skipped", p.message, p.cue, p.line, clean_text(text, fmt))
                         for p, text in zip(found.problems, found.problem_texts)]
    cues = sorted((_cue(raw, fmt, rules, notes) for raw in found.cues), key=lambda c: (c.range.start, c.line))
    cues, problems, checked = _validate(cues, path, options)
    problems = list(found.problems) + problems
    notes += checked
    if problems and options.on_error == "error":
        raise InputError(problems)
    for note in notes:
        if note.action != "flagged":
            log.warning("%s cue %s: %s (%s)", path, note.cue, note.message, note.action)
    if not cues:
        raise InputError(Problem(f"no cues with text found (read as {FORMAT_NAMES[fmt]}, {decoded.encoding})", path))
    languages = None
    if options.languages:
        from .language import identify

        languages = identify([c.text for c in cues])
    seen: set[str] = set()
    lines = [
        Line(id=_unique_id(c.number, c.line, seen), text=c.text, range=c.range, speaker=c.speaker,
             source=SourceRef(path, c.line, c.number), language=languages[i].code if languages else None)
        for i, c in enumerate(cues)
    ]
    return Subtitles(path, fmt, decoded.encoding, lines, tuple(notes), _speakers(cues), decoded.reason)


def read_lines(path: Path | str, options: SubtitleOptions = SubtitleOptions()) -> list[Line]:
    """Just the lines of ``read_subtitles``."""
    return read_subtitles(path, options).lines
