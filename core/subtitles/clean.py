"""Cue text as a player shows it: what the viewer reads is what the voice says.

Players unescape HTML entities (``&amp;``, ``&nbsp;``), hide markup tags (``<i>``,
``<font>``, WebVTT ``<c.x>``/``<v Name>``/timestamps) and ASS override blocks
(``{\\an8}``), break lines at ``\\N``/``\\n`` and show ``\\h`` as a hard space.
"""
from __future__ import annotations

import html
import re

_HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]*>|<\d[\d:.]*>")  # tags and WebVTT <00:01.000> timestamps
_ASS_OVERRIDE = re.compile(r"\{\\[^{}]*\}")  # {\an8}; plain {..} in SRT is a reading override, kept
_ASS_ANY_BLOCK = re.compile(r"\{[^{}]*\}")  # in ASS every {...} block is hidden (comments too)
_DIALOGUE_DASH = re.compile(r"^\s*[-–—]\s*")
# Characters no player draws as text: controls (NUL from damaged files), zero-width and
# direction marks, the BOM. Left in, an engine would be handed them as letters.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200c-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


def cue_lines(text: str, fmt: str = "srt") -> list[str]:
    """The lines a player shows for a cue's raw text, markup removed, in order; empty lines
    dropped. ``fmt`` 'ass' hides every ``{...}`` block, as ASS renderers do."""
    text = (_ASS_ANY_BLOCK if fmt == "ass" else _ASS_OVERRIDE).sub("", text)
    text = text.replace("\\N", "\n").replace("\\n", "\n").replace("\\h", "\u00a0")
    text = _HTML_TAG.sub("", text)
    # Entities after tags: '&lt;i&gt;' is text a player shows as '<i>', not a tag.
    text = _INVISIBLE.sub("", html.unescape(text))
    out = []
    for raw in text.splitlines():
        line = _SPACES.sub(" ", raw).strip()
        if line:
            out.append(line)
    return out


def join_lines(lines: list[str]) -> str:
    """A cue's shown lines as one spoken line: dialogue dashes dropped, joined by spaces."""
    parts = [_DIALOGUE_DASH.sub("", p).strip() for p in lines]
    return " ".join(p for p in parts if p)


def clean_text(text: str, fmt: str = "srt") -> str:
    """Raw cue text -> the one line a voice says."""
    return join_lines(cue_lines(text, fmt))
