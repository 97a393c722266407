"""Subtitle files -> Lines: SubRip (pysrt underneath), WebVTT and ASS/SSA (pysubs2), with
encoding detection, player-faithful text cleaning, speaker prefixes and per-line language."""
from .clean import clean_text
from .model import Note, SpeakerTaken, Subtitles
from .read import SubtitleOptions, read_lines, read_subtitles
from .speakers import SpeakerRules, split_speaker

__all__ = ["Note", "SpeakerRules", "SpeakerTaken", "SubtitleOptions", "Subtitles", "clean_text", "read_lines",
           "read_subtitles", "split_speaker"]
