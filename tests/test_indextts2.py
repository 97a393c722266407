"""IndexTTS2 end to end on the CPU: real package classes, real loading code, real pipeline.

The checkpoint is tiny and randomly initialised (tests/tiny_indextts2.py), so the audio is
noise-like, but every stage runs: w2v-BERT, semantic codec, CAMPPlus, GPT, length regulator
+ CFM, BigVGAN. Needs the ``indextts-test`` extra; skipped with the reason otherwise.
"""
from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
if __import__("importlib").util.find_spec("indextts") is None:
    pytest.skip("indextts2-inference not installed (pip install -e '.[indextts-test]')", allow_module_level=True)

from dubline.core.engines.base import SynthesisControls, Voice  # noqa: E402
from dubline.core.errors import EngineError, ModelMissingError  # noqa: E402
from dubline.core.lines import Emotion  # noqa: E402
from tiny_indextts2 import build, speechlike  # noqa: E402

HOP, SR = 256, 22050


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("IndexTTS-2"))


@pytest.fixture(scope="session")
def refs(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("refs")
    a = speechlike(d / "guanyu.wav", 110, 2.0, 0)
    copy = d / "guanyu_renamed.wav"
    shutil.copy(a, copy)
    return {"a": a, "a_copy": copy, "b": speechlike(d / "zhangfei.wav", 190, 2.0, 1),
            "angry": speechlike(d / "angry.wav", 260, 1.5, 2)}


@pytest.fixture(scope="session")
def engine(tiny_checkpoint, tmp_path_factory):
    from dubline.core.engines.indextts2 import IndexTTS2Engine, IndexTTS2Options

    # device="cuda" on a machine without one exercises the CPU fallback.
    opts = IndexTTS2Options(tiny_checkpoint, device="cuda", fp16=True, diffusion_steps=3, num_beams=1, max_mel_tokens=20,
                            cache_dir=tmp_path_factory.mktemp("cond"))
    return IndexTTS2Engine.load(opts)


def voice(path: Path, name: str = "guanyu") -> Voice:
    return Voice(name=name, engine="indextts2", language="zh", reference=path)


TEXT = "hello world this is a test"


def test_cpu_fallback_and_capabilities(engine):
    caps = engine.capabilities
    assert caps.device == "cpu" and engine.model.fp16 is False
    assert caps.cloning and caps.duration.native
    assert (caps.duration.min_factor, caps.duration.max_factor) == (0.75, 1.35)
    assert caps.emotion_modes == {"reference", "vector", "preset"}  # no qwen model in the checkpoint
    assert any("CUDA requested but not available" in n for n in engine.notes)
    assert engine.model_version.startswith("indextts2-2.0-")


def test_exact_length_for_several_targets(engine, refs):
    v = voice(refs["a"])
    natural = engine.synthesize(TEXT, v, SynthesisControls(seed=3))
    assert natural.method == "natural" and natural.sample_rate == SR
    assert len(natural.audio) == round(natural.natural_seconds * SR)
    nat_frames = len(natural.audio) // HOP
    for factor in (0.8, 1.0, 1.17, 1.3):
        target = Fraction(round(nat_frames * factor) * HOP, SR) + Fraction(1, 1000)  # off the frame grid
        s = engine.synthesize(TEXT, v, SynthesisControls(seed=3), target)
        assert s.method == "native" and s.target_seconds == target
        assert len(s.audio) == round(target * SR / HOP) * HOP
        assert s.natural_seconds == natural.natural_seconds
        assert np.isfinite(s.audio).all() and np.abs(s.audio).max() <= 1.0


def test_target_outside_safe_range_is_bounded_and_reported(engine, refs):
    v = voice(refs["a"])
    natural = engine.synthesize(TEXT, v, SynthesisControls(seed=3))
    nat_frames = len(natural.audio) // HOP
    s = engine.synthesize(TEXT, v, SynthesisControls(seed=3), Fraction(natural.natural_seconds) * 3)
    assert len(s.audio) == round(nat_frames * 1.35) * HOP
    assert any("outside IndexTTS2's safe range" in w for w in s.warnings)


def test_fit_line_makes_the_slot_sample_exact(engine, refs):
    from dubline.core.fit import FitPolicy, fit_line

    natural = engine.synthesize(TEXT, voice(refs["a"]), SynthesisControls(seed=3))
    target = round(natural.natural_seconds * 1.2 * 48000)
    result = fit_line(engine, voice(refs["a"]), TEXT, SynthesisControls(seed=3), target, 48000, FitPolicy())
    assert len(result.audio) == target
    assert result.method.startswith(("native", "natural"))


def test_same_seed_same_audio_other_seed_differs(engine, refs):
    v = voice(refs["a"])
    a = engine.synthesize("we will meet again", v, SynthesisControls(seed=11), Fraction(1, 2))
    engine._lines.clear()  # force the GPT to run again
    b = engine.synthesize("we will meet again", v, SynthesisControls(seed=11), Fraction(1, 2))
    c = engine.synthesize("we will meet again", v, SynthesisControls(seed=12), Fraction(1, 2))
    assert np.array_equal(a.audio, b.audio)
    assert not np.array_equal(a.audio, c.audio)


@pytest.fixture
def emovecs(engine, monkeypatch):
    """Record the emotion vector each line hands the GPT (the real one, then run on)."""
    seen = []
    real = engine.model.semantic_tokens

    def spy(ids, spk_cond, emo_cond, emovec, sampling):
        seen.append((emovec.detach().clone(), emo_cond.shape))
        return real(ids, spk_cond, emo_cond, emovec, sampling)

    monkeypatch.setattr(engine.model, "semantic_tokens", spy)
    engine._lines.clear()
    return seen


def test_each_emotion_control_reaches_the_model(engine, refs, emovecs):
    v = voice(refs["a"])
    controls = {
        "speaker": None,
        "vector": Emotion(vector=(0, 0.9, 0, 0, 0, 0, 0, 0)),
        "preset": Emotion(preset="happy", intensity=1.0),
        "same_as_preset": Emotion(vector=(1, 0, 0, 0, 0, 0, 0, 0)),
        "weak_preset": Emotion(preset="happy", intensity=0.3),
        "reference": Emotion(reference=refs["angry"], intensity=0.7),
        "zero_alpha_vector": Emotion(vector=(0, 0.9, 0, 0, 0, 0, 0, 0), intensity=0.0),
        "description": Emotion(description="trembling"),
    }
    results = {}
    for name, emo in controls.items():
        engine._lines.clear()  # one GPT run per control, even where two plans coincide
        results[name] = engine.synthesize("calm voice", v, SynthesisControls(seed=5, emotion=emo))
    vec = {name: e for name, (e, _) in zip(controls, emovecs)}
    emo_shapes = {name: s for name, (_, s) in zip(controls, emovecs)}

    def same(x, y):
        return bool(np.allclose(vec[x].numpy(), vec[y].numpy(), atol=1e-6))

    for other in ("vector", "preset", "weak_preset", "reference"):
        assert not same("speaker", other), other
    assert not same("vector", "preset") and not same("preset", "weak_preset")
    assert same("preset", "same_as_preset")  # a preset is a one-hot vector, same bias and cap
    assert same("zero_alpha_vector", "speaker")  # intensity 0 leaves the speaker's own emotion
    assert emo_shapes["reference"] != emo_shapes["speaker"]  # the emotion clip's features went in
    assert same("description", "speaker")
    assert any("no emotion text model" in w for w in results["description"].warnings)


def test_emotion_plan_follows_indextts2_precedence_and_normalisation():
    from dubline.core.engines.indextts_emotion import EMOTION_BIAS, plan_emotion

    plan = plan_emotion(Emotion(vector=(1, 1, 0, 0, 0, 0, 0, 1), reference=Path("x.wav")), has_text_model=False)
    assert plan.mode == "vector" and abs(sum(plan.vector) - 0.8) < 1e-9  # sum capped at 0.8
    biased = np.array([1, 1, 0, 0, 0, 0, 0, 1]) * EMOTION_BIAS
    assert np.allclose(plan.vector, biased * 0.8 / biased.sum())
    assert any("reference ignored" in w for w in plan.warnings)
    small = plan_emotion(Emotion(vector=(0.2, 0, 0, 0, 0, 0, 0, 0.2)), has_text_model=False)
    assert np.allclose(small.vector, (0.2 * 0.9375, 0, 0, 0, 0, 0, 0, 0.2 * 0.5625))  # under the cap
    text = plan_emotion(Emotion(description="冷笑一声", vector=(1,) * 8), has_text_model=True)
    assert text.mode == "text" and any("vector ignored" in w for w in text.warnings)
    assert plan_emotion(Emotion(reference=Path("r.wav"), intensity=0.4), False).alpha == 0.4
    with pytest.raises(ValueError, match="8 values"):
        plan_emotion(Emotion(vector=(1, 0)), False)


def test_conditioning_computed_once_per_voice_content(engine, refs, tiny_checkpoint, tmp_path):

    calls = []
    hook = engine.model.w2v.register_forward_hook(lambda *a: calls.append(1))
    try:
        engine.cache._mem.clear()
        before = engine.cache.stats.computed + engine.cache.stats.disk_hits
        lines = [("a", "hello world"), ("b", "we will meet"), ("a_copy", "again at dawn"), ("a", "by the river"),
                 ("b", "hello again")]
        for ref, text in lines:
            engine.synthesize(text, voice(refs[ref], ref), SynthesisControls(seed=1))
        # guanyu.wav and its renamed copy are one voice: two encodes for three file names
        assert engine.cache.stats.computed + engine.cache.stats.disk_hits - before == 2
        assert engine.cache.stats.memory_hits >= 3  # a_copy, a, b again
    finally:
        hook.remove()
    assert len(calls) <= 2
    # A second engine on the same cache directory reads the tensors back from disk.
    fresh = type(engine)(engine.model, engine.options, [])
    fresh.speaker(refs["b"])
    assert fresh.cache.stats.disk_hits == 1 and fresh.cache.stats.computed == 0


def test_out_of_memory_fails_only_that_line(engine, refs):
    import torch

    def oom(*_):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    hook = engine.model.vocoder.register_forward_pre_hook(oom)
    try:
        with pytest.raises(EngineError, match="GPU out of memory"):
            engine.synthesize("hello", voice(refs["a"]), SynthesisControls(seed=2))
    finally:
        hook.remove()
    assert len(engine.synthesize("hello", voice(refs["a"]), SynthesisControls(seed=2)).audio) > 0


def test_missing_files_are_listed(tiny_checkpoint, tmp_path):
    from dubline.core.engines.indextts_layout import resolve_layout

    with pytest.raises(ModelMissingError, match="config.yaml"):
        resolve_layout(tmp_path)
    partial = tmp_path / "partial"
    partial.mkdir()
    for name in ("config.yaml", "gpt.pth", "bpe.model", "feat1.pt", "feat2.pt", "wav2vec2bert_stats.pt"):
        (partial / name).symlink_to(tiny_checkpoint / name)
    (partial / "bigvgan").mkdir()
    (partial / "bigvgan/config.json").symlink_to(tiny_checkpoint / "bigvgan/config.json")
    with pytest.raises(ModelMissingError) as err:
        resolve_layout(partial)
    msg = str(err.value)
    expected = ["s2mel.pth", "w2v-bert-2.0/config.json", "w2v-bert-2.0/preprocessor_config.json",
                "w2v-bert-2.0/model.safetensors", "semantic_codec/model.safetensors",
                "campplus/campplus_cn_common.bin", "bigvgan/bigvgan_generator.pt"]
    assert f"missing {len(expected)} file(s)" in msg
    for rel in expected:
        assert str(partial / rel) in msg
    for present in ("gpt.pth", "bpe.model", "bigvgan/config.json"):
        assert str(partial / present) + " " not in msg


def test_catalog_registers_indextts2_with_a_model_dir(tiny_checkpoint):
    from dubline.core.catalog import Catalog, indextts2_loader
    from dubline.core.engines.indextts2 import IndexTTS2Options

    catalog = Catalog()
    catalog.register_engine("indextts2", indextts2_loader(IndexTTS2Options(tiny_checkpoint / "nope")))
    with pytest.raises(ModelMissingError):
        catalog.engine("indextts2")


@pytest.mark.parametrize("target", [40, 97, 150, 301])
def test_multi_segment_lines_split_the_target_exactly(target):
    from dubline.core.engines.indextts2 import allocate_frames

    natural = [60, 35, 80]
    segs, gaps = allocate_frames(natural, 17, target)
    assert sum(segs) + sum(gaps) == target and len(gaps) == 2
    scale = target / (sum(natural) + 34)
    assert all(abs(s - n * scale) <= 1 for s, n in zip(segs, natural))
