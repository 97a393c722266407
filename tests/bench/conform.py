"""Conform pass time: re-dub after a re-time, with the synthesis cache, vs a cold run.

Needs the render cache (``DubOptions.cache_dir``, issue 5); without it the result says
"not available" rather than guessing.
"""
from __future__ import annotations

import dataclasses
import tempfile
import time
from fractions import Fraction
from pathlib import Path

from dubline.core.catalog import Catalog
from dubline.core.lines import Line
from dubline.core.render import DubOptions, JobDone, dub
from dubline.core.timebase import TimeRange


def available() -> bool:
    return "cache_dir" in {f.name for f in dataclasses.fields(DubOptions)}


def _retimed(lines: list[Line]) -> list[Line]:
    """Every line moved 0.5 s later; every third line also 10% shorter; one text edited."""
    out = []
    for i, line in enumerate(lines):
        r = line.range
        shift = round(Fraction(1, 2) * r.rate)
        end = r.end + shift - (round((r.end - r.start) * Fraction(1, 10)) if i % 3 == 0 else 0)
        text = line.text + " Right now." if i == 1 else line.text
        out.append(dataclasses.replace(line, text=text, range=TimeRange(r.start + shift, end, r.rate)))
    return out


def _timed_dub(lines: list[Line], options: DubOptions, catalog: Catalog) -> float:
    t0 = time.perf_counter()
    for event in dub(lines, options, catalog):
        if isinstance(event, JobDone):
            break
    return time.perf_counter() - t0


def conform_speed(lines: list[Line], catalog: Catalog, sample_rate: int = 48000) -> dict:
    if not available():
        return {"available": False, "reason": "render cache (issue 5) not on this branch"}
    with tempfile.TemporaryDirectory(prefix="dubline-bench-conform-") as tmp:
        root = Path(tmp)
        opts = lambda out: DubOptions(root / out, sample_rate, cache_dir=root / "cache")  # noqa: E731
        cold = _timed_dub(lines, opts("cold"), catalog)
        unchanged = _timed_dub(lines, opts("again"), catalog)
        retimed = _timed_dub(_retimed(lines), opts("retimed"), catalog)
    return {
        "available": True,
        "lines": len(lines),
        "cold_seconds": cold,
        "unchanged_seconds": unchanged,
        "retimed_seconds": retimed,
        "unchanged_vs_cold": unchanged / cold,
        "retimed_vs_cold": retimed / cold,
    }
