"""Text as IndexTTS2 reads it when the nemo/wetext normaliser is not installed.

Upstream's ``TextNormalizer`` runs nemo-text-processing and then its punctuation map
(``。`` -> ``.``, ``！`` -> ``!``, ``；`` -> ``,``...), and the tokenizer splits a long line at
the ``. ! ?`` that map produces. Without nemo the map must still apply, or a long Chinese
line never splits at its sentence ends; and digits must still be read, since the BPE model
has no sensible reading for them. This module does both, with the package's own maps and
Dubline's number readers (``core/text``), behind the two methods the tokenizer calls.
"""
from __future__ import annotations

import re

from ...text.script import has_han
from ...text.zh_normalize import normalize_zh

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
         "fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_NUMBER = re.compile(r"(?<![\w.])(-?)(\d+(?:,\d{3})*)(?:\.(\d+))?%?")


def english_integer(n: int) -> str:
    """A cardinal in English words: 21 -> twenty-one, 1005 -> one thousand five."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else "-" + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + english_integer(rest))
    if n >= 10**15:
        return " ".join(_ONES[int(d)] for d in str(n))
    for value, name in _SCALES:
        if n >= value:
            rest = n % value
            return english_integer(n // value) + " " + name + ("" if rest == 0 else " " + english_integer(rest))
    raise AssertionError(n)  # unreachable: every n >= 1000 meets a scale


def read_english_numbers(text: str) -> str:
    """Digits -> English words: ``3.5`` -> three point five, ``-2`` -> minus two, ``40%``."""

    def word(m: re.Match[str]) -> str:
        sign, whole, frac = m.group(1), m.group(2).replace(",", ""), m.group(3)
        out = ("minus " if sign else "") + english_integer(int(whole))
        if frac:
            out += " point " + " ".join(_ONES[int(d)] for d in frac)
        if m.group(0).endswith("%"):
            out += " percent"
        return out

    return _NUMBER.sub(word, text)


class PlainNormalizer:
    """Stands in for upstream's ``TextNormalizer`` where nemo is missing: numbers, punctuation.

    ``char_map``/``zh_char_map`` are the package's own ``char_rep_map``/``zh_char_rep_map``.
    """

    def __init__(self, char_map: dict[str, str], zh_char_map: dict[str, str], language: str | None = None):
        self.language = language
        self._maps = {lang: (m, re.compile("|".join(re.escape(k) for k in sorted(m, key=len, reverse=True))))
                      for lang, m in (("en", char_map), ("zh", zh_char_map))}

    def load(self) -> None:
        """Nothing to load (the tokenizer calls this on the normaliser it is given)."""

    def normalize(self, text: str) -> str:
        lang = self.language or ("zh" if has_han(text) else "en")
        text = normalize_zh(text) if lang == "zh" else read_english_numbers(text)
        mapping, pattern = self._maps["zh" if lang == "zh" else "en"]
        return pattern.sub(lambda m: mapping[m.group()], text)
