"""Latin letter names as Mandarin syllables, the way Chinese speakers spell out letters.

Used to keep Latin words audible on a Chinese-only voice (``iPhone`` -> ai fai ... spelled
letter by letter). Approximations within the Baker phone set, which has no English sounds.
"""
from __future__ import annotations

LETTER_SYLLABLES: dict[str, tuple[str, ...]] = {
    "a": ("ei1",), "b": ("bi4",), "c": ("xi1",), "d": ("di4",), "e": ("yi4",),
    "f": ("ai2", "fu5"), "g": ("ji4",), "h": ("ei1", "qu5"), "i": ("ai4",), "j": ("zhei4",),
    "k": ("kei4",), "l": ("ai2", "lou5"), "m": ("ai2", "mu5"), "n": ("en1",), "o": ("ou1",),
    "p": ("pi1",), "q": ("qiu1",), "r": ("a4", "er5"), "s": ("ai2", "si5"), "t": ("ti4",),
    "u": ("you1",), "v": ("wei1",), "w": ("da2", "bu5", "liu5"), "x": ("ai2", "ke4", "si5"),
    "y": ("wai4",), "z": ("zei4",),
}


def spell(word: str) -> list[tuple[str, str]]:
    """(letter, syllable) pairs for every letter of ``word``; other characters are skipped."""
    return [(ch, syl) for ch in word for syl in LETTER_SYLLABLES.get(ch.lower(), ())]
