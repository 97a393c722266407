"""The cluster, measured and projected.

    python tests/bench/bench_cluster.py [--lines 60]

1. Measured here: lines per second of one job dubbed locally and on a private Ray cluster
   with 1 and 2 CPU workers (embedded English voice), the coordinator's own cost per line
   (writing the stem, hashing, the cache), and whether the audio matched the local run.
2. Simulated: a season on 1-64 GPUs. Each worker is a GPU with IndexTTS2; per-line GPU cost
   and the cost of a voice switch are inputs (defaults below are ASSUMED from IndexTTS2's
   published speed, not measured: no GPU was available where this was written; pass
   ``--gpu-line`` etc. with figures from ``python -m tests.gpu``). The coordinator's cost per
   line is the one measured in part 1; network and storage are the stem's bytes over the
   given bandwidths. The simulation runs the real scheduler (``cluster._next_batch``) over
   a job whose lines rotate among several voices and reports where it stops scaling.
"""
from __future__ import annotations

import argparse
import heapq
import statistics
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from dubline.core.catalog import Catalog
from dubline.core.cluster import ClusterFitter, ClusterOptions, _next_batch
from dubline.core.engines.base import SynthesisControls, Voice
from dubline.core.fit import FitPolicy, FitTask
from dubline.core.lines import Line
from dubline.core.render import DubOptions, JobDone, dub, write_slot
from dubline.core.timebase import FrameRate, TimeRange

RATE = FrameRate(24000, 1001)
WORDS = ["We leave at dawn.", "Did you bring the maps?", "The river is too high.", "Then we take the pass.",
         "Nobody goes up there in winter.", "Keep your voice down.", "How far is the border?"]


def job(n: int) -> list[Line]:
    return [Line(f"L{i + 1}", f"{WORDS[i % len(WORDS)][:-1]}, line {i + 1}.", TimeRange(96 * i, 96 * i + 72, RATE.fps))
            for i in range(n)]


def run_job(lines: list[Line], out: Path, fitter: ClusterFitter | None) -> float:
    """Wall seconds of the whole job, files included."""
    start = time.perf_counter()
    for event in dub(lines, DubOptions(out_dir=out, fitter=fitter), Catalog()):
        if isinstance(event, JobDone):
            break
    return time.perf_counter() - start


def coordinator_cost(out: Path, lines: list[Line]) -> float:
    """Median seconds to write one stem (BWF, peak-safe, sha256): the coordinator's share."""
    from dubline.core.fit import FitResult
    from dubline.core.render import Slot

    options = DubOptions(out_dir=out)
    (out / "lines").mkdir(parents=True, exist_ok=True)
    audio = np.zeros(72 * 2002, dtype=np.float32)
    fitted = FitResult(audio, 1.0, 3.0, 1.0, "native")
    voice = Voice("en-joe", "piper", "en")
    times = []
    for line in lines[:20]:
        slot = Slot(line, voice, 0, len(audio), 0, out / "lines" / f"{line.id}.wav")
        t = time.perf_counter()
        write_slot(slot, fitted, options)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def same_audio(a: Path, b: Path) -> bool:
    return np.array_equal(sf.read(str(a / "track.wav"), dtype="int32")[0], sf.read(str(b / "track.wav"), dtype="int32")[0])


def measured(n: int) -> tuple[list[tuple[str, float, bool]], float]:
    import ray

    lines = job(n)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        wall = run_job(lines, root / "local", None)
        rows.append(("local (one process)", n / wall, True))
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        try:
            for workers in (1, 2):
                with ClusterFitter(ClusterOptions("local", actors=workers), Catalog) as fitter:
                    fitter.worker_pids()  # started and loaded before the clock runs
                    list(fitter.fit([]))
                    wall = run_job(lines, root / f"w{workers}", fitter)
                rows.append((f"Ray, {workers} CPU worker{'s' * (workers > 1)}", n / wall,
                             same_audio(root / "local", root / f"w{workers}")))
        finally:
            ray.shutdown()
        cost = coordinator_cost(root / "coord", lines)
    return rows, cost


@dataclass(frozen=True)
class SimCosts:
    gpu_line: float  # seconds of GPU work per line (GPT + second stage + vocoder)
    voice_switch: float  # seconds to condition on a voice a worker has not spoken last
    coordinator: float  # seconds of coordinator work per line (measured)
    stem_bytes: int  # one stem's size
    network: float  # bytes/s between a worker and the coordinator
    storage: float  # bytes/s the coordinator's disk takes


def simulate(workers: int, lines: int, voices: int, c: SimCosts, in_flight: int = 2) -> tuple[float, str]:
    """Seconds to dub ``lines`` on ``workers`` GPUs, and the bound that decided it."""
    pending = deque(FitTask(i, "", Voice(f"v{i % voices}", "indextts2", "en"), SynthesisControls(), 1, 48000,
                            FitPolicy(), 0) for i in range(lines))
    free = [(0.0, w) for w in range(workers)]  # (time a worker is free, worker)
    last: dict[int, str | None] = {w: None for w in range(workers)}
    finish = 0.0
    while pending:
        t, w = heapq.heappop(free)
        batch = _next_batch(pending, last[w], in_flight)
        cost = len(batch) * c.gpu_line + (c.voice_switch if batch[0].voice.name != last[w] else 0.0)
        last[w] = batch[0].voice.name
        finish = max(finish, t + cost)
        heapq.heappush(free, (t + cost, w))
    per_line = {"GPUs": finish / lines,
                "coordinator": c.coordinator,
                "network": c.stem_bytes / c.network,
                "storage": c.stem_bytes / c.storage}
    bound = max(per_line, key=lambda k: per_line[k])
    return lines * per_line[bound], bound


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=60, help="lines of the measured job")
    ap.add_argument("--gpu-line", type=float, default=2.0,
                    help="GPU seconds per line (ASSUMED default: an hour of 600 lines in 20 min)")
    ap.add_argument("--voice-switch", type=float, default=0.3, help="GPU seconds per voice switch (ASSUMED)")
    ap.add_argument("--network", type=float, default=1e9 / 8, help="bytes/s worker -> coordinator (1 Gbit/s)")
    ap.add_argument("--storage", type=float, default=200e6, help="bytes/s of the coordinator's disk")
    a = ap.parse_args(argv)

    rows, cost = measured(a.lines)
    base = rows[0][1]
    print(f"MEASURED on this machine, {a.lines} lines, embedded English voice:\n")
    print("| run | lines/s | vs local | same audio as local |\n|---|---|---|---|")
    for name, rate, same in rows:
        print(f"| {name} | {rate:.2f} | {rate / base:.2f} | {'yes' if same else 'NO'} |")
    print(f"\ncoordinator cost per line (write stem + sha256): {cost * 1000:.1f} ms (measured)\n")

    costs = SimCosts(a.gpu_line, a.voice_switch, cost, 3 * 48000 * 2, a.network, a.storage)
    lines = 6000  # a season: 10 episodes of 600 lines
    one, _ = simulate(1, lines, 6, costs)
    print(f"SIMULATED season of {lines} lines, 6 voices; GPU costs ASSUMED "
          f"({a.gpu_line} s/line, {a.voice_switch} s/voice switch):\n")
    print("| GPUs | hours | speed-up | limited by |\n|---|---|---|---|")
    for n in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024):
        seconds, bound = simulate(n, lines, 6, costs)
        print(f"| {n} | {seconds / 3600:.2f} | {one / seconds:.1f} | {bound} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
