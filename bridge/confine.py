"""Output paths stay under the output root: no absolute paths, no ``..``, no symlink escapes."""
from __future__ import annotations

from pathlib import Path, PurePosixPath

from .errors import denied


def confine(root: Path, relative: str) -> Path:
    """``root / relative`` resolved, refusing anything that lands outside ``root``."""
    root = Path(root).resolve()
    rel = relative.replace("\\", "/")
    parts = PurePosixPath(rel).parts
    if rel.startswith("/") or (parts and ":" in parts[0]) or ".." in parts or "\0" in rel:
        raise denied(f"path {relative!r} must be relative to the output root {root} "
                     f"and stay inside it (no absolute paths, no '..')")
    target = (root / rel).resolve()  # follows symlinks that already exist
    if target != root and root not in target.parents:
        raise denied(f"path {relative!r} leaves the output root {root} (through a symlink)")
    return target
