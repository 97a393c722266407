"""Broadcast WAV: plain RIFF/WAVE PCM plus a ``bext`` chunk (EBU Tech 3285 v2).

The bext TimeReference is the sample position of the file's first sample counted from
midnight, so editors that place audio by timecode (Premiere, Resolve, Pro Tools, Avid) put
a stem exactly where it belongs. libsndfile can write bext but the soundfile binding does not
expose it, so the chunks are written here; readers that do not know bext skip it, so the
file still opens everywhere as plain WAV.
"""
from __future__ import annotations

import datetime as _dt
import io
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .files import atomic_path
from .errors import InputError, OutputError, Problem

_BEXT_FIXED = 602  # bytes before CodingHistory
_MAX_RIFF = 0xFFFFFFFF


@dataclass(frozen=True)
class BextInfo:
    """The bext fields Dubline fills. Loudness values are in LU/LUFS/dBTP (None = not set)."""

    time_reference: int
    description: str = ""
    originator: str = "Dubline"
    originator_reference: str = ""
    origination: _dt.datetime | None = None
    coding_history: str = ""
    loudness_value: float | None = None
    loudness_range: float | None = None
    max_true_peak: float | None = None


def _fixed(text: str, size: int) -> bytes:
    return text.encode("ascii", "replace")[:size].ljust(size, b"\0")


def _centi(value: float | None) -> int:
    # EBU Tech 3285 v2: loudness fields are value x 100 as int16; 0x7FFF means "not set".
    return 0x7FFF if value is None else max(-32768, min(32767, round(value * 100)))


def pack_bext(info: BextInfo) -> bytes:
    when = info.origination or _dt.datetime.now(_dt.timezone.utc)
    if info.time_reference < 0 or info.time_reference >= 1 << 64:
        raise OutputError(f"bext TimeReference {info.time_reference} out of range")
    body = b"".join([
        _fixed(info.description, 256),
        _fixed(info.originator, 32),
        _fixed(info.originator_reference, 32),
        when.strftime("%Y-%m-%d").encode("ascii"),
        when.strftime("%H:%M:%S").encode("ascii"),
        struct.pack("<II", info.time_reference & 0xFFFFFFFF, info.time_reference >> 32),
        struct.pack("<H", 2),
        b"\0" * 64,  # UMID: none
        struct.pack("<hhhhh", _centi(info.loudness_value), _centi(info.loudness_range),
                    _centi(info.max_true_peak), 0x7FFF, 0x7FFF),
        b"\0" * 180,
        info.coding_history.encode("ascii", "replace"),
    ])
    assert len(body) >= _BEXT_FIXED
    return body


def _pcm(audio: np.ndarray, bit_depth: int) -> tuple[bytes, int]:
    """Interleaved little-endian samples and the WAVE format tag (1 PCM, 3 float)."""
    a = np.asarray(audio, dtype=np.float32)
    if a.ndim == 1:
        a = a[:, None]
    if bit_depth == 32:
        return a.astype("<f4").tobytes(), 3
    clipped = np.clip(a, -1.0, 1.0)
    if bit_depth == 16:
        return (np.round(clipped * 32767.0)).astype("<i2").tobytes(), 1
    if bit_depth == 24:
        ints = np.round(clipped * 8388607.0).astype("<i4")
        raw = ints.reshape(-1, 1).view(np.uint8).reshape(-1, 4)[:, :3]
        return raw.tobytes(), 1
    raise OutputError(f"unsupported bit depth {bit_depth} (16, 24 or 32 float)")


def _pcm_as_libsndfile(audio: np.ndarray, bit_depth: int) -> bytes:
    """PCM as libsndfile writes float: rint(x * (2**31 - 1)) in float32, shifted down."""
    a = np.asarray(audio, dtype=np.float32).reshape(-1)
    if bit_depth == 32:
        return a.astype("<f4").tobytes()
    wide = np.clip(np.rint(a * np.float32(2147483647.0)).astype(np.float64), -2147483648.0, 2147483647.0)
    ints = (wide.astype(np.int64) >> (32 - bit_depth)).astype("<i4")
    if bit_depth == 16:
        return ints.astype("<i2").tobytes()
    return ints.reshape(-1, 1).view(np.uint8).reshape(-1, 4)[:, :3].tobytes()


def _chunk(tag: bytes, body: bytes) -> bytes:
    return tag + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def _fmt(sample_rate: int, channels: int, bit_depth: int) -> bytes:
    fmt_tag = 3 if bit_depth == 32 else 1
    block = channels * bit_depth // 8
    fmt = struct.pack("<HHIIHH", fmt_tag, channels, sample_rate, sample_rate * block, block, bit_depth)
    if fmt_tag == 3:
        fmt += struct.pack("<H", 0)  # cbSize for non-PCM formats
    return fmt


class BwfWriter:
    """A Broadcast WAV written block by block: the header first, sizes patched on close.

    Memory stays one block whatever the length, so an hour-long track is never an array.
    """

    def __init__(self, file: BinaryIO, sample_rate: int, bit_depth: int, bext: BextInfo, channels: int = 1,
                 lossless_reread: bool = False):
        if bit_depth not in (16, 24, 32):
            raise OutputError(f"unsupported bit depth {bit_depth} (16, 24 or 32 float)")
        self._file = file
        self._bit_depth = bit_depth
        # Samples read from integer WAV (k / 2**(bits-1)) written back unchanged, as
        # libsndfile writes them, instead of the stems' round(x * max).
        self._lossless = lossless_reread
        self._start = file.tell()
        head = b"WAVE" + _chunk(b"fmt ", _fmt(sample_rate, channels, bit_depth)) + _chunk(b"bext", pack_bext(bext))
        file.write(b"RIFF\0\0\0\0" + head + b"data\0\0\0\0")
        self._data_at = file.tell() - 4  # where the data chunk's size goes
        self.data_bytes = 0

    def write(self, audio: np.ndarray) -> None:
        data = _pcm_as_libsndfile(audio, self._bit_depth) if self._lossless else _pcm(audio, self._bit_depth)[0]
        if self._data_at + 4 + self.data_bytes + len(data) - self._start > _MAX_RIFF:
            raise OutputError("audio longer than a RIFF file can hold (4 GiB); split the job")
        self._file.write(data)
        self.data_bytes += len(data)

    def close(self) -> None:
        pad = self.data_bytes & 1
        if pad:
            self._file.write(b"\0")
        end = self._file.tell()
        self._file.seek(self._start + 4)
        self._file.write(struct.pack("<I", end - self._start - 8))
        self._file.seek(self._data_at)
        self._file.write(struct.pack("<I", self.data_bytes))
        self._file.seek(end)


def bwf_bytes(audio: np.ndarray, sample_rate: int, bit_depth: int, bext: BextInfo) -> bytes:
    channels = 1 if np.ndim(audio) == 1 else int(np.shape(audio)[1])
    buf = io.BytesIO()
    writer = BwfWriter(buf, sample_rate, bit_depth, bext, channels)
    writer.write(audio)
    writer.close()
    return buf.getvalue()


def write_bwf(path: str | Path, audio: np.ndarray, sample_rate: int, bext: BextInfo,
              bit_depth: int = 16, root: Path | None = None) -> Path:
    """Write a Broadcast WAV atomically (temp file in the same folder, then rename), confined
    to ``root`` when given (no symlink below it followed)."""
    path = Path(path)
    _atomic_write(path, bwf_bytes(audio, sample_rate, bit_depth, bext), root)
    return path


def _atomic_write(path: Path, payload: bytes, root: Path | None = None) -> None:
    with atomic_path(path, root=root) as tmp:
        tmp.write_bytes(payload)


def chunks(path: str | Path) -> dict[bytes, bytes]:
    """The top-level chunks of a RIFF/WAVE file, by tag (first of each)."""
    path = Path(path)
    raw = path.read_bytes()
    if raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise InputError(Problem("not a RIFF/WAVE file", file=path))
    out: dict[bytes, bytes] = {}
    pos = 12
    while pos + 8 <= len(raw):
        tag = raw[pos:pos + 4]
        size = struct.unpack("<I", raw[pos + 4:pos + 8])[0]
        out.setdefault(tag, raw[pos + 8:pos + 8 + size])
        pos += 8 + size + (size & 1)
    return out


def read_time_reference(path: str | Path) -> int | None:
    """The bext TimeReference of a WAV file, or None when it has no bext chunk."""
    bext = chunks(path).get(b"bext")
    if bext is None or len(bext) < 346:
        return None
    low, high = struct.unpack("<II", bext[338:346])
    return low | (high << 32)


def stamp(path: str | Path, bext: BextInfo) -> Path:
    """Rewrite an existing WAV as Broadcast WAV with ``bext``; its samples are copied verbatim."""
    path = Path(path)
    found = chunks(path)
    if b"fmt " not in found or b"data" not in found:
        raise InputError(Problem("WAV file without fmt or data chunk", file=path))
    body = (b"WAVE" + _chunk(b"fmt ", found[b"fmt "]) + _chunk(b"bext", pack_bext(bext))
            + _chunk(b"data", found[b"data"]))
    if len(body) > _MAX_RIFF:
        raise OutputError(f"{path}: longer than a RIFF file can hold (4 GiB)")
    _atomic_write(path, b"RIFF" + struct.pack("<I", len(body)) + body)
    return path
