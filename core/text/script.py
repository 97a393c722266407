"""Which writing system text is in: enough to route a line to a voice and find Latin spans."""
from __future__ import annotations

import re

# CJK Unified Ideographs, Extension A, and Compatibility Ideographs (as regex class ranges).
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_CHAR = re.compile(f"[{HAN}]")
# A Latin word: letters with inner apostrophes, dots or hyphens (U.S., rock'n'roll, Wi-Fi).
LATIN_WORD = re.compile(r"[A-Za-z]+(?:['’.\-][A-Za-z]+)*\.?")


def has_han(text: str) -> bool:
    return _HAN_CHAR.search(text) is not None


def is_han(ch: str) -> bool:
    return _HAN_CHAR.match(ch) is not None


def script_of(text: str) -> str:
    """'han' if the text contains any Han character, else 'latin' (the embedded voices' two scripts)."""
    return "han" if has_han(text) else "latin"
