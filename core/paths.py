"""Where Dubline keeps derived files: one cache root, overridable for tests and sandboxes."""
from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$DUBLINE_CACHE_DIR``, else ``$XDG_CACHE_HOME/dubline``, else ``~/.cache/dubline``."""
    if os.environ.get("DUBLINE_CACHE_DIR"):
        return Path(os.environ["DUBLINE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "dubline"
