"""A user dictionary of readings for names and terms, kept in a TOML file.

    [readings]          # Chinese term -> pinyin, one syllable per character
    "重庆" = "chóng qìng"
    "乐队" = "yue4 dui4"

    [words]             # any word -> what to say instead (Chinese, may use 字(reading) markup)
    "iPhone" = "爱疯"
    "Dubline" = "达布莱恩"

Readings win over the G2P's guess; an inline override in the line wins over both.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError, Problem

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib
from .overrides import OverrideError, parse_overrides
from .pinyin import PinyinError, to_tone3


@dataclass(frozen=True)
class UserDictionary:
    readings: dict[str, tuple[str, ...]] = field(default_factory=dict)  # term -> tone3 syllables
    words: dict[str, str] = field(default_factory=dict)  # word -> replacement text

    @classmethod
    def load(cls, path: Path) -> UserDictionary:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as e:
            raise InputError(Problem(f"cannot read the reading dictionary: {e.strerror}", file=Path(path))) from e
        except tomllib.TOMLDecodeError as e:
            raise InputError(Problem(f"not valid TOML: {e}", file=Path(path))) from e
        return cls.from_dict(data, Path(path))

    @classmethod
    def from_dict(cls, data: dict, source: Path | None = None) -> UserDictionary:
        readings: dict[str, tuple[str, ...]] = {}
        for term, value in data.get("readings", {}).items():
            syllables = tuple(value.split()) if isinstance(value, str) else ()
            if len(syllables) != len(term):
                raise InputError(Problem(
                    f"reading for {term!r} must be one syllable per character, got {value!r}", file=source))
            try:
                readings[term] = tuple(to_tone3(s) for s in syllables)
            except PinyinError as e:
                raise InputError(Problem(f"reading for {term!r}: {e}", file=source)) from None
        words = {}
        for word, value in data.get("words", {}).items():
            if not isinstance(value, str) or not value.strip():
                raise InputError(Problem(f"word {word!r} needs a non-empty text to say", file=source))
            try:
                parse_overrides(value)
            except OverrideError as e:
                raise InputError(Problem(f"word {word!r}: {e}", file=source)) from None
            words[word] = value
        return cls(readings=readings, words=words)

    def replace_words(self, text: str) -> str:
        """Swap whole dictionary words (longest first; Latin words only at word boundaries)."""
        for word in sorted(self.words, key=len, reverse=True):
            pattern = re.escape(word)
            if word[:1].isascii() and word[:1].isalnum():
                pattern = rf"(?<![A-Za-z0-9]){pattern}(?![A-Za-z0-9])"
            text = re.sub(pattern, self.words[word].replace('\\', '\\\\'), text)
        return text
