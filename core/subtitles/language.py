"""Which language each line is in: the script first, then py3langid (its model ships in
the wheel, so this works offline) for scripts that several languages share.

Subtitle lines are short ("OK.", "Wait!") and a character-n-gram identifier guesses wildly
on them, so a line is identified against the whole file: each script's lines are
identified together, and a line keeps that file language unless it is long enough and
its own identification is confident and different (a Spanish sentence in an English film).
"""
from __future__ import annotations

import copy
import functools
import logging
import unicodedata
from collections import Counter
from dataclasses import dataclass

log = logging.getLogger(__name__)

# Scripts that name their language outright.
SCRIPT_LANGUAGE = {"han": "zh", "kana": "ja", "hangul": "ko", "hebrew": "he", "greek": "el", "thai": "th",
                   "georgian": "ka", "armenian": "hy", "devanagari": "hi"}
# Scripts several languages share: identified by py3langid among these.
SHARED_SCRIPTS = {
    "latin": ("en", "es", "fr", "de", "it", "pt", "nl", "pl", "cs", "sk", "hr", "sl", "hu", "ro", "tr",
              "sv", "da", "no", "fi", "et", "lv", "lt", "id", "ms", "vi", "ca", "eu", "sq", "is",
              "ga", "cy", "af", "sw", "tl"),
    "cyrillic": ("ru", "uk", "bg", "sr", "mk", "be", "kk"),
    "arabic": ("ar", "fa", "ur"),
}
NAMES = {
    "en": "English", "es": "Spanish", "fr": "French", "de": "German", "it": "Italian", "pt": "Portuguese",
    "nl": "Dutch", "pl": "Polish", "cs": "Czech", "sk": "Slovak", "hr": "Croatian", "sl": "Slovenian",
    "hu": "Hungarian", "ro": "Romanian", "tr": "Turkish", "sv": "Swedish", "da": "Danish", "no": "Norwegian",
    "fi": "Finnish", "et": "Estonian", "lv": "Latvian", "lt": "Lithuanian", "id": "Indonesian", "ms": "Malay",
    "vi": "Vietnamese", "ca": "Catalan", "eu": "Basque", "gl": "Galician", "sq": "Albanian", "is": "Icelandic",
    "ga": "Irish", "cy": "Welsh", "af": "Afrikaans", "sw": "Swahili", "tl": "Tagalog", "bs": "Bosnian",
    "ru": "Russian", "uk": "Ukrainian", "bg": "Bulgarian", "sr": "Serbian", "mk": "Macedonian",
    "be": "Belarusian", "kk": "Kazakh", "ar": "Arabic", "fa": "Persian", "ur": "Urdu", "zh": "Chinese",
    "ja": "Japanese", "ko": "Korean", "he": "Hebrew", "el": "Greek", "th": "Thai", "ka": "Georgian",
    "hy": "Armenian", "hi": "Hindi",
}
MIN_LETTERS = 15  # a line shorter than this takes its file's language
# A long line leaves its file's language only when its own best guess is likely and the
# file's language is not (Galician/Spanish and Croatian/Serbian share much of the mass).
MIN_CONFIDENCE = 0.6
MAX_FILE_LANGUAGE = 0.01


@dataclass(frozen=True)
class Language:
    """A line's language: ISO 639-1 ``code`` ('' when the line has no letters), the
    ``script`` it was told from, and ``how``: script | file | line."""

    code: str
    script: str
    how: str

    @property
    def name(self) -> str:
        return NAMES.get(self.code, self.code or "no language")


@functools.lru_cache(maxsize=4096)  # a file has few distinct letters; names are slow to look up
def char_script(ch: str) -> str | None:
    """The script of one letter, in the names used here; None for non-letters."""
    if not ch.isalpha():
        return None
    if ch.isascii():
        return "latin"
    name = unicodedata.name(ch, "")
    if name.startswith(("CJK", "KANGXI")):
        return "han"
    if name.startswith(("HIRAGANA", "KATAKANA")):
        return "kana"
    for prefix in ("LATIN", "CYRILLIC", "GREEK", "HEBREW", "ARABIC", "HANGUL", "THAI", "GEORGIAN",
                   "ARMENIAN", "DEVANAGARI"):
        if name.startswith(prefix):
            return prefix.lower()
    if name.startswith("FULLWIDTH LATIN"):
        return "latin"
    return "other"


def script_counts(text: str) -> Counter[str]:
    return Counter(s for s in map(char_script, text) if s)


def line_script(text: str) -> str:
    """The script a line is spoken in: kana makes it Japanese even among Han characters; any
    Han character makes it Chinese (the Mandarin voice reads embedded Latin words itself);
    else the most common script of its letters ('' when it has none)."""
    counts = script_counts(text)
    if counts["kana"]:
        return "kana"
    if counts["han"]:
        return "han"
    return counts.most_common(1)[0][0] if counts else ""


@functools.lru_cache(maxsize=1)
def _identifier():  # the model is 68 MB unpacked: load once per process, on first need
    from py3langid.langid import LanguageIdentifier

    from . import langid_model

    ptc, pc, classes, nextmove, row, output = langid_model.load()
    return LanguageIdentifier(ptc, pc, classes, nextmove, output, norm_probs=True, tk_row=row)


@functools.lru_cache(maxsize=None)
def _script_identifier(script: str):
    # A shallow copy restricted to the script's languages: the big tables are shared, and
    # no identifier is ever changed after it is made (the daemon identifies from threads).
    ident = copy.copy(_identifier())
    ident.set_languages(SHARED_SCRIPTS[script])
    return ident


def rank(text: str, script: str) -> list[tuple[str, float]]:
    """py3langid's (language, probability) among the languages of ``script``, best first."""
    return [(code, float(p)) for code, p in _script_identifier(script).rank(text)]


def identify(texts: list[str]) -> list[Language]:
    """The language of every line of one file."""
    scripts = [line_script(t) for t in texts]
    file_language: dict[str, str] = {}
    for script in set(scripts) & set(SHARED_SCRIPTS):
        together = "\n".join(t for t, s in zip(texts, scripts) if s == script)
        file_language[script] = rank(together, script)[0][0]
    out = []
    for text, script in zip(texts, scripts):
        if script in SCRIPT_LANGUAGE:
            out.append(Language(SCRIPT_LANGUAGE[script], script, "script"))
        elif script in file_language:
            code, how = file_language[script], "file"
            if sum(1 for c in text if c.isalpha()) >= MIN_LETTERS:
                ranked = rank(text, script)
                best, p = ranked[0]
                if best != code and p >= MIN_CONFIDENCE and dict(ranked).get(code, 0.0) < MAX_FILE_LANGUAGE:
                    code, how = best, "line"
            out.append(Language(code, script, how))
        else:
            out.append(Language("", script, "script"))
    return out
