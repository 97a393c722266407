"""Inline reading overrides, in the two styles users write.

``他重(chóng)返战场`` (tone marks, ASCII or full-width parentheses) and ``重{chong2}新开始``
(tone digits, braces; tone marks work there too). N syllables set the readings of the N Han
characters just before the bracket: ``重庆{chong2 qing4}``. Parentheses are also ordinary
punctuation, so ``(...)`` counts as an override only when every word in it carries a tone
(mark or digit); braces always do, and an unreadable brace is an error.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .pinyin import PinyinError, split_syllable, to_tone3
from .script import HAN

_MARKUP = re.compile(
    rf"(?P<han>[{HAN}]+)(?:[(（](?P<paren>[^()（）]*)[)）]|[{{｛](?P<brace>[^{{}}｛｝]*)[}}｝])"
)
_TONE_MARKED = re.compile(r"[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ]|[1-5]$", re.IGNORECASE)
_PINYINISH = re.compile(r"^[a-zA-Zü:āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ]+[0-5]?$", re.IGNORECASE)


class OverrideError(ValueError):
    """An override that cannot be a reading; the message says which and where (1-based column)."""


@dataclass(frozen=True)
class Piece:
    """A run of plain text, or one Han character with a forced syllable (tone3, e.g. 'chong2')."""

    text: str
    syllable: str | None = None
    column: int | None = None  # 1-based column of the reading in the line, for error messages


def _words(body: str) -> list[str]:
    return [w for w in re.split(r"[\s,，'’\-]+", body.strip()) if w]


def _is_override(body: str, brace: bool) -> bool:
    words = _words(body)
    if brace:
        return True
    return bool(words) and all(_PINYINISH.match(w) and _TONE_MARKED.search(w) for w in words)


def parse_overrides(text: str) -> list[Piece]:
    """Split ``text`` into plain runs and forced single characters, markup removed."""
    pieces: list[Piece] = []
    pos = 0
    for m in _MARKUP.finditer(text):
        brace = m.group("brace") is not None
        body = m.group("brace") if brace else m.group("paren")
        if not _is_override(body, brace):
            continue
        words = _words(body)
        han = m.group("han")
        column = m.start("brace" if brace else "paren") + 1
        if not words:
            raise OverrideError(f"empty reading after {han[-1]!r} at column {column}")
        if len(words) > len(han):
            raise OverrideError(
                f"reading {body.strip()!r} at column {column} has {len(words)} syllables "
                f"but only {len(han)} Chinese character(s) precede it"
            )
        syllables = []
        for w in words:
            try:
                syllables.append(to_tone3(w))
                split_syllable(syllables[-1])
            except PinyinError as e:
                raise OverrideError(f"reading {w!r} at column {column}: {e}") from None
        forced_at = m.end("han") - len(words)
        if forced_at > pos:
            pieces.append(Piece(text[pos:forced_at]))
        pieces.extend(Piece(ch, syl, column) for ch, syl in zip(text[forced_at : m.end("han")], syllables))
        pos = m.end()
    if pos < len(text):
        pieces.append(Piece(text[pos:]))
    return pieces
