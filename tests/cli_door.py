"""Run ``dubline`` the way a user types it: the installed console script, in a fresh folder."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# The console script pip installed beside this interpreter (what a user's shell finds).
DUBLINE = Path(sys.executable).parent / "dubline"


def dubline(*args: str, cwd: Path, env: dict[str, str] | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    """``dubline ARGS`` in ``cwd``; stdout and stderr as text."""
    return subprocess.run([str(DUBLINE), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def one_error(r: subprocess.CompletedProcess) -> str:
    """The single error line a failed run printed (no traceback, no repeats)."""
    assert "Traceback" not in r.stderr, r.stderr
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("dubline: error:")]
    assert len(errors) == 1, r.stderr
    return errors[0]


# Three short cues: one at its natural length, one squeezed natively, one stretched long.
SCENE = """1
00:00:01,000 --> 00:00:02,200
Good morning.

2
00:00:03,000 --> 00:00:04,400
The river is higher than yesterday.

3
00:00:05,000 --> 00:00:07,600
Then we wait.
"""
