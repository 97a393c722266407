"""Where to time-stretch: at the output rate (48 kHz, what fitting does) or at the engine's
own rate before resampling up (a third of Rubber Band's CPU).

    python -m tests.bench.stretch_rate [--count 40] [--factors 0.8,0.9,1.1,1.2] [--model base]

For each sentence of the bench set (data/sentences_{en,zh}.txt) the voice's natural take is
stretched both ways to the same lengths and transcribed by Whisper; the table gives the
error rate (WER for English, CER for Mandarin) of each, and the CPU seconds of the stretch
(thread time, both ways in the same process, interleaved). Needs ``pip install -e '.[bench]'``.

Measured 2026-12-02 (Whisper base, 40-42 sentences a language): English WER 0.011 at the
output rate vs 0.015 at the engine's (factors 0.8-1.2), 0.013 vs 0.015 (0.75-1.225, six
factors); Mandarin CER 0.078 vs 0.077; stretch CPU 0.33x. On 126 English takes (0.75,
0.95, 1.15): 0.012 at the output rate, 0.018 at the engine's (with or without Rubber Band's
long window or formant keeping), 0.022 with Rubber Band's faster R2 engine at 48 kHz.
English got worse in every run, so fitting keeps stretching at the output rate.
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


def stretch_resampled(native, native_rate: int, sample_rate: int, length: int):
    """``native`` (speech at the engine's rate) stretched there, then resampled to exactly
    ``length`` samples at ``sample_rate``."""
    import numpy as np

    made = resample(stretch_to(native, native_rate, max(1, round(length * native_rate / sample_rate))),
                    native_rate, sample_rate)
    out = np.zeros(length, dtype=np.float32)
    out[: min(length, len(made))] = made[:length]
    return out


def _timed(fn, *args):
    t = time.thread_time()
    out = fn(*args)
    return out, time.thread_time() - t


def compare(language: str, count: int, factors: list[float], model: asr.Asr) -> dict:
    catalog = Catalog()
    voice = catalog.voice(VOICES[language])
    engine = catalog.engine(voice.engine)
    errors: dict[str, list[float]] = {"output rate": [], "engine rate": []}
    cpu = {"output rate": 0.0, "engine rate": 0.0}
    for text in sentences(language)[:count]:
        take = engine.synthesize(text, voice, SynthesisControls())
        first, end = take.speech if take.speech is not None else (0, len(take.audio))
        own = take.audio[first:end]
        up = resample(own, take.sample_rate, OUT_RATE)
        for f in factors:
            length = round(len(up) * f)
            made = {}
            made["output rate"], t_out = _timed(stretch_to, up, OUT_RATE, length)
            made["engine rate"], t_own = _timed(stretch_resampled, own, take.sample_rate, OUT_RATE, length)
            cpu["output rate"] += t_out
            cpu["engine rate"] += t_own
            for way, audio in made.items():
                assert len(audio) == length
                errors[way].append(asr.error_rate(text, model.transcribe(audio, OUT_RATE, language), language))
    return {"errors": {k: statistics.mean(v) for k, v in errors.items()}, "cpu": cpu,
            "takes": len(errors["output rate"])}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.bench.stretch_rate")
    ap.add_argument("--count", type=int, default=40)
    ap.add_argument("--factors", default="0.8,0.9,1.1,1.2")
    ap.add_argument("--languages", default="en,zh")
    ap.add_argument("--model", default="base", choices=asr.MODELS)
    args = ap.parse_args(argv)
    factors = [float(f) for f in args.factors.split(",")]
    model = asr.load(args.model)
    print(f"Whisper {args.model}; factors {args.factors}; {args.count} sentences a language\n")
    print("| language | takes | error, output rate | error, engine rate | stretch CPU engine/output rate |")
    print("|---|---|---|---|---|")
    for language in args.languages.split(","):
        r = compare(language, args.count, factors, model)
        e, c = r["errors"], r["cpu"]
        print(f"| {language} | {r['takes']} | {e['output rate']:.3f} | {e['engine rate']:.3f} "
              f"| {c['engine rate'] / c['output rate']:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
