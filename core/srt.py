"""Kept for callers of the SubRip-only reader: the subtitle readers live in ``core.subtitles``."""
from __future__ import annotations

from .subtitles import SubtitleOptions as SrtOptions
from .subtitles import clean_text, split_speaker
from .subtitles import read_lines as read_srt

__all__ = ["SrtOptions", "clean_text", "read_srt", "split_speaker"]
