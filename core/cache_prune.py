"""How big the audio cache is, and pruning it by age or total size.

Works on the files under the cache folder whatever their layout (the cache's own module
decides that), so it stays correct when the entries change shape. Entries are
independent: removing any of them only costs a re-synthesis the next time it is needed.
Age is the time since an entry was last written.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3, "gb": 1024**3,
          "t": 1024**4, "tb": 1024**4}
_AGES = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True)
class CacheUsage:
    root: Path
    files: int
    bytes: int
    oldest: float | None  # mtime of the oldest entry, seconds since the epoch

    def summary(self) -> str:
        if not self.files:
            return f"{self.root}: empty"
        age = format_age(time.time() - self.oldest) if self.oldest is not None else "?"
        return f"{self.root}: {self.files} files, {format_size(self.bytes)} (oldest written {age} ago)"


@dataclass(frozen=True)
class Pruned:
    files: int
    bytes: int
    left: CacheUsage


def parse_size(text: str) -> int:
    """'2G', '500M', '1.5GB', '1048576' -> bytes (binary units)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    if not m or m.group(2).lower() not in _UNITS:
        raise InputError(f"size {text!r}: give a number with K, M, G or T (e.g. 2G, 500M)")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def parse_age(text: str) -> float:
    """'30d', '12h', '2w', '90m' -> seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", text)
    if not m:
        raise InputError(f"age {text!r}: give a number with s, m, h, d or w (e.g. 30d, 12h)")
    return float(m.group(1)) * _AGES[m.group(2)]


def format_size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"


def format_age(seconds: float) -> str:
    for unit, span in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= span:
            return f"{seconds / span:.0f}{unit}"
    return f"{max(0.0, seconds):.0f}s"


def _entries(root: Path) -> list[tuple[float, int, Path]]:
    """(mtime, size, path) of every file under ``root``, oldest first."""
    out = []
    if root.is_dir():
        for p in root.rglob("*"):
            try:
                st = p.lstat()
            except OSError:  # removed meanwhile
                continue
            if p.is_file() and not p.is_symlink():
                out.append((st.st_mtime, st.st_size, p))
    return sorted(out, key=lambda e: (e[0], str(e[2])))


def usage(root: Path) -> CacheUsage:
    entries = _entries(Path(root))
    return CacheUsage(Path(root), len(entries), sum(e[1] for e in entries), entries[0][0] if entries else None)


def prune(root: Path, older_than: float | None = None, max_bytes: int | None = None,
          now: float | None = None) -> Pruned:
    """Remove entries written more than ``older_than`` seconds ago, then the oldest ones
    until the cache holds at most ``max_bytes``."""
    root = Path(root)
    now = time.time() if now is None else now
    entries = _entries(root)
    total = sum(e[1] for e in entries)
    removed_files = removed_bytes = 0
    for mtime, size, path in entries:
        too_old = older_than is not None and now - mtime > older_than
        too_big = max_bytes is not None and total > max_bytes
        if not (too_old or too_big):
            if older_than is None:
                break  # oldest first: once under the size, the rest stays
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        total -= size
        removed_files += 1
        removed_bytes += size
    for d in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        try:
            d.rmdir()  # empty shard folders only
        except OSError:
            pass
    return Pruned(removed_files, removed_bytes, usage(root))
