"""Where to time-stretch: at the output rate (48 kHz, what fitting did before) or at the
engine's own rate before resampling up (``stretch_resampled``, what it does now).

    python -m tests.bench.stretch_rate [--count 40] [--factors 0.8,0.9,1.1,1.2] [--model base]

For each sentence of the bench set (data/sentences_{en,zh}.txt) the voice's natural take is
stretched both ways to the same lengths and transcribed by Whisper; the table gives the
error rate (WER for English, CER for Mandarin) of each, and the CPU seconds of the stretch
(thread time, both ways in the same process, interleaved). Needs ``pip install -e '.[bench]'``.
"""
from __future__ import annotations

import argparse
import statistics
import time

from dubline.core.audio import resample
from dubline.core.catalog import Catalog
from dubline.core.engines.base import SynthesisControls
from dubline.core.stretch import stretch_resampled, stretch_to

from . import asr
from .policy_sweep import sentences

OUT_RATE = 48000
VOICES = {"en": "en-joe", "zh": "zh-baker"}


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
