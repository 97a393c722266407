"""Subtitle bytes -> text, never mojibake.

Order: an explicit ``--encoding``; a byte-order mark; UTF-16 by its zero bytes; strict
UTF-8; then charset-normalizer's candidates, each decoded and scored for plausibility over
the whole file: letters of one script per word, few stray symbols, no control characters,
a script that fits the language the file name claims (``film.he.srt``), and how well the
text reads in its language (py3langid) to tell close code pages apart (cp1252 'è' vs
cp1250 'č'). When no candidate reads as text, the file is refused with a request for
``--encoding``: guessing on would dub gibberish.
"""
from __future__ import annotations

import codecs
import re
import string
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, Problem
from .language import SCRIPT_LANGUAGE, SHARED_SCRIPTS, char_script

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Codecs Python has that are not character sets of text files.
_NOT_CHARSETS = {"punycode", "idna", "unicode_escape", "raw_unicode_escape", "undefined", "palmos",
                 "unicode_internal", "mbcs", "oem"}
# Punctuation real subtitles use outside ASCII; any other symbol counts against a decoding.
_TEXT_PUNCTUATION = set("…–—‐‑‒―«»‹›“”„‟‘’‚‛¡¿·•°€£¥№©®™½\u00a0\u200b\u200e\u200f\ufeff"
                        "♪♫♬♩「」『』【】〈〉《》〔〕（）、。，！？：；～〜・ー…「」〃々〆")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_ASCII_CONTROLS = [chr(c) for c in (*range(0, 9), 0x0B, *range(0x0E, 0x1A), *range(0x1B, 0x20), 0x7F)]
_WORD_INTERNAL = set("’‘'·‐‑-・ー゠")
_WORD = re.compile(r"[^\W\d_]+")
_LANG_TAG = re.compile(r"[._-]([a-zA-Z]{2,3})(?:[-_][A-Za-z]{2,4})?$")
_ISO3 = {"eng": "en", "spa": "es", "fre": "fr", "fra": "fr", "ger": "de", "deu": "de", "ita": "it",
         "por": "pt", "rus": "ru", "ukr": "uk", "heb": "he", "ara": "ar", "chi": "zh", "zho": "zh",
         "jpn": "ja", "kor": "ko", "gre": "el", "ell": "el", "pol": "pl", "cze": "cs", "ces": "cs",
         "hrv": "hr", "srp": "sr", "bul": "bg", "tur": "tr", "hun": "hu", "rum": "ro", "ron": "ro",
         "dut": "nl", "nld": "nl", "swe": "sv", "tha": "th", "per": "fa", "fas": "fa", "vie": "vi"}
# Among code pages that read equally well, the ones most subtitle files were written in.
_COMMON = ("cp1252", "cp1250", "cp1251", "iso8859-1", "iso8859-15", "iso8859-2")
MAX_BAD_SHARE = 0.15
MAX_CANDIDATES = 10  # share of non-ASCII characters that may be stray symbols or broken words


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    reason: str  # how it was chosen, for the report


def _codec(name: str, path: Path) -> str:
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise InputError(Problem(f"unknown text encoding {name!r} (for example utf-8, cp1252, gb18030)",
                                 path)) from None
    if info.name.replace("-", "_") in _NOT_CHARSETS or not getattr(info, "_is_text_encoding", True):
        raise InputError(Problem(f"{name!r} is not a character set of text files; give the subtitle's "
                                 "encoding (for example utf-8, cp1252, gb18030)", path))
    return info.name


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _strict(data: bytes, codec: str, path: Path, why: str) -> str:
    """Decode the whole file with ``codec``, or an error naming the line of the first bad byte."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError as e:
        bad = data[e.start:e.start + 4].hex(" ")
        raise InputError(Problem(f"{why}, but bytes {bad} are not {codec}: the file is damaged or mixes "
                                 "encodings; repair it or give --encoding", path, _line_of(data, e.start))) from None
    except (UnicodeError, ValueError, LookupError) as e:
        raise InputError(Problem(f"cannot decode as {codec}: {e}", path)) from None


def claimed_language(path: Path) -> str | None:
    """The language a file name claims: 'film.he.srt', 'film_eng.srt', 'film.zh-Hans.srt'."""
    m = _LANG_TAG.search(path.stem)
    if not m:
        return None
    code = m.group(1).lower()
    code = _ISO3.get(code, code)
    known = set(SCRIPT_LANGUAGE.values()) | {c for langs in SHARED_SCRIPTS.values() for c in langs}
    return code if code in known else None


def _script_of_language(code: str) -> set[str]:
    scripts = {s for s, c in SCRIPT_LANGUAGE.items() if c == code}
    scripts |= {s for s, langs in SHARED_SCRIPTS.items() if code in langs}
    if code == "ja":
        scripts.add("han")
    if code == "sr":
        scripts.add("latin")  # Serbian is written in both
    return scripts


@dataclass(frozen=True)
class Plausibility:
    """How much of a decoding reads as text: ``bad`` non-ASCII characters (stray symbols,
    controls, words mixing scripts or cases) out of ``non_ascii``; the main non-Latin
    ``script`` (or 'latin')."""

    bad: int
    non_ascii: int
    script: str
    reason: str

    @property
    def ok(self) -> bool:
        return self.non_ascii == 0 or self.bad <= MAX_BAD_SHARE * self.non_ascii


def plausibility(text: str) -> Plausibility:
    """Score a decoding over the whole text (lines of plain ASCII read the same in every
    candidate, so only their letter count is taken from them)."""
    rows = [row for row in text.splitlines() if not row.isascii()]
    if not rows:
        return Plausibility(0, 0, "latin", "")
    ascii_letters = sum(map(text.count, string.ascii_letters))
    odd = "\n".join(rows)
    non_ascii = 0
    controls = sum(map(text.count, _ASCII_CONTROLS))
    symbols = wedged = stray_marks = 0
    for m in _NON_ASCII.finditer(odd):
        non_ascii += 1
        i, c = m.start(), m.group()
        if c.isalpha():
            continue
        kind = unicodedata.category(c)
        before = odd[i - 1] if i else " "
        if kind in ("Cc", "Co", "Cn", "Cs") or c == "\ufffd":
            controls += 1
        elif kind[0] == "M":
            # A combining mark belongs after a letter; one after a space or a digit is a stray byte.
            if not (before.isalpha() or unicodedata.category(before)[0] == "M"):
                stray_marks += 1
        elif c not in _TEXT_PUNCTUATION and not ("\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef"):
            symbols += 1
        elif c not in _WORD_INTERNAL and before.isalpha() and odd[i + 1:i + 2].isalpha():
            # Dashes and quotes wedged between letters ('–Я—А–Є–≤–µ—В' is UTF-8 Cyrillic read
            # as Mac Cyrillic); apostrophes, hyphens and middle dots do sit inside words.
            wedged += 1
    bad, reasons = 0, []
    for count, weight, reason in ((controls, 5, f"{controls} control or unassigned characters"),
                                  (symbols, 1, f"{symbols} stray symbols"), (wedged, 1, "punctuation inside words"),
                                  (stray_marks, 2, "stray accents")):
        if count:
            bad += count * weight
            reasons.append(reason)
    mixed = cased = 0
    latin_non_ascii = 0
    scripts: dict[str, int] = {}
    for word in _WORD.findall(odd):
        if word.isascii():
            continue
        found = {char_script(c) for c in word} - {None}
        for c in word:
            if not c.isascii():
                s = char_script(c) or "other"
                scripts[s] = scripts.get(s, 0) + 1
                latin_non_ascii += s == "latin"
        family = found - {"han", "kana", "hangul"}  # CJK scripts mix in words legitimately
        if len(family) > 1 or (family and len(found) > len(family)):
            mixed += sum(1 for c in word if not c.isascii())
        elif any(a.islower() and b.isupper() for a, b in zip(word, word[1:])):
            cased += sum(1 for c in word if not c.isascii())
    if mixed:
        bad += mixed
        reasons.append("words mixing scripts")
    if cased:
        bad += cased
        reasons.append("capitals inside words")
    # Latin-script languages write mostly ASCII letters; Hebrew or Greek read as Latin-1 does not.
    if latin_non_ascii > ascii_letters:
        bad += non_ascii
        reasons.append("mostly accented Latin letters")
    non_latin = {s: n for s, n in scripts.items() if s != "latin"}
    script = max(non_latin, key=non_latin.__getitem__) if non_latin else "latin"
    return Plausibility(bad, non_ascii, script, ", ".join(reasons))


# The letters beyond ASCII each Latin-script language writes (lower case). Close code pages
# (cp1250/cp1252, iso-8859-2/-10) swap a few of these for letters no language pairs with them.
_VI = "àáâãèéêìíòóôõùúýăđĩũơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
ALPHABETS = {
    "fr": "àâæçéèêëîïôœùûüÿ", "de": "äöüß", "es": "áéíñóúü", "pt": "ãâáàçéêíóôõú", "it": "àèéìíîòóùú",
    "ca": "àçéèíïòóúü·", "nl": "éëïóöü", "pl": "ąćęłńóśźż", "cs": "áčďéěíňóřšťúůýž", "sk": "áäčďéíĺľňóôŕšťúýž",
    "hr": "čćđšž", "sl": "čšž", "hu": "áéíóöőúüű", "ro": "ăâîșțşţ", "tr": "çğıöşüâî", "sv": "åäöé",
    "da": "æøåé", "no": "æøåé", "fi": "äöå", "et": "äöõüšž", "lv": "āčēģīķļņšūž", "lt": "ąčęėįšųūž",
    "is": "áðéíóúýþæö", "sq": "çë", "eu": "ñ", "ga": "áéíóú", "cy": "âêîôûŵŷ", "af": "êëéèîïôû",
    "vi": _VI,
}


def _alphabet_fit(text: str) -> float:
    """The share of a text's non-ASCII Latin-word characters that one language writes, for
    the language that fits best (1.0: every accented letter belongs to one language)."""
    odd = "\n".join(row for row in text.splitlines() if not row.isascii())
    chars = [c.lower() for c in _NON_ASCII.findall(odd) if c not in _TEXT_PUNCTUATION]
    if not chars:
        return 1.0
    return max(sum(1 for c in chars if c in letters) for letters in ALPHABETS.values()) / len(chars)


def decode(data: bytes, path: Path, encoding: str | None = None) -> Decoded:
    """Bytes -> text, or InputError saying what to do."""
    if encoding:
        codec = _codec(encoding, path)
        return Decoded(_strict(data, codec, path, f"--encoding {encoding} was given"), codec, "given")
    for bom, name in _BOMS:
        if data.startswith(bom):
            if name == "utf-16" and len(data) % 2:
                raise InputError(Problem("starts with a UTF-16 byte-order mark but has an odd number of bytes: "
                                         "the file is truncated or damaged", path))
            label = {"utf-8-sig": "UTF-8"}.get(name, name.upper())
            return Decoded(_strict(data, name, path, f"the file starts with a {label} byte-order mark"),
                           name, "byte-order mark")
    if len(data) >= 4 and (data[1::2].count(0) > len(data) // 4 or data[0::2].count(0) > len(data) // 4):
        codec = "utf-16-le" if data[1::2].count(0) > data[0::2].count(0) else "utf-16-be"
        if len(data) % 2:
            raise InputError(Problem(f"looks like {codec} (zero bytes between letters) but has an odd number of "
                                     "bytes: the file is truncated or damaged; give --encoding if it is not UTF-16",
                                     path))
        return Decoded(_strict(data, codec, path, "the file looks like UTF-16 (zero bytes between letters)"),
                       codec, "zero bytes")
    try:
        return Decoded(data.decode("utf-8"), "utf-8", "valid UTF-8")
    except UnicodeDecodeError:
        pass
    return _detect(data, path)


def _detect(data: bytes, path: Path) -> Decoded:
    from charset_normalizer import from_bytes

    claim = claimed_language(path)
    results = from_bytes(data, cp_isolation=None, threshold=0.5)
    scored = []
    seen = set()
    for match in list(results)[:MAX_CANDIDATES]:  # ordered by the detector's own chaos measure
        codec = codecs.lookup(match.encoding).name
        if codec in seen:
            continue
        seen.add(codec)
        try:
            text = data.decode(codec)
        except (UnicodeError, LookupError):
            continue
        scored.append((codec, text, plausibility(text), match.coherence))
    good = [s for s in scored if s[2].ok]
    if not good:
        tried = ", ".join(f"{codec} ({p.reason})" for codec, _, p, _ in scored[:4])
        line = None
        if scored:  # where the detector's first guess stops reading as text
            line = next((i for i, row in enumerate(scored[0][1].splitlines(), 1) if not plausibility(row).ok), None)
        raise InputError(Problem(
            f"cannot tell the text encoding: no candidate reads as text{' (tried ' + tried + ')' if tried else ''}; "
            "give it with --encoding (for example cp1250, big5, koi8-r, iso-8859-8)", path, line))
    reason = "detected"
    if claim:
        # The language a file name claims picks among readable candidates whose letter
        # frequencies fit their language about as well as the detector's first choice
        # (charset-normalizer's coherence: Hebrew bytes read as Greek letters score 0); a
        # wrong claim neither makes gibberish acceptable nor stops a readable file.
        floor = max(s[3] for s in good) - 0.2
        fitting = [s for s in good if s[3] >= floor and _fits_claim(s[1], s[2].script, claim)]
        reason += f" (file name claims {claim}{'' if fitting else ', but no decoding reads as it'})"
        good = fitting or good
    # Close code pages differ in a few letters: among the Latin candidates, the text whose
    # accented letters one language writes wins; ties go to the more common code page
    # ('café, naïve' fits French in cp1252 and Czech in cp1250), then the detector's order.
    script = good[0][2].script
    same = [s for s in good if s[2].script == script]
    best = same[0]
    if len(same) > 1 and script == "latin":
        def key(s: tuple) -> tuple:
            common = _COMMON.index(s[0]) if s[0] in _COMMON else len(_COMMON)
            return (round(_alphabet_fit(s[1]), 3), -common, -same.index(s))

        best = max(same, key=key)
    return Decoded(best[1], best[0], reason)


def _fits_claim(text: str, script: str, claim: str) -> bool:
    """Whether a decoding reads as the claimed language: its script, and for scripts several
    languages share, py3langid giving the claim a fair chance ('їьхэ, юф' is Cyrillic
    letters but no Russian)."""
    if script not in _script_of_language(claim):
        return False
    if script not in SHARED_SCRIPTS or claim not in SHARED_SCRIPTS[script]:
        return True
    from .language import rank

    sample = "\n".join(ln for ln in text.splitlines() if not ln.isascii())[:20000]
    return not sample or dict(rank(sample, script)).get(claim, 0.0) >= 0.3
