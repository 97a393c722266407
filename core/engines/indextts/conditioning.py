"""Conditioning computed from reference audio, cached by the audio's content, not its path.

A 500-line job with three voices encodes each voice once: the first line computes the
tensors, later lines (and later runs, through the disk copy) reuse them. The key is the
SHA-256 of the decoded samples plus the model's fingerprint, so renaming or copying a file
reuses the entry and editing it does not.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...files import atomic_path

log = logging.getLogger(__name__)


def audio_key(samples: np.ndarray, sample_rate: int) -> str:
    """Content hash of decoded audio: same sound, same key, whatever the file is called."""
    h = hashlib.sha256(f"{sample_rate}:".encode())
    h.update(np.ascontiguousarray(samples, dtype=np.float32).tobytes())
    return h.hexdigest()


@dataclass
class CacheStats:
    computed: int = 0
    memory_hits: int = 0
    disk_hits: int = 0


class ConditioningCache:
    """Memory LRU in front of an optional directory of ``torch.save`` files."""

    def __init__(self, directory: Path | None, namespace: str, max_items: int = 64):
        self._dir = Path(directory) / namespace if directory is not None else None
        self._mem: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._max = max_items
        self._lock = threading.Lock()
        self.stats = CacheStats()

    def get(self, kind: str, key: str, compute: Callable[[], dict[str, Any]], device: Any) -> dict[str, Any]:
        full = f"{kind}-{key}"
        with self._lock:
            if full in self._mem:
                self._mem.move_to_end(full)
                self.stats.memory_hits += 1
                return self._mem[full]
        value = self._load(full, device)
        if value is not None:
            self.stats.disk_hits += 1
        else:
            value = compute()
            self.stats.computed += 1
            self._store(full, value)
        with self._lock:
            self._mem[full] = value
            while len(self._mem) > self._max:
                self._mem.popitem(last=False)
        return value

    def contains(self, kind: str, key: str) -> bool:
        """Whether ``get`` would find the entry, in memory or on disk, without computing it."""
        full = f"{kind}-{key}"
        with self._lock:
            if full in self._mem:
                return True
        path = self._path(full)
        return path is not None and path.is_file()

    def forget(self, kind: str) -> None:
        """Drop every entry of ``kind``, in memory and on disk."""
        with self._lock:
            for full in [k for k in self._mem if k.startswith(f"{kind}-")]:
                del self._mem[full]
        if self._dir is not None and self._dir.is_dir():
            for path in self._dir.glob(f"{kind}-*.pt"):
                path.unlink(missing_ok=True)

    def _path(self, full: str) -> Path | None:
        return None if self._dir is None else self._dir / f"{full}.pt"

    def _load(self, full: str, device: Any) -> dict[str, Any] | None:
        import torch

        path = self._path(full)
        if path is None or not path.is_file():
            return None
        try:
            loaded: dict[str, Any] = torch.load(path, map_location=device, weights_only=True)
            return loaded
        except Exception as e:  # a torn or foreign file is recomputed, not fatal
            log.warning("ignoring unreadable conditioning cache %s: %s", path, e)
            return None

    def _store(self, full: str, value: dict[str, Any]) -> None:
        import torch

        path = self._path(full)
        if path is None:
            return
        with atomic_path(path) as tmp:
            torch.save({k: v.detach().cpu() for k, v in value.items()}, tmp)
