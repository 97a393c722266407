"""A Chinese line -> what to say: syllables with their readings, pauses, and Latin spans.

Order: user-dictionary words -> inline overrides -> number/date/unit normalisation ->
user-dictionary readings -> G2P (pypinyin, whose phrase dictionary settles most polyphones
such as 银行 yin2 hang2 / 行走 xing2 zou3 and gives 一/不 their tone changes) -> tokens.
Latin words are never dropped: they are spelled with letter names, kept as spans for an
English voice, or refused, as ``LatinPolicy`` says.
"""
from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from .letters import spell
from .overrides import Piece, parse_overrides
from .script import LATIN_WORD, is_han
from .userdict import UserDictionary
from .zh_normalize import normalize_zh

MINOR_PAUSE = set("，、；：,;:—")
# Full-width digits, letters and number signs (common in Chinese typing) -> ASCII, one to one,
# so override columns stay right and the number rules see them.
_HALF_WIDTH = {cp: cp - 0xFEE0 for cp in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B),
                                          0xFF05, 0xFF0B, 0xFF0D, 0xFF0E]}
# Words where 儿 is the rhotic suffix, not a syllable of its own (哪儿 nǎr, 一点儿 yìdiǎnr);
# pypinyin reads every 儿 as ér, so erhua is recognised from the character before it.
ERHUA_BEFORE = set("哪这那点会块玩孩事味空活边头伴圈谱馅")
MAJOR_PAUSE = set("。！？!?…．")


class LatinPolicy(str, enum.Enum):
    SPELL = "spell"  # letter names in Mandarin
    ENGLISH = "english"  # keep as spans for an English voice, stitched into the line
    ERROR = "error"  # refuse the line


@dataclass(frozen=True)
class Reading:
    """One Han character (or spelled letter) and its syllable in tone3 form ('chong2')."""

    char: str
    syllable: str
    source: str = "g2p"  # "g2p" | "override" | "dictionary" | "spelled"
    column: int | None = None  # 1-based column of an inline override, for error messages


@dataclass(frozen=True)
class Pause:
    strength: str  # "minor" (comma) | "major" (sentence end)


@dataclass(frozen=True)
class LatinSpan:
    text: str


Token = Reading | Pause | LatinSpan


@dataclass(frozen=True)
class FrontendOptions:
    latin: LatinPolicy = LatinPolicy.ENGLISH
    dictionary: UserDictionary = field(default_factory=UserDictionary)


@dataclass(frozen=True)
class Utterance:
    """The analysed line: normalised text, tokens, and characters that have no sound."""

    text: str
    tokens: tuple[Token, ...]
    silent: str = ""  # symbols with no reading (quotes, emoji, ...), reported as a warning


class LatinRefused(ValueError):
    """A Latin word in a Chinese line under LatinPolicy.ERROR."""


def analyse(text: str, options: FrontendOptions = FrontendOptions()) -> Utterance:
    """Raise ``OverrideError`` for a malformed inline reading, ``LatinRefused`` per policy."""
    pieces = parse_overrides(options.dictionary.replace_words(text.translate(_HALF_WIDTH)))
    chars, forced = _normalise(pieces)
    _apply_dictionary(chars, forced, options.dictionary)
    normalised = "".join(chars)
    syllables = _g2p(normalised)
    tokens: list[Token] = []
    silent: list[str] = []
    i = 0
    while i < len(chars):
        ch = chars[i]
        if is_han(ch):
            if i in forced:
                syl, source, column = forced[i]
                tokens.append(Reading(ch, syl, source, column))
            else:
                tokens.append(Reading(ch, syllables[i]))
        elif m := LATIN_WORD.match(normalised, i):
            tokens.extend(_latin(m.group(0), options.latin, text))
            i = m.end()
            continue
        elif ch in MINOR_PAUSE or ch in MAJOR_PAUSE:
            _add_pause(tokens, "major" if ch in MAJOR_PAUSE else "minor")
        elif not ch.isspace() and ch not in "\"'“”‘’「」『』《》〈〉()（）[]【】":
            silent.append(ch)
        i += 1
    tokens = _merge_erhua(tokens)
    while tokens and isinstance(tokens[-1], Pause):  # the engine ends every line in silence
        tokens.pop()
    while tokens and isinstance(tokens[0], Pause):
        tokens.pop(0)
    return Utterance(normalised, tuple(tokens), "".join(silent))


def _normalise(pieces: list[Piece]) -> tuple[list[str], dict[int, tuple[str, str, int | None]]]:
    chars: list[str] = []
    forced: dict[int, tuple[str, str, int | None]] = {}
    for piece in pieces:
        if piece.syllable is None:
            chars.extend(normalize_zh(piece.text))
        else:
            forced[len(chars)] = (piece.syllable, "override", piece.column)
            chars.append(piece.text)
    return chars, forced


def _apply_dictionary(chars: list[str], forced: dict, dictionary: UserDictionary) -> None:
    text = "".join(chars)
    for term in sorted(dictionary.readings, key=len, reverse=True):
        start = text.find(term)
        while start >= 0:
            span = range(start, start + len(term))
            if not any(i in forced for i in span):
                for i, syl in zip(span, dictionary.readings[term]):
                    forced[i] = (syl, "dictionary", None)
            start = text.find(term, start + len(term))


def _g2p(text: str) -> list[str]:
    """One tone3 syllable per Han character, '' for everything else, aligned with ``text``."""
    from pypinyin import Style, lazy_pinyin

    # pypinyin's errors callback may return a list (one item per character); its stub says str.
    per_char = cast(Callable[[str], str], lambda run: ["" for _ in run])
    out = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True, errors=per_char)
    if len(out) != len(text):  # pypinyin grouped something unexpectedly; go char by char
        one = cast(Callable[[str], str], lambda run: [""])
        out = [lazy_pinyin(ch, style=Style.TONE3, neutral_tone_with_five=True, errors=one)[0] for ch in text]
    return out


def _latin(word: str, policy: LatinPolicy, line: str) -> list[Token]:
    if policy is LatinPolicy.SPELL:
        return [Reading(letter, syl, "spelled") for letter, syl in spell(word)]
    if policy is LatinPolicy.ERROR:
        raise LatinRefused(
            f"Latin word {word!r} in a Chinese line; add it to the reading dictionary's [words], "
            f"or choose the Latin policy 'spell' or 'english' (--latin)"
        )
    return [LatinSpan(word.rstrip("."))]


def _merge_erhua(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for token in tokens:
        prev = out[-1] if out else None
        if (isinstance(token, Reading) and token.char == "儿" and token.source == "g2p"
                and isinstance(prev, Reading) and prev.source == "g2p" and prev.char in ERHUA_BEFORE):
            # dian3 + er -> dianr3: the final takes the r colouring (Baker: d ian3 er5).
            out[-1] = Reading(prev.char + "儿", prev.syllable[:-1] + "r" + prev.syllable[-1], "g2p")
            continue
        out.append(token)
    return out


def _add_pause(tokens: list[Token], strength: str) -> None:
    if tokens and isinstance(tokens[-1], Pause):
        if strength == "major":
            tokens[-1] = Pause("major")
        return
    tokens.append(Pause(strength))
