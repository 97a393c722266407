"""Which subtitle format a file is: by its content first, its suffix second.

Downloads are often misnamed (a WebVTT file saved as .srt, an ASS script as .txt); the
first lines decide. The suffix only decides when the content does not (an empty file).
"""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputError, Problem

SUFFIXES = {".srt": "srt", ".vtt": "vtt", ".webvtt": "vtt", ".ass": "ass", ".ssa": "ass"}
_SRT_TIMING = re.compile(r"^\s*\d{1,3}:\d{1,2}:\d{1,2}(?:[,.:]\d{1,3})?\s*-->", re.M)


def detect_format(text: str, path: Path) -> str:
    """'srt', 'vtt' or 'ass'; InputError for content that is none of them."""
    head = text.lstrip("\ufeff \t\r\n")[:4096]
    if head.startswith("WEBVTT"):
        return "vtt"
    if re.match(r"\[Script Info\]", head, re.I) or re.search(r"^\[(V4\+? Styles|Events)\]", head, re.M | re.I):
        return "ass"
    if _SRT_TIMING.search(head):
        return "srt"
    if "-->" in head:  # a cue timing without the WEBVTT header: SubRip's reader says what is wrong
        return "srt"
    by_suffix = SUFFIXES.get(path.suffix.lower())
    if by_suffix and not head.strip():
        return by_suffix
    raise InputError(Problem(
        "not a subtitle file dubline reads: no SubRip cue ('00:00:01,000 --> 00:00:02,000'), WebVTT "
        "header ('WEBVTT') or ASS/SSA section ('[Script Info]') in its first lines", path, 1))
