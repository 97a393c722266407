"""How to time-stretch: Rubber Band's long or short window at the output rate (48 kHz),
at 32 kHz, or at the engine's own rate before resampling up.

    python -m tests.bench.stretch_rate [--count 40] [--factors 0.8,0.9,1.1,1.2] [--languages en,zh]
                                       [--ways "long window,short window,engine rate,32 kHz"] [--model base]

For each sentence of the bench set (data/sentences_{en,zh}.txt) the voice's natural take is
stretched each way to the same lengths and transcribed by Whisper. Per factor the table
gives each way's error rate (WER for English, CER for Mandarin) and on how many sentences
each way beat / lost to the first; then each way's CPU seconds against the first's (thread
time, all ways in the same process, interleaved). Needs ``pip install -e '.[bench]'``.

Measured 2026-12-02 (Whisper base, 40-42 sentences a language), long window at the output
rate against the engine's rate: English WER 0.011 vs 0.015 (factors 0.8-1.2), 0.013 vs 0.015
(0.75-1.225, six factors); Mandarin CER 0.078 vs 0.077; stretch CPU 0.33x. On 126 English
takes (0.75, 0.95, 1.15): 0.012 at the output rate, 0.018 at the engine's (with or without
the long window or formant keeping), 0.022 with Rubber Band's faster R2 engine at 48 kHz.
Long against short window at the output rate: English, 360 takes at 0.75-1.2 (nine
factors), WER 0.0121 long vs 0.0136 short, the short one better on 11 sentences and worse
on 13, for 0.41x the CPU; Mandarin CER 0.102 vs 0.110 at 0.6, 0.111 vs 0.089 at 0.7, 0.083
vs 0.085 at 0.8. At 48 kHz against 32 kHz, where Rubber Band's R3 takes half the FFT size
(64 ms windows against 85 ms), for 0.46x the CPU (2026-12-02): English, 360 takes at
0.75-0.95 and 1.05-1.2 (nine factors), WER 0.0135 vs 0.0127, 32 kHz better on 12 sentences
and worse on 10; Mandarin, 240 takes at 0.6-0.85, CER 0.0892 vs 0.0938, better on 21 and
worse on 34. Tried in the English fit itself (python -m tests.bench.policy_sweep --languages
en --variants after, 40 sentences, the sweep's factors 0.6-1.7), 32 kHz was worse: WER
0.0212 vs 0.0178 over 320 takes, better on 6 and worse on 13, worse at 0.6, 0.7, 0.8, 0.9
and 1.7 (2 wins against 11 losses from 0.6 to 0.9). So fitting stretches at the output
rate with the long window (core/stretch.py).
"""
from __future__ import annotations

import argparse
import statistics
import time

from dubline.core.audio import resample
from dubline.core.catalog import Catalog
from dubline.core.engines.base import SynthesisControls
from dubline.core.stretch import stretch_to

from . import asr
from .policy_sweep import sentences

OUT_RATE = 48000
VOICES = {"en": "en-joe", "zh": "zh-baker"}


def stretch_resampled(native, native_rate: int, sample_rate: int, length: int, at: int | None = None):
    """``native`` (speech at the engine's rate) stretched there or at the rate ``at``, then
    resampled to exactly ``length`` samples at ``sample_rate``."""
    import numpy as np

    at = at or native_rate
    made = resample(stretch_to(resample(native, native_rate, at), at, max(1, round(length * at / sample_rate))),
                    at, sample_rate)
    out = np.zeros(length, dtype=np.float32)
    out[: min(length, len(made))] = made[:length]
    return out


# Each way: (natural take at the engine's rate, that rate, the take at OUT_RATE, length) -> audio.
WAYS = {
    "long window": lambda own, rate, up, length: stretch_to(up, OUT_RATE, length, "long"),
    "short window": lambda own, rate, up, length: stretch_to(up, OUT_RATE, length, "short"),
    "engine rate": lambda own, rate, up, length: stretch_resampled(own, rate, OUT_RATE, length),
    "32 kHz": lambda own, rate, up, length: stretch_resampled(own, rate, OUT_RATE, length, at=32000),
}


def _timed(fn, *args):
    t = time.thread_time()
    out = fn(*args)
    return out, time.thread_time() - t


def compare(language: str, count: int, factors: list[float], model: asr.Asr, ways: list[str]) -> dict:
    """Per factor and way, the error of each sentence's take; per way, its CPU seconds."""
    catalog = Catalog()
    voice = catalog.voice(VOICES[language])
    engine = catalog.engine(voice.engine)
    errors: dict[float, dict[str, list[float]]] = {f: {way: [] for way in ways} for f in factors}
    cpu = dict.fromkeys(ways, 0.0)
    for text in sentences(language)[:count]:
        take = engine.synthesize(text, voice, SynthesisControls())
        first, end = take.speech if take.speech is not None else (0, len(take.audio))
        own = take.audio[first:end]
        up = resample(own, take.sample_rate, OUT_RATE)
        for f in factors:
            length = round(len(up) * f)
            for way in ways:
                audio, seconds = _timed(WAYS[way], own, take.sample_rate, up, length)
                cpu[way] += seconds
                assert len(audio) == length
                heard = model.transcribe(audio, OUT_RATE, language)
                errors[f][way].append(asr.error_rate(text, heard, language))
    return {"errors": errors, "cpu": cpu}


def won_lost(errors: list[float], base: list[float]) -> str:
    """On how many sentences ``errors`` was below / above ``base``."""
    return f"{sum(e < b for e, b in zip(errors, base))}/{sum(e > b for e, b in zip(errors, base))}"


def table(language: str, result: dict, ways: list[str]) -> list[str]:
    base, others = ways[0], ways[1:]
    head = ("| factor | takes | " + " | ".join(f"error, {w}" for w in ways)
            + "".join(f" | won/lost, {w}" for w in others) + " |")
    rows = [f"{language}, {VOICES[language]}", "", head,
            "|---|---|" + "---|" * (len(ways) + len(others))]
    every: dict[str, list[float]] = {w: [] for w in ways}
    for f, by_way in [*result["errors"].items(), ("all", None)]:
        by_way = by_way or every
        if f != "all":
            for w in ways:
                every[w] += by_way[w]
        rows.append(f"| {f} | {len(by_way[base])} | " + " | ".join(f"{statistics.mean(by_way[w]):.4f}" for w in ways)
                    + "".join(f" | {won_lost(by_way[w], by_way[base])}" for w in others) + " |")
    cpu = result["cpu"]
    rows += ["", "CPU against the " + base + ": " + ", ".join(f"{w} {cpu[w] / cpu[base]:.2f}x" for w in ways), ""]
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.bench.stretch_rate")
    ap.add_argument("--count", type=int, default=40)
    ap.add_argument("--factors", default="0.8,0.9,1.1,1.2")
    ap.add_argument("--languages", default="en,zh")
    ap.add_argument("--ways", default=",".join(WAYS), help="the first is the one the others are paired with")
    ap.add_argument("--model", default="base", choices=asr.MODELS)
    args = ap.parse_args(argv)
    factors = [float(f) for f in args.factors.split(",")]
    ways = args.ways.split(",")
    model = asr.load(args.model)
    print(f"Whisper {args.model}; {args.count} sentences a language; won/lost against the {ways[0]}\n")
    for language in args.languages.split(","):
        print("\n".join(table(language, compare(language, args.count, factors, model, ways), ways)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
