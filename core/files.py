"""Files written whole or not at all, and their content hashes.

Every output and cache file goes through ``atomic_path``: a crash or an error leaves the
previous file (or none), never a half-written one that looks finished.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import OutputError


@contextmanager
def atomic_path(path: Path, suffix: str = ".part"):
    """Yield a temp path beside ``path``; rename over it only if the block succeeds.

    ``suffix`` lets tools that infer a format from the name (ffmpeg) write the temp file.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror}") from e
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
