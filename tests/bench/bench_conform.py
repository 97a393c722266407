"""Conform passes against a cold dub: a fifty-line timeline dubbed from scratch, then
conformed after one text edit and after one re-time, with the real Piper engine.

    python tests/bench/bench_conform.py

Prints wall time, model calls and re-fits of each pass and its ratio to the cold run.
"""
from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from dubline.core.catalog import Catalog
from dubline.core.conform import compare
from dubline.core.engines.base import SynthesisControls
from dubline.core.engines.piper import PiperEngine
from dubline.core.lines import Line
from dubline.core.render import DubOptions, JobDone, dub
from dubline.core.timebase import FrameRate, TimeRange
from dubline.core.timeline_info import TimelineInfo

RATE = FrameRate(24000, 1001)
SENTENCES = [
    "We leave at dawn.", "Did you bring the maps?", "The river is too high.", "Then we take the pass.",
    "Nobody goes up there in winter.", "We do, this time.", "Keep your voice down.", "They are listening.",
    "How far is the border?", "Two days, if the weather holds.",
]


def timeline() -> list[Line]:
    # Three-second slots four seconds apart; each sentence with its line number so all
    # fifty texts differ (no line can borrow another's synthesis).
    lines = []
    for i in range(50):
        start = i * 96
        text = f"{SENTENCES[i % 10][:-1]}, number {i + 1}."
        lines.append(Line(f"L{i + 1:02d}", text, TimeRange(start, start + 72, RATE.fps)))
    return lines


def timed(lines, out: Path, cache: Path, catalog: Catalog) -> tuple[float, dict]:
    options = DubOptions(out, cache_dir=cache, timeline=TimelineInfo.at("bench", RATE, "01:00:00:00"))
    t0 = time.perf_counter()
    report = next(e.report for e in dub(lines, options, catalog) if isinstance(e, JobDone))
    return time.perf_counter() - t0, report.cache


def main() -> int:
    engine = PiperEngine.load()
    catalog = Catalog(engines={"piper": lambda: engine})
    cold_lines = timeline()
    edited = list(cold_lines)
    edited[24] = replace(edited[24], text="Change of plan: we wait for the fog.")
    retimed = list(cold_lines)
    r = retimed[31].range
    retimed[31] = replace(retimed[31], range=TimeRange(r.start, r.end - 12, r.rate))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out, cache = Path(tmp) / "out", Path(tmp) / "cache"
        engine.synthesize("Warm up.", catalog.voice("en-joe"), SynthesisControls())  # first-run costs
        cold, stats = timed(cold_lines, out, cache, catalog)
        rows.append(("cold dub", cold, stats, "50 added"))
        for name, new in (("one text edit", edited), ("one re-time", retimed)):
            changes = compare(cold_lines, new).counts()
            wall, stats = timed(new, out, cache, catalog)
            summary = ", ".join(f"{v} {k}" for k, v in changes.items() if v and k != "unchanged")
            rows.append((name, wall, stats, summary))
        # Back to the cold timeline: every line's fitted audio is already cached.
        wall, stats = timed(cold_lines, out, cache, catalog)
        rows.append(("unchanged re-run", wall, stats, "none"))
    print(f"{'pass':18} {'changes':12} {'wall s':>8} {'x cold':>7} {'model calls':>12} {'reused':>7}")
    for name, wall, stats, summary in rows:
        print(f"{name:18} {summary:12} {wall:8.2f} {wall / cold:7.3f} {stats['model_calls']:12d} "
              f"{stats['fitted_hits']:7d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
