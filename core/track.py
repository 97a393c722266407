"""The full track: every stem at its place from the timeline origin, streamed to disk.

Stems are mixed block by block and written as Broadcast WAV straight away (header first,
sizes patched at the end), so an hour-long timeline never sits in memory at once, not
even to stamp its bext chunk; overlapping stems (borrowed time, user-allowed overlaps)
are summed, not dropped.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .audio import peak_safe, read_wav
from .bwf import BextInfo, BwfWriter
from .files import atomic_path


def write_track(path: Path, stems: list[tuple[int, Path]], sample_rate: int, bit_depth: int = 16,
                bext: BextInfo | None = None, root: Path | None = None) -> int:
    """Write ``stems`` (start sample, file) into one mono WAV; returns its length in samples.

    ``root``: the folder the write is confined to (no symlink below it is followed).
    """
    with atomic_path(path, root=root) as tmp, open(tmp, "wb") as f:
        writer = BwfWriter(f, sample_rate, bit_depth, bext or BextInfo(time_reference=0), lossless_reread=True)
        length = _mix(writer, sorted(stems, key=lambda s: s[0]), sample_rate)
        writer.close()
    return length


def _mix(out: BwfWriter, stems: list[tuple[int, Path]], sample_rate: int) -> int:
    written = 0  # samples already in the file
    pending = np.zeros(0, dtype=np.float32)  # samples from ``written`` on, not yet final
    for start, file in stems:
        audio, sr = read_wav(file)
        if sr != sample_rate:
            raise ValueError(f"{file} is {sr} Hz, the track is {sample_rate} Hz")
        if start >= written + len(pending):
            out.write(peak_safe(pending))
            written += len(pending)
            _write_silence(out, start - written)
            written = start
            pending = np.zeros(0, dtype=np.float32)
        offset = start - written
        end = offset + len(audio)
        if end > len(pending):
            pending = np.concatenate([pending, np.zeros(end - len(pending), dtype=np.float32)])
        pending[offset:end] += audio
    out.write(peak_safe(pending))
    return written + len(pending)


def _write_silence(out: BwfWriter, n: int, block: int = 1 << 16) -> None:
    zeros = np.zeros(block, dtype=np.float32)
    while n > 0:
        out.write(zeros[: min(n, block)])
        n -= block
