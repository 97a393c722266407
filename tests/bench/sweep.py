"""Takes of the same sentences at fixed fit factors: native duration control vs time-stretch.

For every sentence the voice speaks it once unforced (the natural take, cut to the speech
span the engine's alignment gives, ``n`` samples). For each factor ``f`` the slot is
``round(n * f)`` samples and is filled two ways: ``native`` is a dub's ``fit_line`` (one
synthesis aimed at the slot by the engine's own duration control), ``stretched``
time-stretches the natural take to the same length with ``stretch_to``. Both are then
placed in the slot exactly as a dub would be.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dubline.core.audio import resample, speech_bounds
from dubline.core.engines.base import Engine, SynthesisControls, Voice
from dubline.core.fit import FitPolicy, fit_line, place, speech_span
from dubline.core.stretch import stretch_to

FACTORS = (0.75, 0.9, 1.0, 1.15, 1.3)
# Wide enough that every swept factor is reached natively (Piper's own safe range is wider).
# max_stretch 1 and no squeeze: no post-hoc stretch can touch the native take, so "native"
# really is the engine's own control (a take that misses by more than the tolerance is
# labelled "native+stretch" by fit_line but is left as the engine made it, then cut/padded).
# pacing "native": the engine's own control even where its pacing table would stretch
# (python -m tests.bench.policy_sweep compares the two, and the default fit, directly).
SWEEP_POLICY = FitPolicy(min_factor=0.5, max_factor=1.5, max_stretch=1.0, squeeze=False, pad_slack=0.0,
                         pacing="native")


@dataclass
class Take:
    language: str
    voice: str
    sentence: int
    text: str
    variant: str  # unfitted | native | stretched
    factor: float | None  # None for the unfitted take
    audio: np.ndarray = field(repr=False)
    sample_rate: int
    method: str = "natural"  # what fit_line did, for the native variant
    speech_factor: float = 1.0  # trimmed speech length of this take / natural length

    def meta(self) -> dict:
        return {k: getattr(self, k) for k in ("language", "voice", "sentence", "text", "variant", "factor",
                                              "method", "speech_factor")}


def _speech_len(audio: np.ndarray, sample_rate: int) -> int:
    first, end = speech_bounds(audio, sample_rate)
    return end - first


def sentence_takes(engine: Engine, voice: Voice, index: int, text: str, factors=FACTORS,
                   sample_rate: int = 48000, seed: int = 0) -> list[Take]:
    controls = SynthesisControls(seed=seed)
    natural = engine.synthesize(text, voice, controls)
    audio = resample(natural.audio, natural.sample_rate, sample_rate)
    first, end = speech_span(natural, audio, sample_rate, SWEEP_POLICY)
    speech = audio[first:end]
    n = len(speech)
    base = dict(language=voice.language, voice=voice.name, sentence=index, text=text, sample_rate=sample_rate)
    takes = [Take(variant="unfitted", factor=None, audio=speech, **base)]
    for f in factors:
        target = round(n * f)
        fitted = fit_line(engine, voice, text, controls, target, sample_rate, SWEEP_POLICY)
        takes.append(Take(variant="native", factor=f, audio=fitted.audio, method=fitted.method,
                          speech_factor=_speech_len(fitted.audio, sample_rate) / n, **base))
        stretched = place(stretch_to(speech, sample_rate, target), target, sample_rate, SWEEP_POLICY.fade_seconds)
        takes.append(Take(variant="stretched", factor=f, audio=stretched, method="stretch",
                          speech_factor=_speech_len(stretched, sample_rate) / n, **base))
    return takes


def mean_by(rows: list[dict], key: str) -> dict[str, dict[str, float]]:
    """``{variant: {factor label: mean of key}}`` over rows that have ``key``."""
    groups: dict[tuple[str, str], list[float]] = {}
    for r in rows:
        if r.get(key) is None:
            continue
        label = "natural" if r["factor"] is None else f"{r['factor']:.2f}"
        groups.setdefault((r["variant"], label), []).append(r[key])
    out: dict[str, dict[str, float]] = {}
    for (variant, label), values in sorted(groups.items()):
        out.setdefault(variant, {})[label] = float(np.mean(values))
    return out
