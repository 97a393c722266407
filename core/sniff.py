"""What kind of file this is, from its first bytes: so a video or an audio file handed to a
text reader is refused as "not a subtitle file" instead of a puzzling decoding error."""
from __future__ import annotations

import codecs
from pathlib import Path

from .errors import InputError, Problem

# Leading bytes (at an offset) of the media and binary files users mix up with subtitles.
_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (4, b"ftyp", "an MP4/MOV video or audio file"),
    (0, b"\x1a\x45\xdf\xa3", "a Matroska/WebM video"),
    (0, b"RIFF", "a WAV/AVI file"),
    (0, b"RF64", "a WAV file"),
    (0, b"FORM", "an AIFF file"),
    (0, b"ID3", "an MP3 file"),
    (0, b"OggS", "an Ogg file"),
    (0, b"fLaC", "a FLAC file"),
    (0, b"\x00\x00\x01\xba", "an MPEG video"),
    (0, b"\x47", ""),  # MPEG-TS: checked with its packet stride below
    (0, b"\x89PNG", "a PNG image"),
    (0, b"\xff\xd8\xff", "a JPEG image"),
    (0, b"%PDF", "a PDF document"),
    (0, b"PK\x03\x04", "a ZIP archive (a .docx, .otioz, ...)"),
    (0, b"\x7fELF", "a program"),
)
_TEXT_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


_HEAD = 8192


def binary_kind(data: bytes) -> str | None:
    """A description of ``data`` (a file's first few KiB) when it is not text, else None."""
    for offset, magic, what in _MAGIC:
        if data[offset:offset + len(magic)] != magic:
            continue
        if magic == b"\x47":  # MPEG-TS: a sync byte every 188 bytes
            if len(data) >= 188 * 3 and data[188] == data[376] == 0x47:
                return "an MPEG-TS video"
            continue
        return what
    if data.startswith(_TEXT_BOMS):
        # Marked as text: a damaged one is the reader's to describe (odd length, bad bytes).
        return None
    if b"\x00" in data:
        # UTF-16 without a BOM has NULs in every other byte; anything else with NULs is binary.
        for codec in ("utf-16-le", "utf-16-be"):
            try:
                if "\x00" not in data[: len(data) // 2 * 2].decode(codec):
                    return None
            except UnicodeDecodeError:
                pass
        return "a binary file"
    return None


def require_text(path: Path, what: str = "a subtitle file") -> None:
    """Refuse ``path`` with one clear line when it is a media or binary file, not ``what``."""
    try:
        with open(path, "rb") as f:
            head = f.read(_HEAD)
    except OSError:
        return  # the reader reports a missing or unreadable file in its own words
    kind = binary_kind(head)
    if kind is not None:
        raise InputError(Problem(f"not {what}: it looks like {kind}", file=path))
