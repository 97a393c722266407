"""Speed per engine, each measured in a fresh subprocess so its memory and start-up are its own.

    python -m tests.bench.speed ENGINE VOICE LANGUAGE N   (prints one JSON object)
    python -m tests.bench.speed table [-o DIR] [--reps 3] [--lines 100,600]
        (the speed table: see ``speed_table``; prints markdown, writes speed.json)

cold start = import of the engine's code + model load in a new process; first-line latency
= the first synthesis after that; RTF = synthesis seconds / audio seconds over the next
lines (warm); peak memory = the process's peak RSS. Run twice per engine: first with an
empty model cache (first use on a machine), then again with that cache filled.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def probe(engine_name: str, voice_name: str, language: str, n: int) -> dict:
    t0 = time.perf_counter()
    from dubline.core.catalog import Catalog
    from dubline.core.engines.base import SynthesisControls

    from .inputs import SENTENCES, ZH_SENTENCES

    catalog = Catalog()
    engine = catalog.engine(engine_name)
    voice = catalog.voice(voice_name)
    cold = time.perf_counter() - t0
    sentences = list(ZH_SENTENCES if language == "zh" else SENTENCES)
    texts = [sentences[i % len(sentences)] for i in range(n + 1)]
    controls = SynthesisControls(seed=0)
    t1 = time.perf_counter()
    engine.synthesize(texts[0], voice, controls)
    first = time.perf_counter() - t1
    synth = audio = 0.0
    cpu0 = _cpu_seconds()
    for text in texts[1:]:
        t = time.perf_counter()
        take = engine.synthesize(text, voice, controls)
        synth += time.perf_counter() - t
        audio += len(take.audio) / take.sample_rate
    cpu = _cpu_seconds() - cpu0
    return {
        "engine": engine_name,
        "voice": voice_name,
        "cold_start_seconds": cold,
        "first_line_seconds": first,
        "rtf": synth / audio if audio else None,
        # CPU seconds (all threads) per audio second: less sensitive than wall time to other
        # work on a shared machine.
        "cpu_rtf": cpu / audio if audio else None,
        "lines": n,
        "audio_seconds": audio,
        "peak_rss_mb": peak_rss_mb(),
    }


def _cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def peak_rss_mb() -> float:
    """This process's peak resident memory.

    VmHWM belongs to the process image; ``ru_maxrss`` would also count the parent's peak,
    which Linux carries across fork and exec.
    """
    try:
        for row in Path("/proc/self/status").read_text().splitlines():
            if row.startswith("VmHWM:"):
                return int(row.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_probe(engine: str, voice: str, language: str, n: int, cache: Path, timeout: float = 900) -> dict:
    """Run ``probe`` in a new interpreter with ``cache`` as the model cache."""
    env = dict(os.environ, DUBLINE_CACHE_DIR=str(cache), PYTHONWARNINGS="ignore")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "tests.bench.speed", engine, voice, language, str(n)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"speed probe for {engine} failed:\n{proc.stderr[-2000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - t0
    return result


def engine_speed(engine: str, voice: str, language: str, n: int) -> dict:
    """First use (empty model cache) and an ordinary cold process (cache ready)."""
    with tempfile.TemporaryDirectory(prefix="dubline-bench-cache-") as cache:
        first_use = run_probe(engine, voice, language, n, Path(cache))
        warm_cache = run_probe(engine, voice, language, n, Path(cache))
    warm_cache["first_use_cold_start_seconds"] = first_use["cold_start_seconds"]
    return warm_cache


if __name__ == "__main__":
    if sys.argv[1:2] == ["table"]:
        from .speed_table import main as table_main

        sys.exit(table_main(sys.argv[2:]))
    if sys.argv[1:2] in (["limit"], ["peer"], ["calls"]):
        from .speed_table import worker_main

        sys.exit(worker_main(sys.argv[1:]))
    engine_arg, voice_arg, language_arg, n_arg = sys.argv[1:5]
    print(json.dumps(probe(engine_arg, voice_arg, language_arg, int(n_arg))))
