"""Why a voice's own pacing can be less intelligible than a stretch of its natural take.

    python -m tests.bench.pacing_why [--languages zh,en] [--sentences N] [-o DIR]

For the first sentences of each set (data/sentences_<lang>.txt), at each factor the native
take (the voice's own pacing, as in ``policy_sweep``) and the stretched natural take are
compared with the natural take, time-normalised to it:

- tone: the pitch track (librosa pYIN, 10 ms frames) resampled onto the natural take's
  frames; the mean absolute difference in semitones over frames voiced in both, and the
  share of frames whose voicing agrees. A stretch keeps the contour's shape by
  construction; a duration model that lengthens or shortens phones re-renders it.
- pauses: the share of 10 ms frames inside the speech that are silent (below -40 dB of the
  take's peak). Equal to the natural take's share: pauses scale with the rest.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from dubline.core.audio import resample
from dubline.core.catalog import Catalog
from dubline.core.engines.base import SynthesisControls
from dubline.core.fit import speech_span
from dubline.core.stretch import stretch_to

from .policy_sweep import NATIVE, VOICES, _fit, sentences

RATE = 16000
HOP = 160
FACTORS = (0.6, 0.8, 1.3, 1.7)


def pitch(audio: np.ndarray) -> np.ndarray:
    """Semitones (re 100 Hz) per 10 ms frame; NaN where unvoiced."""
    import librosa

    f0, voiced, _ = librosa.pyin(audio, fmin=60, fmax=400, sr=RATE, frame_length=1024, hop_length=HOP)
    return np.where(voiced, 12 * np.log2(np.maximum(f0, 1e-6) / 100), np.nan)


def onto(track: np.ndarray, frames: int) -> np.ndarray:
    """``track`` resampled (nearest frame) onto ``frames`` frames of the same span."""
    idx = np.minimum(len(track) - 1, np.round(np.linspace(0, len(track) - 1, frames)).astype(int))
    return track[idx]


def silent_share(audio: np.ndarray) -> float:
    n = len(audio) // HOP
    rms = np.sqrt(np.mean(audio[: n * HOP].reshape(n, HOP) ** 2, axis=1)) + 1e-9
    return float(np.mean(20 * np.log10(rms / np.max(rms)) < -40))


def compare(natural: np.ndarray, take: np.ndarray) -> dict:
    a, b = pitch(natural), onto(pitch(take), len(pitch(natural)))
    both = ~np.isnan(a) & ~np.isnan(b)
    return {"semitones": float(np.mean(np.abs(a[both] - b[both]))) if both.any() else float("nan"),
            "voicing": float(np.mean(np.isnan(a) == np.isnan(b))), "silent": silent_share(take)}


def measure(language: str, count: int, factors=FACTORS) -> dict:
    catalog = Catalog()
    voice = catalog.voice(VOICES[language])
    engine = catalog.engine(voice.engine)
    rows = []
    for text in sentences(language)[:count]:
        take = engine.synthesize(text, voice, SynthesisControls())
        audio = resample(take.audio, take.sample_rate, RATE)
        first, end = speech_span(take, audio, RATE, NATIVE)
        speech = audio[first:end]
        rows.append({"factor": 1.0, "variant": "natural", "silent": silent_share(speech)})
        for f in factors:
            target = round(len(speech) * f)
            fitted, _ = _fit(engine, voice, text, SynthesisControls(), target, RATE, NATIVE)
            native = fitted.audio[:target]
            stretched = stretch_to(speech, RATE, target)
            rows.append({"factor": f, "variant": "native", **compare(speech, native)})
            rows.append({"factor": f, "variant": "stretched", **compare(speech, stretched)})
    return {"rows": rows, "sentences": count}


def table(language: str, result: dict) -> str:
    rows = result["rows"]
    mean = lambda f, v, k: np.nanmean([r[k] for r in rows if r["factor"] == f and r["variant"] == v])  # noqa: E731
    out = [f"### {language}: pitch and pauses against the natural take ({result['sentences']} sentences)", "",
           f"natural take: {mean(1.0, 'natural', 'silent'):.1%} of speech frames silent", "",
           "| factor | pitch dev. native (st) | stretched (st) | voicing agrees native | stretched "
           "| silent frames native | stretched |", "|---|---|---|---|---|---|---|"]
    for f in sorted({r["factor"] for r in rows} - {1.0}):
        out.append(f"| {f:.2f} | {mean(f, 'native', 'semitones'):.2f} | {mean(f, 'stretched', 'semitones'):.2f} "
                   f"| {mean(f, 'native', 'voicing'):.1%} | {mean(f, 'stretched', 'voicing'):.1%} "
                   f"| {mean(f, 'native', 'silent'):.1%} | {mean(f, 'stretched', 'silent'):.1%} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.bench.pacing_why", description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", type=Path, default=Path("bench-results/policy"))
    ap.add_argument("--languages", default="zh,en")
    ap.add_argument("--sentences", type=int, default=12)
    a = ap.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    text, results = "", {}
    for lang in a.languages.split(","):
        results[lang] = measure(lang, a.sentences)
        text += table(lang, results[lang]) + "\n"
    (a.out / "pacing_why.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    (a.out / "pacing_why.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
