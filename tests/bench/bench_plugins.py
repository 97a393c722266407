"""Editor plugins: frame rounding of a real subtitle file, and the Resolve script end to end.

    python tests/bench/bench_plugins.py [SRT]

1. Placement rounding: the SRT's cues as stems at their exact (millisecond) sample ranges,
   planned at the common rates: how far placed starts sit from exact starts, and how many
   clips had to be trimmed so they do not overlap.
2. plugins/resolve/Dubline.py on the fake Resolve API with a real daemon: wall time of the
   whole run (read, synthesize, plan, import, place, read back) and of the placing alone.
"""
from __future__ import annotations

import importlib.util
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from dubline.core.placement import PlanOptions, plan_placements  # noqa: E402
from dubline.core.report import LineResult  # noqa: E402
from dubline.core.srt import read_srt  # noqa: E402
from dubline.core.timebase import FrameRate  # noqa: E402

SR = 48000


def rounding_table(srt: Path) -> None:
    lines = read_srt(srt)
    stems = []
    for ln in lines:
        a, b = ln.range.samples(SR)
        stems.append(LineResult(id=ln.id, text=ln.text, voice="v", start_sample=a, end_sample=b,
                                file=Path(f"/x/{ln.id}.wav"), natural_seconds=0, target_seconds=0, factor=1,
                                method="native"))
    print(f"placement rounding of {srt.name} ({len(stems)} cues, millisecond times, {SR} Hz)")
    print(f"{'rate':>10} {'max |off| ms':>13} {'mean |off| ms':>14} {'half frame ms':>14} {'trimmed':>8}")
    for label in ("23.976", "25", "29.97 DF", "59.94"):
        rate = FrameRate.parse(label)
        plan = plan_placements(stems, SR, PlanOptions(rate))
        offs = [abs(p.offset_samples) * 1000 / SR for p in plan.placements]
        print(f"{label:>10} {max(offs):13.2f} {sum(offs) / len(offs):14.2f} {500 / float(rate.fps):14.2f} "
              f"{sum('trimmed' in w for w in plan.warnings):8d}")


def resolve_end_to_end(srt: Path) -> None:
    from fakes.daemon import start_daemon
    from fakes.resolve_api import FakeResolve

    spec = importlib.util.spec_from_file_location("dubline_resolve_script", ROOT / "plugins/resolve/Dubline.py")
    plugin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plugin)
    rate = FrameRate.parse("23.976")
    with tempfile.TemporaryDirectory() as tmp:
        d = start_daemon(Path(tmp))
        try:
            fake = FakeResolve(rate="23.976", start_frame=86400)
            for ln in read_srt(srt):
                a = round(ln.range.start_seconds * rate.fps)
                b = round(ln.range.end_seconds * rate.fps)
                fake.timeline.add_subtitle(1, a, b, ln.text)
            choices = {"bridge": d.http, "token_file": str(d.options.token_file)}
            placing = [0.0]
            place = plugin.place

            def timed_place(*args):
                t = time.perf_counter()
                try:
                    return place(*args)
                finally:
                    placing[0] = time.perf_counter() - t

            plugin.place = timed_place
            t0 = time.perf_counter()
            out = plugin.run(fake, choices, plugin.ConsoleUI([]))
            first = time.perf_counter() - t0
            first_placing = placing[0]
            t0 = time.perf_counter()
            plugin.run(fake, choices, plugin.ConsoleUI([]))  # unchanged: the daemon reuses every line
            second = time.perf_counter() - t0
        finally:
            d.stop()
    n = len(out["receipt"])
    print(f"\nResolve script on the fake API, real daemon (piper, CPU), {n} subtitles at 23.976")
    print(f"{'run':>12} {'total s':>8} {'placing s':>10} {'landed':>7}")
    print(f"{'first':>12} {first:8.2f} {first_placing:10.4f} {sum(r['landed'] for r in out['receipt']):>5}/{n}")
    print(f"{'re-run':>12} {second:8.2f} {placing[0]:10.4f}   (unchanged lines: reused by the daemon)")


if __name__ == "__main__":
    srt = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "samples" / "episode_en.srt"
    rounding_table(srt)
    resolve_end_to_end(srt)
