"""The real embedded English engine: exact native duration and reproducibility."""
from fractions import Fraction

import numpy as np
import pytest

from dubline.core.engines.base import DurationTarget, Engine, SynthesisControls
from dubline.core.errors import EngineError

SENTENCES = [
    "Welcome to the future world.",
    "Please remain seated until the aircraft has come to a complete stop at the gate.",
    "Then we leave at dawn, before anyone notices.",
]


def test_declares_capabilities(piper):
    assert isinstance(piper, Engine)
    d = piper.capabilities.duration
    assert d.native and d.min_factor <= 0.75 and d.max_factor >= 1.35
    assert abs(d.resolution_seconds - 256 / 22050) < 1e-9


@pytest.mark.parametrize("text", SENTENCES)
def test_hits_targets_within_one_frame(piper, text):
    voice = piper.voices()[0]
    natural = piper.synthesize(text, voice, SynthesisControls(seed=3))
    assert natural.method == "natural" and natural.factor == 1.0
    first, end = natural.speech
    assert (end - first) / natural.sample_rate == pytest.approx(natural.natural_seconds)
    frame = piper.capabilities.duration.resolution_seconds
    for factor in (0.75, 0.9, 1.0, 1.15, 1.35):
        target = Fraction(round(natural.natural_seconds * factor * 48000), 48000)
        take = piper.synthesize(text, voice, SynthesisControls(seed=3), DurationTarget(target))
        first, end = take.speech
        got = (end - first) / take.sample_rate
        assert take.method == "native" and take.natural_seconds == natural.natural_seconds
        assert abs(got - float(target)) <= frame / 2, (factor, got, float(target))
        assert take.factor == pytest.approx(got / natural.natural_seconds)


def test_speech_span_is_the_alignment_and_the_edges_are_quiet(piper):
    voice = piper.voices()[0]
    for text in SENTENCES:
        take = piper.synthesize(text, voice, SynthesisControls(seed=3))
        first, end = take.speech
        peak = np.abs(take.audio).max()
        assert 0 < first < end < len(take.audio)
        assert np.abs(take.audio[:first]).max() < 0.1 * peak
        assert np.abs(take.audio[end:]).max() < 0.1 * peak


def test_target_outside_the_voice_range_is_clamped_with_a_warning(piper):
    voice = piper.voices()[0]
    natural = piper.synthesize(SENTENCES[0], voice, SynthesisControls())
    take = piper.synthesize(SENTENCES[0], voice, SynthesisControls(),
                            DurationTarget(Fraction(natural.natural_seconds * 0.3)))
    assert "outside the voice's range" in take.warnings[0] and take.factor == pytest.approx(0.6, abs=0.02)
    take = piper.synthesize(SENTENCES[0], voice, SynthesisControls(),
                            DurationTarget(Fraction(natural.natural_seconds * 3), max_factor=1.35))
    assert not take.warnings and take.factor == pytest.approx(1.35, abs=0.02)


def test_deterministic_for_seed_and_different_across_seeds(piper):
    voice = piper.voices()[0]
    a = piper.synthesize(SENTENCES[0], voice, SynthesisControls(seed=1)).audio
    b = piper.synthesize(SENTENCES[0], voice, SynthesisControls(seed=1)).audio
    c = piper.synthesize(SENTENCES[0], voice, SynthesisControls(seed=2)).audio
    assert np.array_equal(a, b)
    assert len(a) != len(c) or not np.array_equal(a, c)


def test_emotion_is_a_warning_not_silently_dropped(piper):
    from dubline.core.lines import Emotion

    take = piper.synthesize("Hi there.", piper.voices()[0], SynthesisControls(emotion=Emotion(preset="angry")))
    assert any("emotion" in w for w in take.warnings)


def test_nothing_to_say(piper):
    with pytest.raises(EngineError, match="nothing to say"):
        piper.synthesize(" ... ", piper.voices()[0], SynthesisControls())


def test_cache_is_verified_and_rebuilt(tmp_path):
    from dubline.core.engines.piper import bundled_voice
    from dubline.core.engines.piper.graph import prepared_graphs

    model, _ = bundled_voice()
    first = prepared_graphs(model, tmp_path)
    first.durations.write_bytes(b"truncated")
    again = prepared_graphs(model, tmp_path)
    assert again.durations.stat().st_size > 1_000_000


def test_optimised_session_copy_gives_the_same_samples(tmp_path):
    from dubline.core.engines.piper import PiperEngine

    first = PiperEngine.load(cache_root=tmp_path)  # optimises the graphs and keeps the copies
    assert len(list(tmp_path.glob("piper/*/full.ort-*.onnx"))) == 1
    again = PiperEngine.load(cache_root=tmp_path)  # loads the kept copies, optimisation off
    voice = first.voices()[0]
    a = first.synthesize(SENTENCES[2], voice, SynthesisControls(seed=4))
    b = again.synthesize(SENTENCES[2], voice, SynthesisControls(seed=4))
    assert np.array_equal(a.audio, b.audio) and a.speech == b.speech


def test_a_dub_reads_each_line_with_espeak_once(tmp_path):
    # plan() checks every line before any audio, then each line is synthesized: espeak
    # reads a text once, and the remembered ids are the ones it gives.
    from dubline.core.catalog import Catalog
    from dubline.core.engines.piper import PiperEngine
    from dubline.core.render import DubOptions, dub
    from dubline.core.subtitles import read_subtitles

    srt = tmp_path / "three.srt"
    srt.write_text("".join(f"{i + 1}\n00:00:0{3 * i + 1},000 --> 00:00:0{3 * i + 3},500\n{t}\n\n"
                           for i, t in enumerate(SENTENCES)), encoding="utf-8")
    engine = PiperEngine.load()
    reads: list[str] = []
    phonemize = engine._phonemizer.phonemize
    engine._phonemizer.phonemize = lambda voice, text: reads.append(text) or phonemize(voice, text)
    catalog = Catalog()
    catalog.register_engine("piper", lambda: engine)
    for _ in dub(read_subtitles(srt).lines, DubOptions(tmp_path / "out", voice="en-joe"), catalog):
        pass
    assert sorted(reads) == sorted(SENTENCES)
    fresh = PiperEngine.load()
    assert all(engine.phoneme_ids(t) == fresh.phoneme_ids(t) for t in SENTENCES)
    with pytest.raises(EngineError, match="nothing to say"):  # a refusal is not remembered as ids
        engine.phoneme_ids(" ... ")
    with pytest.raises(EngineError, match="nothing to say"):
        engine.phoneme_ids(" ... ")
