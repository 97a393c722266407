"""Editor plugins: frame rounding of a real subtitle file, and the Resolve script end to end.

    python tests/bench/bench_plugins.py [SRT]

1. Placement rounding: the SRT's cues as stems at their exact (millisecond) sample ranges,
   planned at the common rates: how far placed starts sit from exact starts, and how many
   clips had to be trimmed so they do not overlap.
2. plugins/resolve/Dubline.py on the fake Resolve API with a real daemon, per host profile and
   quirk (endFrame convention, page, WAV frame rate): wall time of the whole run (read,
   synthesize, plan, import, place, read back) and of the placing alone, as a ratio to the
   first scenario; stems landed and stems one frame off (the WAV-rate conversion).
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


def _load_plugin():
    spec = importlib.util.spec_from_file_location("dubline_resolve_script", ROOT / "plugins/resolve/Dubline.py")
    plugin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plugin)
    return plugin


# (label, FakeResolve keyword arguments): the reference first.
SCENARIOS = [
    ("studio-21, endFrame exclusive", dict(profile="studio-21")),
    ("studio-21, endFrame inclusive", dict(profile="studio-21", end_frame="inclusive")),
    ("free-21.0, Color page", dict(profile="free-21.0", page="color")),
    ("studio-19, WAVs at 24 fps", dict(profile="studio-19", project_rate="24")),
]


def resolve_end_to_end(srt: Path) -> None:
    from fakes.daemon import start_daemon
    from fakes.resolve_api import FakeResolve

    plugin = _load_plugin()
    rate = FrameRate.parse("23.976")
    lines = read_srt(srt)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        d = start_daemon(Path(tmp))
        try:
            choices = {"bridge": d.http, "token_file": str(d.options.token_file)}
            place = plugin.place
            placing = [0.0]

            def timed_place(*args):
                t = time.perf_counter()
                try:
                    return place(*args)
                finally:
                    placing[0] = time.perf_counter() - t

            plugin.place = timed_place
            for label, kwargs in SCENARIOS:
                fake = FakeResolve(rate="23.976", start_frame=86400, **kwargs)
                for ln in lines:
                    a = round(ln.range.start_seconds * rate.fps)
                    b = round(ln.range.end_seconds * rate.fps)
                    fake.timeline.add_subtitle(1, a, b, ln.text)
                t0 = time.perf_counter()
                out = plugin.run(fake, choices, plugin.ConsoleUI([]))
                first, first_placing = time.perf_counter() - t0, placing[0]
                t0 = time.perf_counter()
                again = plugin.run(fake, choices, plugin.ConsoleUI([]))  # unchanged: the daemon reuses every line
                rerun, rerun_placing = time.perf_counter() - t0, placing[0]
                landed = sum(r["landed"] for r in again["receipt"])
                off = sum(1 for r in again["receipt"] if r["offFrames"])
                rows.append((label, out["endFrame"], first, first_placing, rerun, rerun_placing, landed,
                             len(again["receipt"]), off))
        finally:
            d.stop()
    ref = rows[0][3] or 1e-9
    print(f"\nResolve script on the fake API per host profile, real daemon (piper, CPU), {len(lines)} subtitles at 23.976")
    print(f"{'scenario':>32} {'endFrame':>9} {'total s':>8} {'placing s':>10} {'x ref':>6} "
          f"{'re-run s':>9} {'placing s':>10} {'landed':>7} {'1-frame':>8}")
    for label, conv, first, fp, rerun, rp, landed, n, off in rows:
        print(f"{label:>32} {conv:>9} {first:8.2f} {fp:10.4f} {fp / ref:6.2f} {rerun:9.2f} {rp:10.4f} "
              f"{landed:>4}/{n:<2} {off:8d}")


if __name__ == "__main__":
    srt = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "samples" / "episode_en.srt"
    rounding_table(srt)
    resolve_end_to_end(srt)
