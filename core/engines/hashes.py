"""sha256 of model files, remembered by (path, size, mtime) in the cache directory.

Engines check their derived model copies by hash on every load; reading 100 MB of models
for that costs more than the rest of a cold start. The hash is taken again whenever a
file's size or modification time differs from the record (a rewritten or truncated copy),
and a missing or unreadable record only means hashing again.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from ..errors import OutputError
from ..files import atomic_path, file_sha256

_lock = threading.Lock()


def remembered_sha256(path: Path, cache_root: Path) -> str:
    """``file_sha256(path)``, read from ``cache_root/hashes.json`` when the file is unchanged."""
    st = os.stat(path)
    key = str(Path(path).resolve())
    stamp = [st.st_size, st.st_mtime_ns]
    record = cache_root / "hashes.json"
    with _lock:
        try:
            known = json.loads(record.read_text())
        except (OSError, ValueError):
            known = {}
        entry = known.get(key)
        if isinstance(entry, dict) and entry.get("stat") == stamp and isinstance(entry.get("sha256"), str):
            return str(entry["sha256"])
        digest = file_sha256(path)
        known[key] = {"stat": stamp, "sha256": digest}
        try:
            with atomic_path(record) as tmp:
                tmp.write_text(json.dumps(known, indent=1))
        except (OSError, OutputError):
            pass  # a read-only cache only costs the hashing next time
        return digest
