"""``python -m tests.bench.fuzz``: the property tests with many more examples than CI runs.

CI runs each property a couple of seconds (hypothesis profile ``ci``); this sets
``HYPOTHESIS_PROFILE=bench`` (tens of thousands of examples) for the timecode/frame-rate
properties and every ``tests/test_*fuzz*.py`` that reads that profile, and prints pytest's
summary. Extra arguments go to pytest (``-k timecode``).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    os.environ["HYPOTHESIS_PROFILE"] = "bench"
    files = [TESTS / "test_timebase_props.py", *sorted(TESTS.glob("test_*fuzz*.py"))]
    return pytest.main(["-q", "-p", "no:cacheprovider", "--durations=10",
                        *(str(f) for f in files), *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
