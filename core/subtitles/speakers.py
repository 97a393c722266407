"""Speaker prefixes: ``ANNA: Hi``, ``[BEN] Hi``, ``- Anna: Hi``, ``张三：你好``.

A prefix is taken as a speaker only when it looks like a name the way subtitlers write
them: ALL CAPS, in square brackets, after a dialogue dash in Title Case, or a name the user
gave with ``--speaker NAME=VOICE``. A sentence clause before a colon ("Rule number one:
never ...", "We're here: the final episode!") is never one: taking it would silence the
words before the colon.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_BRACKET = re.compile(r"^\[([^\[\]]{1,40})\]\s*(.*)$", re.S)
_COLON = re.compile(r"^([^:：]{1,40}?)\s*(?::\s+|：\s*)(.*)$", re.S)
_CJK_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,5}$")
_DASH = re.compile(r"^\s*[-–—]\s*")
_NAME_WORD = re.compile(r"^[^\W\d_][\w.'’\-]*$")
# Clause starts that a dialogue dash does not make names ("- Look: it's fine").
_NOT_NAMES = frozenset("""look listen wait well yes no okay ok remember rule note warning question answer
see hey so now then here there why what who how because actually honestly seriously attention
first second third next finally also but and or anyway lesson step chapter part""".split())
_CJK_NOT_NAME = re.compile(r"[我你他她它们這这那说說道问問曰讲講]")


@dataclass(frozen=True)
class SpeakerRules:
    """``enabled`` False (``--no-speakers``) reads no prefix as a speaker; ``names`` are the
    names given with ``--speaker``, which are speakers in any case and style."""

    enabled: bool = True
    names: frozenset[str] = frozenset()

    def given(self, name: str) -> str | None:
        folded = name.casefold()
        return next((n for n in self.names if n.casefold() == folded), None)


def _is_caps(name: str) -> bool:
    letters = [c for c in name if c.isalpha()]
    cased = [c for c in letters if c.isupper() or c.islower()]
    return (len(letters) >= 2 and bool(cased) and all(c.isupper() for c in cased)
            and len(name.split()) <= 4 and not re.search(r"[?!,;\"]", name))


def _is_title_name(name: str) -> bool:
    words = name.split()
    return (1 <= len(words) <= 3 and len(name) <= 30
            and all(_NAME_WORD.match(w) and w[0].isupper() for w in words)
            and not (len(words) == 1 and words[0].casefold().strip(".") in _NOT_NAMES))


def split_line(line: str, rules: SpeakerRules = SpeakerRules()) -> tuple[str | None, str, str]:
    """One shown line -> (speaker or None, the rest, rule). The rule says why the prefix
    was taken: caps | bracket | dialogue | given | cjk ('' when none was)."""
    if not rules.enabled:
        return None, line, ""
    dash = _DASH.match(line)
    body = line[dash.end():] if dash else line
    m = _BRACKET.match(body)
    if m and m.group(2).strip():
        name = m.group(1).strip()
        if rules.given(name):
            return rules.given(name), m.group(2).strip(), "given"
        if _is_caps(name):
            return name, m.group(2).strip(), "bracket"
    m = _COLON.match(body)
    if m and m.group(2).strip():
        name, rest = m.group(1).strip(), m.group(2).strip()
        if rules.given(name):
            return rules.given(name), rest, "given"
        if _is_caps(name):
            return name, rest, "caps"
        if dash and _is_title_name(name):
            return name, rest, "dialogue"
        if "：" in body[m.start(2) - 2:m.start(2)] and _CJK_NAME.match(name) and not _CJK_NOT_NAME.search(name):
            return name, rest, "cjk"
    return None, line, ""


def split_speaker(text: str, rules: SpeakerRules = SpeakerRules()) -> tuple[str | None, str]:
    """'[ANNA] Hi' / 'ANNA: Hi' / '张三：你好' -> ('ANNA', 'Hi'); a sentence stays whole."""
    speaker, rest, _ = split_line(text, rules)
    return speaker, rest


@dataclass(frozen=True)
class CueSpeakers:
    """A cue's lines with speaker prefixes taken off: the first speaker names the cue;
    ``others`` are further speakers inside the same cue (spoken by the first one's voice)."""

    speaker: str | None
    rule: str
    lines: list[str]
    others: tuple[str, ...] = ()


def split_cue(lines: list[str], rules: SpeakerRules = SpeakerRules()) -> CueSpeakers:
    """Speaker prefixes of every shown line of a cue."""
    speaker, rule, out, others = None, "", [], []
    for line in lines:
        name, rest, why = split_line(line, rules)
        if name is None:
            out.append(line)
            continue
        dash = _DASH.match(line)
        out.append(("- " if dash else "") + rest)
        if speaker is None:
            speaker, rule = name, why
        elif name != speaker and name not in others:
            others.append(name)
    return CueSpeakers(speaker, rule, out, tuple(others))
