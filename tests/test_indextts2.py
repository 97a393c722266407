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

from dubline.core.engines.base import DurationTarget, Engine, SynthesisControls, Voice  # noqa: E402
from dubline.core.errors import EngineError, ModelMissingError  # noqa: E402
from dubline.core.lines import Emotion  # noqa: E402
from tiny_indextts2 import arrange, build, speechlike  # noqa: E402

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
    from dubline.core.engines.indextts.engine import IndexTTS2Engine
    from dubline.core.engines.indextts.options import IndexTTS2Options

    # The upstream flat hf_cache/ layout; device="cuda" on a machine without one exercises
    # the CPU fallback.
    flat = arrange(tiny_checkpoint, tmp_path_factory.mktemp("flat") / "IndexTTS-2", "flat")
    opts = IndexTTS2Options(flat, device="cuda", fp16=True, diffusion_steps=3, num_beams=1, max_mel_tokens=20,
                            cache_dir=tmp_path_factory.mktemp("cond"))
    return IndexTTS2Engine.load(opts)


def voice(path: Path, name: str = "guanyu") -> Voice:
    return Voice(name=name, engine="indextts2", language="zh", reference=path)


TEXT = "hello world this is a test"


def test_cpu_fallback_and_capabilities(engine):
    caps = engine.capabilities
    assert isinstance(engine, Engine)
    assert caps.device == "cpu" and engine.model.fp16 is False
    assert caps.cloning and caps.duration.native
    assert (caps.duration.min_factor, caps.duration.max_factor) == (0.75, 1.35)
    assert caps.emotion_modes == {"reference", "vector", "preset"}  # no qwen model in the checkpoint
    assert any("CUDA requested but not available" in n for n in engine.notes)
    assert any("FP16 is GPU-only" in n for n in engine.notes)
    assert engine.model_version.startswith("indextts2-2.0-")


def test_fp16_defaults_on_for_cuda_only():
    from dubline.core.engines.indextts.engine import resolve_device

    assert resolve_device("cpu", None) == ("cpu", False, [])
    assert resolve_device("cpu", False) == ("cpu", False, [])


@pytest.fixture
def gpt_runs(engine, monkeypatch) -> list[int]:
    """The rows of each GPT generate() call the engine makes (the real one, then run on)."""
    runs: list[int] = []
    real = engine.model.gpt.inference_speech

    def spy(spk_cond, text, *args, **kwargs):
        runs.append(text.shape[0])
        return real(spk_cond, text, *args, **kwargs)

    monkeypatch.setattr(engine.model.gpt, "inference_speech", spy)
    return runs


def test_one_gpt_run_one_render_exact_length_for_each_target(engine, refs, monkeypatch, gpt_runs):
    v = voice(refs["a"])
    renders = []
    real_render = engine.model.render
    monkeypatch.setattr(engine.model, "render", lambda tok, n, *a: renders.append(n) or real_render(tok, n, *a))
    engine.forget_lines()
    natural = engine.synthesize(TEXT, v, SynthesisControls(seed=3))
    assert natural.method == "natural" and natural.sample_rate == SR and natural.factor == 1.0
    assert len(natural.audio) == round(natural.natural_seconds * SR) and natural.speech == (0, len(natural.audio))
    nat_frames = len(natural.audio) // HOP
    renders.clear()
    for factor in (0.8, 1.0, 1.17, 1.3):
        wanted = Fraction(round(nat_frames * factor) * HOP, SR) + Fraction(1, 1000)  # off the frame grid
        s = engine.synthesize(TEXT, v, SynthesisControls(seed=3), DurationTarget(wanted))
        frames = round(wanted * SR / HOP)
        assert s.method == "native" and s.target_seconds == wanted
        assert len(s.audio) == frames * HOP and s.speech == (0, frames * HOP)
        assert s.natural_seconds == natural.natural_seconds
        assert abs(s.factor - frames / nat_frames) < 1e-9
        assert np.isfinite(s.audio).all() and np.abs(s.audio).max() <= 1.0
        assert renders[-1] == frames  # rendered at the target, once, never at the natural length
    assert len(renders) == 4 and len(gpt_runs) == 1  # the GPT ran once for the line


def test_target_outside_both_ranges_is_bounded_and_reported(engine, refs):
    v = voice(refs["a"])
    natural = engine.synthesize(TEXT, v, SynthesisControls(seed=3))
    nat_frames = len(natural.audio) // HOP
    s = engine.synthesize(TEXT, v, SynthesisControls(seed=3), DurationTarget(Fraction(natural.natural_seconds) * 3))
    assert len(s.audio) == round(nat_frames * 1.35) * HOP  # the engine's own bound
    assert any("outside IndexTTS2's safe range" in w for w in s.warnings)
    tight = DurationTarget(Fraction(natural.natural_seconds) * 3, min_factor=0.9, max_factor=1.1)
    assert len(engine.synthesize(TEXT, v, SynthesisControls(seed=3), tight).audio) == round(nat_frames * 1.1) * HOP


def test_fit_line_makes_the_slot_sample_exact(engine, refs):
    from dubline.core.fit import FitPolicy, fit_line

    natural = engine.synthesize(TEXT, voice(refs["a"]), SynthesisControls(seed=3))
    target = round(natural.natural_seconds * 1.2 * 48000)
    result = fit_line(engine, voice(refs["a"]), TEXT, SynthesisControls(seed=3), target, 48000, FitPolicy())
    assert len(result.audio) == target
    assert result.method.startswith(("native", "natural"))


def test_same_seed_same_audio_other_seed_differs(engine, refs):
    v = voice(refs["a"])
    target = DurationTarget(Fraction(1, 2))
    a = engine.synthesize("we will meet again", v, SynthesisControls(seed=11), target)
    engine.forget_lines()  # force the GPT to run again
    b = engine.synthesize("we will meet again", v, SynthesisControls(seed=11), target)
    c = engine.synthesize("we will meet again", v, SynthesisControls(seed=12), target)
    assert np.array_equal(a.audio, b.audio)
    assert not np.array_equal(a.audio, c.audio)


LINES = ("we will meet again", "hello world this is a test", "by the river at dawn", "calm voice")


def fresh(engine):
    """A new engine on the session's model: nothing in memory, no cache directory."""
    from dataclasses import replace

    return type(engine)(engine.model, replace(engine.options, cache_dir=None), [])


def test_prepared_lines_are_the_unprepared_lines_with_fewer_gpt_runs(engine, refs, gpt_runs):
    """prepare() runs the GPT once over lines of one voice; every sample stays what it was alone."""
    from dubline.core.engines.base import SynthesisRequest

    v = voice(refs["a"])
    emotions = (None, Emotion(preset="happy"), Emotion(reference=refs["angry"], intensity=0.7), None)
    requests = [SynthesisRequest(text, v, SynthesisControls(seed=20 + i, emotion=emo), DurationTarget(Fraction(1, 2)))
                for i, (text, emo) in enumerate(zip(LINES, emotions))]

    def run(prepare: bool) -> list[np.ndarray]:
        gpt_runs.clear()
        e = fresh(engine)
        if prepare:
            e.prepare(requests)
        return [e.synthesize(r.text, r.voice, r.controls, r.target).audio for r in requests]

    alone = run(prepare=False)
    assert gpt_runs == [1, 1, 1, 1]
    batched = run(prepare=True)
    assert gpt_runs == [4]  # one generate() for the four lines, none when they are synthesized
    assert all(np.array_equal(a, b) for a, b in zip(alone, batched))


def test_beam_sampled_rows_are_the_same_alone_and_batched(engine, refs):
    """Beam sampling draws in its top-k continuation step: per row there too."""
    from dubline.core.engines.indextts.gpt_batch import GptRow, semantic_rows
    from dubline.core.engines.indextts.sampling import row_seed

    speaker = engine.speaker(refs["a"])
    emovec = engine.model.merged_emovec(speaker["spk_cond"], speaker["spk_cond"], 1.0)
    rows = [GptRow(tuple(engine.tokenize(text).segments[0]), speaker["spk_cond"], emovec, row_seed(i, 0))
            for i, text in enumerate(LINES[:3])]
    sampling = dict(engine.options.sampling(), num_beams=3, max_mel_tokens=8)
    alone = [semantic_rows(engine.model, [row], speaker, sampling, 1)[0] for row in rows]
    together = semantic_rows(engine.model, rows, speaker, sampling, 8)
    for a, b in zip(alone, together):
        assert torch_equal(a.codes, b.codes) and torch_equal(a.latent, b.latent)
    other = semantic_rows(engine.model, [GptRow(rows[0].ids, rows[0].emo_cond, emovec, row_seed(99, 0))],
                          speaker, sampling, 1)[0]
    assert not torch_equal(other.codes, alone[0].codes)  # the row's own stream decides its tokens


def torch_equal(a, b) -> bool:
    return a.shape == b.shape and bool((a == b).all())


def test_dub_tells_the_engine_the_lines_ahead(engine, refs, gpt_runs, tmp_path, monkeypatch):
    """render.dub announces upcoming lines, so a job runs the GPT once for a few lines, same stems."""
    import soundfile as sf

    from dubline.core.catalog import Catalog
    from dubline.core.render import DubOptions, JobDone, dub
    from dubline.core.srt import read_srt

    srt = tmp_path / "job.srt"
    srt.write_text("".join(f"{i + 1}\n00:00:0{2 * i},000 --> 00:00:0{2 * i + 1},500\n{text}\n\n"
                           for i, text in enumerate(LINES)), encoding="utf-8")

    def job(name: str, e) -> list[np.ndarray]:
        catalog = Catalog()
        catalog.register_engine("indextts2", lambda: e)
        catalog.add(voice(refs["a"], "guanyu"))
        gpt_runs.clear()
        report = next(ev.report for ev in dub(read_srt(srt), DubOptions(tmp_path / name, voice="guanyu"), catalog)
                      if isinstance(ev, JobDone))
        return [sf.read(line.file, dtype="int16")[0] for line in report.lines]  # samples; bext has a date

    prepared = job("prepared", fresh(engine))
    assert gpt_runs == [4]
    unprepared_engine = fresh(engine)
    monkeypatch.setattr(unprepared_engine, "prepare", lambda requests: None)
    unprepared = job("unprepared", unprepared_engine)
    assert gpt_runs == [1, 1, 1, 1]
    assert len(prepared) == 4 and all(np.array_equal(a, b) for a, b in zip(prepared, unprepared))


def test_check_refuses_unspeakable_text_and_reports_unknown_pieces(engine, refs):
    for bad in ("", "   ", "...", "?!", "。！？"):
        with pytest.raises(EngineError, match="nothing to say"):
            engine.check(bad)
    engine.check("hello ☃ world")  # speakable: checked, not refused
    s = engine.synthesize("hello ☃ world", voice(refs["a"]), SynthesisControls(seed=1))
    assert any("does not know" in w and "☃" in w for w in s.warnings)
    clean = engine.synthesize("hello world", voice(refs["a"]), SynthesisControls(seed=1))
    assert not any("does not know" in w for w in clean.warnings)


def test_lines_are_checked_with_only_the_config_and_the_bpe_model(engine, tiny_checkpoint, tmp_path):
    """What a --cluster coordinator holds: config.yaml and bpe.model, no weights; same verdicts."""
    from dubline.core.engines.indextts.checker import TextChecker
    from dubline.core.engines.indextts.options import IndexTTS2Options

    for name in ("config.yaml", "bpe.model"):
        shutil.copy(tiny_checkpoint / name, tmp_path / name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bpe.model", "config.yaml"]
    checker = TextChecker.load(IndexTTS2Options(tmp_path))
    assert isinstance(checker, Engine)
    for bad in ("", "...", "。！？"):
        with pytest.raises(EngineError, match="nothing to say"):
            checker.check(bad)
    long = "关羽张飞刘备。" * 6 + " the quick brown fox 42"
    for text in ("hello ☃ world", long):
        checker.check(text)
        assert checker.tokenize(text) == engine.tokenize(text)
    with pytest.raises(EngineError, match="synthesized on the cluster's workers"):
        checker.synthesize("hello", voice(tmp_path / "x.wav"), SynthesisControls())
    # On the full checkpoint (what a coordinator has): the engine's cache identity.
    from dubline.core.engines.indextts.layout import resolve_layout

    full = TextChecker.for_layout(resolve_layout(engine.options.model_dir), engine.options)
    assert (full.model_version, full.capabilities.duration) == (engine.model_version, engine.capabilities.duration)
    (tmp_path / "bpe.model").unlink()
    with pytest.raises(ModelMissingError, match="BPE model"):
        TextChecker.load(IndexTTS2Options(tmp_path))


def test_chinese_sentence_ends_split_and_digits_are_read(engine):
    tok = engine.model.tokenizer
    # Without nemo the package's own punctuation map still applies: 。！？ become . ! ?
    assert tok.normalizer.normalize("你好。再见！关羽？张飞；刘备") == "你好.再见!关羽?张飞,刘备"
    assert tok.normalizer.normalize("我有3个") == "我有三个"
    assert tok.normalizer.normalize("it costs 25.5 and 40%") == "it costs twenty-five point five and forty percent"
    long = "关羽张飞刘备。" * 6
    segments = engine.model.tokenize(long, 20).segments
    assert len(segments) > 1
    dot = tok.convert_tokens_to_ids(["."])[0]
    assert all(seg[-1] == dot for seg in segments[:-1])  # every split lands on a sentence end


@pytest.fixture
def emovecs(engine, monkeypatch):
    """Record the emotion vector each line hands the GPT (the real one, then run on)."""
    from dubline.core.engines.indextts import gpt_batch

    seen = []
    real = gpt_batch.generate_codes

    def spy(model, rows, spk_cond, sampling):
        seen.append((rows[0].emovec.detach().clone(), rows[0].emo_cond.shape))
        return real(model, rows, spk_cond, sampling)

    monkeypatch.setattr(gpt_batch, "generate_codes", spy)
    engine.forget_lines()
    return seen


def test_each_emotion_control_reaches_the_model(engine, refs, emovecs):
    v = voice(refs["a"])
    controls = {
        "speaker": None,
        "vector": Emotion(vector=(0, 0.9, 0, 0, 0, 0, 0, 0), intensity=1.0),
        "preset": Emotion(preset="happy", intensity=1.0),
        "same_as_preset": Emotion(vector=(1, 0, 0, 0, 0, 0, 0, 0), intensity=1.0),
        "weak_preset": Emotion(preset="happy", intensity=0.3),
        "default_preset": Emotion(preset="happy"),  # no intensity: upstream's UI weight 0.65
        "preset_065": Emotion(preset="happy", intensity=0.65),
        "reference": Emotion(reference=refs["angry"], intensity=0.7),
        "zero_alpha_vector": Emotion(vector=(0, 0.9, 0, 0, 0, 0, 0, 0), intensity=0.0),
        "description": Emotion(description="trembling"),
    }
    results = {}
    for name, emo in controls.items():
        engine.forget_lines()  # one GPT run per control, even where two plans coincide
        results[name] = engine.synthesize("calm voice", v, SynthesisControls(seed=5, emotion=emo))
    vec = {name: e for name, (e, _) in zip(controls, emovecs)}
    emo_shapes = {name: s for name, (_, s) in zip(controls, emovecs)}

    def same(x, y):
        return bool(np.allclose(vec[x].numpy(), vec[y].numpy(), atol=1e-6))

    for other in ("vector", "preset", "weak_preset", "reference"):
        assert not same("speaker", other), other
    assert not same("vector", "preset") and not same("preset", "weak_preset")
    assert same("preset", "same_as_preset")  # a preset is a one-hot vector, same bias and cap
    assert same("default_preset", "preset_065") and not same("default_preset", "preset")
    assert same("zero_alpha_vector", "speaker")  # intensity 0 leaves the speaker's own emotion
    assert emo_shapes["reference"] != emo_shapes["speaker"]  # the emotion clip's features went in
    assert same("description", "speaker")
    assert any("no emotion text model" in w for w in results["description"].warnings)


def test_emotion_plan_follows_indextts2_precedence_and_normalisation():
    from dubline.core.engines.indextts.emotion import EMOTION_BIAS, EmotionDefaults, plan_emotion

    plan = plan_emotion(Emotion(vector=(1, 1, 0, 0, 0, 0, 0, 1), reference=Path("x.wav")), has_text_model=False)
    assert plan.mode == "vector" and abs(sum(plan.vector) - 0.8) < 1e-9  # sum capped at 0.8
    assert plan.alpha == 0.65  # no intensity given: upstream's UI default
    biased = np.array([1, 1, 0, 0, 0, 0, 0, 1]) * EMOTION_BIAS
    assert np.allclose(plan.vector, biased * 0.8 / biased.sum())
    assert any("reference ignored" in w for w in plan.warnings)
    small = plan_emotion(Emotion(vector=(0.2, 0, 0, 0, 0, 0, 0, 0.2)), has_text_model=False)
    assert np.allclose(small.vector, (0.2 * 0.9375, 0, 0, 0, 0, 0, 0, 0.2 * 0.5625))  # under the cap
    text = plan_emotion(Emotion(description="冷笑一声", vector=(1,) * 8), has_text_model=True)
    assert text.mode == "text" and text.alpha == 0.6 and any("vector ignored" in w for w in text.warnings)
    assert plan_emotion(Emotion(reference=Path("r.wav"), intensity=0.4), False).alpha == 0.4
    own = EmotionDefaults(from_text=True)
    assert plan_emotion(None, True, "我恨你", own) == plan_emotion(Emotion(description="我恨你"), True)
    assert plan_emotion(None, True, "我恨你").mode == "speaker"  # off unless asked for
    no_model = plan_emotion(None, False, "我恨你", own)
    assert no_model.mode == "speaker" and "no emotion text model" in no_model.warnings[0]
    with pytest.raises(ValueError, match="8 values"):
        plan_emotion(Emotion(vector=(1, 0)), False)


def test_qwen_answers_are_parsed_and_nonsense_is_refused():
    from dubline.core.engines.indextts.emotion import parse_emotion_answer

    assert parse_emotion_answer('{"愤怒": 0.9, "自然": 0.1}', "x") == (0, 0.9, 0, 0, 0, 0, 0, 0.1)
    assert parse_emotion_answer('高兴: 2.0, 惊讶: 0.5', "x") == (1.2, 0, 0, 0, 0, 0, 0.5, 0)  # clamped
    assert parse_emotion_answer('{"悲伤": 0.8}', "so gloomy")[5] == 0.8  # sad -> melancholic
    assert parse_emotion_answer('{"高兴": 0}', "x") == (0, 0, 0, 0, 0, 0, 0, 1.0)  # upstream: calm
    assert parse_emotion_answer("I cannot help with that", "x") is None


def test_text_emotion_answers_are_remembered_per_description(tmp_path, monkeypatch):
    """A description is asked once (LRU of ``remembered``); a run that raised is asked again."""
    import tiny_qwen_emotion
    from dubline.core.engines.indextts.emotion import TextEmotionModel

    model = TextEmotionModel(tiny_qwen_emotion.build(tmp_path / "qwen"), "cpu", False, remembered=2)
    asked: list[str] = []
    real_answer = TextEmotionModel.answer

    def answer(self, text):
        asked.append(text)
        if text == "flaky" and asked.count("flaky") == 1:
            raise RuntimeError("out of memory, once")
        return real_answer(self, text)

    monkeypatch.setattr(TextEmotionModel, "answer", answer)
    happy = ((0.46875, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0), None)
    for text in ("furious", "furious", "calm", "furious"):
        assert model.weights(text) == happy
    assert asked == ["furious", "calm"]
    model.weights("sad")  # the third description pushes out the least recently used: calm
    model.weights("calm")
    assert asked == ["furious", "calm", "sad", "calm"]
    weights, why = model.weights("flaky")
    assert weights is None and "failed (RuntimeError: out of memory, once)" in why
    assert model.weights("flaky") == happy and asked.count("flaky") == 2


def test_broken_text_emotion_model_falls_back_to_the_voice(engine, refs, tmp_path):
    from dubline.core.engines.indextts.emotion import TextEmotionModel

    broken = tmp_path / "qwen"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    real = engine.model.text_emotion
    engine.model.text_emotion = TextEmotionModel(broken, "cpu", False)
    try:
        engine.forget_lines()
        s = engine.synthesize("calm voice", voice(refs["a"]),
                              SynthesisControls(seed=5, emotion=Emotion(description="furious")))
    finally:
        engine.model.text_emotion = real
    assert any("could not be loaded" in w and "voice's own emotion" in w for w in s.warnings)


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
        # torch.cuda.OutOfMemoryError is the name torch 2.4 has too
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    engine.forget_lines()
    hook = engine.model.vocoder.register_forward_pre_hook(oom)
    try:
        with pytest.raises(EngineError, match="GPU out of memory"):
            engine.synthesize("hello", voice(refs["a"]), SynthesisControls(seed=2))
    finally:
        hook.remove()
    assert len(engine.synthesize("hello", voice(refs["a"]), SynthesisControls(seed=2)).audio) > 0


def test_catalog_registers_indextts2_with_a_model_dir(tiny_checkpoint):
    from dubline.core.catalog import Catalog, indextts2_loader
    from dubline.core.engines.indextts import IndexTTS2Options

    catalog = Catalog()
    catalog.register_engine("indextts2", indextts2_loader(IndexTTS2Options(tiny_checkpoint / "nope")))
    with pytest.raises(ModelMissingError):
        catalog.engine("indextts2")


@pytest.mark.parametrize("target", [40, 97, 150, 301])
def test_multi_segment_lines_split_the_target_exactly(target):
    from dubline.core.engines.indextts.timing import allocate_frames

    natural = [60, 35, 80]
    segs, gaps = allocate_frames(natural, 17, target)
    assert sum(segs) + sum(gaps) == target and len(gaps) == 2
    scale = target / (sum(natural) + 34)
    assert all(abs(s - n * scale) <= 1 for s, n in zip(segs, natural))


# ---- checkpoint layouts ------------------------------------------------------------------
def _resolved(layout) -> dict[str, Path]:
    return {k: Path(getattr(layout, k)).resolve() for k in ("gpt", "bpe", "semantic_codec", "campplus")} | {
        k: (Path(getattr(layout, k)) / name).resolve()
        for k, name in (("w2v_bert", "model.safetensors"), ("bigvgan", "bigvgan_generator.pt"))}


@pytest.mark.parametrize("where", ["dubline", "flat", "hub", "hub_env", "hf_home", "hub_model_dir"])
def test_every_layout_users_have_is_found(tiny_checkpoint, tmp_path, where):
    from dubline.core.engines.indextts.layout import resolve_layout

    env: dict[str, str] = {}
    model_dir = tmp_path / "IndexTTS-2"
    if where in ("dubline", "flat", "hub"):
        arrange(tiny_checkpoint, model_dir, where)
    elif where == "hub_env":  # $HF_HUB_CACHE, as the indextts2-inference wheel downloads
        arrange(tiny_checkpoint, model_dir, "hub", hub_cache=tmp_path / "hub")
        env = {"HF_HUB_CACHE": str(tmp_path / "hub")}
    elif where == "hf_home":
        arrange(tiny_checkpoint, model_dir, "hub", hub_cache=tmp_path / "hfhome" / "hub")
        env = {"HF_HOME": str(tmp_path / "hfhome")}
    else:  # --model-dir is the cache entry of the checkpoint itself
        from tiny_indextts2 import MAIN_FILES, hub_entry

        snap = hub_entry(tmp_path / "hub", "IndexTeam/IndexTTS-2")
        arrange(tiny_checkpoint, snap, "flat")
        model_dir = tmp_path / "hub" / "models--IndexTeam--IndexTTS-2"
        assert all((snap / f).exists() for f in MAIN_FILES)
    layout = resolve_layout(model_dir, environ=env)
    reference = resolve_layout(tiny_checkpoint, environ={})
    assert _resolved(layout) == _resolved(reference)
    assert layout.version == "2.0"


def test_missing_files_are_listed_with_commands_that_fetch_them(tiny_checkpoint, tmp_path):
    import re
    import shlex

    from dubline.core.engines.indextts.layout import resolve_layout

    with pytest.raises(ModelMissingError, match="config.yaml") as err:
        resolve_layout(tmp_path / "empty")
    assert "hf download IndexTeam/IndexTTS-2 --local-dir" in str(err.value)
    partial = tmp_path / "partial"
    partial.mkdir()
    for name in ("config.yaml", "gpt.pth", "bpe.model", "feat1.pt", "feat2.pt", "wav2vec2bert_stats.pt"):
        (partial / name).symlink_to(tiny_checkpoint / name)
    with pytest.raises(ModelMissingError) as err:
        resolve_layout(partial, environ={"HF_HUB_CACHE": str(tmp_path / "nohub")})
    msg = str(err.value)
    assert "missing 5 item(s)" in msg  # s2mel.pth and the four auxiliary models
    assert str(partial / "s2mel.pth") in msg
    for repo in ("facebook/w2v-bert-2.0", "amphion/MaskGCT", "funasr/campplus", "nvidia/bigvgan_v2_22khz_80band_256x"):
        assert repo in msg
    for looked in ("w2v-bert-2.0", "hf_cache/w2v-bert-2.0", "hf_cache/semantic_codec_model.safetensors",
                   "campplus/campplus_cn_common.bin", "hf_cache/bigvgan"):
        assert str(partial / looked) in msg
    assert "modelscope download --model iic/speech_campplus_sv_zh-cn_16k-common" in msg
    # Doing what the hf commands say (here: linking the files where they download them) completes it.
    commands = [shlex.split(c) for c in re.findall(r"^\s*(hf download .*)$", msg, re.M)]
    assert len(commands) == 5  # the checkpoint itself, then each auxiliary model
    repo_files = {"facebook/w2v-bert-2.0": "w2v-bert-2.0", "amphion/MaskGCT": "", "funasr/campplus": "campplus",
                  "nvidia/bigvgan_v2_22khz_80band_256x": "bigvgan", "IndexTeam/IndexTTS-2": ""}
    for cmd in commands:
        repo, files, dest = cmd[2], cmd[3:-2], Path(cmd[-1])
        assert cmd[-2] == "--local-dir"
        for f in files or ["s2mel.pth"]:
            src = tiny_checkpoint / repo_files[repo] / f
            if not (dest / f).exists():
                (dest / f).parent.mkdir(parents=True, exist_ok=True)
                (dest / f).symlink_to(src)
    assert resolve_layout(partial, environ={}).s2mel == partial / "s2mel.pth"


def test_config_version_decides(tiny_checkpoint, tmp_path):
    from dubline.core.engines.indextts.layout import resolve_layout
    from dubline.core.errors import EngineError

    for version, error, match in (("3.0", EngineError, r"not an IndexTTS2 checkpoint.*supported: 2\.0, 2\.5"),
                                  ("2.5", ModelMissingError, "codec.pth.*IndexTTS-2.5 reads it")):
        d = arrange(tiny_checkpoint, tmp_path / version, "dubline")
        (d / "config.yaml").unlink()
        (d / "config.yaml").write_text((tiny_checkpoint / "config.yaml").read_text().replace(
            "version: 2.0", f"version: {version}"))
        with pytest.raises(error, match=match):  # a 2.0 folder read as 2.5 lacks 2.5's files
            resolve_layout(d, environ={})


def test_the_package_init_and_torchaudio_are_never_imported(tmp_path):
    """The package's __init__ (infer_v2, librosa, hub) never runs, and Dubline never imports torchaudio.

    transformers imports an installed torchaudio by itself; the stand-in lets it, then
    refuses every later import, which is all Dubline and the indextts modules could do.
    """
    import os
    import subprocess
    import sys

    fake = tmp_path / "site" / "torchaudio"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        "import os\n"
        "if os.environ.get('REFUSE_TORCHAUDIO'):\n"
        "    raise ImportError('torchaudio imported after transformers loaded')\n")
    code = (
        "import os, sys\n"
        "import transformers.audio_utils\n"  # transformers' own import of torchaudio
        "sys.modules.pop('torchaudio', None); os.environ['REFUSE_TORCHAUDIO'] = '1'\n"
        "from dubline.core.engines.indextts.imports import repcodec_class, require_indextts\n"
        "package = require_indextts(); repcodec_class()\n"
        "import indextts.gpt.model_v2, indextts.s2mel.modules.commons, indextts.s2mel.modules.audio\n"
        "import indextts.s2mel.modules.campplus.DTDNN, indextts.s2mel.modules.bigvgan.bigvgan\n"
        "bad = [m for m in ('torchaudio', 'indextts.infer_v2') if m in sys.modules]\n"
        "assert not bad, bad\n"
        "assert not hasattr(package, 'IndexTTS2'), 'the package __init__ ran'\n"
        "print('ok')\n"
    )
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "site") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def test_gpu_check_runs_in_reduced_form_on_the_cpu(engine, refs):
    """tests/gpu's measurements on the session's tiny engine: what a GPU run prints, in small."""
    from tests.gpu.check import run_check

    printed: list[str] = []
    result = run_check(engine, refs["a"], batch_lines=2, log=printed.append)
    assert result.device == "cpu" and result.dtype == "float32"
    assert result.exact and result.deterministic and result.oom_recovered
    # Prepared (GPT batched ahead) and unprepared give the same tokens and samples on the CPU.
    assert result.prepared is not None and (result.prepared.lines, result.prepared.rows) == (2, 2)
    assert result.prepared.identical and result.prepared.alone_gpt > 0 and result.prepared.prepared_gpt > 0
    assert any(p.startswith("prepared vs unprepared, first 2 lines: GPT tokens identical in 2/2 rows") for p in printed)
    assert result.stages.gpt > 0 and result.stages.second_stage > 0 and result.stages.vocoder > 0
    assert result.single_rtf > 0 and result.batch_rtf > 0
    s2 = result.second_stage  # line by line, then batched: within the tolerance measured below
    assert s2 is not None and s2.exact and s2.size > 1 and s2.max_diff <= S2_TOLERANCE and s2.rows_per_call >= 1
    assert any("RTF" in p for p in printed) and any("peak GPU memory: n/a" in p for p in printed)


def test_a_line_longer_than_the_gpt_text_window_is_split_not_crashed(engine, refs):
    long = " ".join(["the quick brown fox jumps over the lazy dog"] * 12)  # > 80 tokens, no sentence end
    segments = engine.model.tokenize(long, 120).segments
    assert len(segments) > 1 and max(len(s) for s in segments) <= engine.model.max_text_tokens - 2
    s = engine.synthesize(long, voice(refs["a"]), SynthesisControls(seed=4), DurationTarget(Fraction(3)))
    assert len(s.audio) == round(3 * SR / HOP) * HOP


def test_a_retimed_line_in_a_later_run_skips_the_gpt_and_matches_a_cold_run(engine, refs, gpt_runs):
    """What conform needs across processes: the GPT's tokens come back from the cache directory."""
    text, v = "by the river at dawn", voice(refs["a"])
    engine.synthesize(text, v, SynthesisControls(seed=8), DurationTarget(Fraction(1, 2)))
    gpt_runs.clear()
    later = type(engine)(engine.model, engine.options, [])  # a new process: empty memory, same cache dir
    retimed = later.synthesize(text, v, SynthesisControls(seed=8), DurationTarget(Fraction(3, 5)))
    assert gpt_runs == [] and later.semantic_cache.stats.disk_hits == 1
    from dataclasses import replace

    cold = type(engine)(engine.model, replace(engine.options, cache_dir=None), [])
    fresh = cold.synthesize(text, v, SynthesisControls(seed=8), DurationTarget(Fraction(3, 5)))
    assert gpt_runs == [1] and np.array_equal(retimed.audio, fresh.audio)


# -- the second stage over several lines of one voice ---------------------------------------------

# A batched row against the same row alone, on this CPU: measured at most 1.2e-7 (a few ulp of a
# sample; the mel differs by at most 7e-7). Not bit-identical: a matrix product over more rows
# sums in another order. Hence s2_batch defaults to 1 on the CPU (second_stage.py).
S2_TOLERANCE = 1e-6
LONG = " ".join(["the quick brown fox jumps over the lazy dog"] * 4)  # two segments


def _line(engine, text: str, ref: Path, seed: int):
    """A line's GPT output, as the engine keeps it."""
    e = fresh(engine)
    e.synthesize(text, voice(ref), SynthesisControls(seed=seed))
    return next(iter(e._lines.values()))


def test_a_lone_render_draws_the_noise_upstream_draws(engine, refs):
    """Each segment's noise comes from the line's own stream: the take upstream's inference
    gives after torch.manual_seed, bit for bit (so takes are what they were before batching)."""
    import torch

    model = engine.model
    line = _line(engine, "we will meet again", refs["a"], 5)
    tok, sp = line.tokens[0], line.speaker
    n = tok.natural_frames + 5
    torch.manual_seed(41)
    with torch.no_grad():
        cat = model.s2_condition(tok, n, sp)
        mel = model.s2mel.models["cfm"].inference(cat, torch.LongTensor([cat.size(1)]), sp["ref_mel"], sp["style"],
                                                  None, 3, inference_cfg_rate=0.7)
    upstream = model.vocode(mel, sp)
    ours = model.render(tok, n, sp, 3, 0.7, model.cfm_noise(41, [n], sp)[0])
    assert len(ours) == n * HOP and np.array_equal(upstream, ours)


def test_second_stage_rows_batched_are_the_rows_alone(engine, refs):
    """Rows of different lengths in one CFM run: each within S2_TOLERANCE of its lone render."""
    model = engine.model
    rows, sp = [], None
    for i, text in enumerate(LINES):
        line = _line(engine, text, refs["a"], 30 + i)
        sp = line.speaker
        for tok in line.tokens:
            n = tok.natural_frames + 4 * i - 5  # every row its own length: padding in the batch
            rows.append((tok, n, model.cfm_noise(60 + i, [n], sp)[0]))
    alone = [model.render(tok, n, sp, 3, 0.7, z) for tok, n, z in rows]
    together = model.render_rows(rows, sp, 3, 0.7)
    diffs = [float(np.abs(a - b).max()) for a, b in zip(alone, together)]
    assert [len(b) for b in together] == [n * HOP for _, n, _ in rows] == [len(a) for a in alone]
    assert max(diffs) <= S2_TOLERANCE, diffs
    assert model.batches_second_stage()


@pytest.fixture
def s2_calls(engine, monkeypatch) -> dict[str, list[int]]:
    """Rows of each batched second-stage call, and the frames of each lone render."""
    calls: dict[str, list[int]] = {"rows": [], "lone": []}
    rows, lone = engine.model.render_rows, engine.model.render
    monkeypatch.setattr(engine.model, "render_rows", lambda r, *a: calls["rows"].append(len(r)) or rows(r, *a))
    monkeypatch.setattr(engine.model, "render", lambda tok, n, *a: calls["lone"].append(n) or lone(tok, n, *a))
    return calls


def _requests(refs) -> list:
    from dubline.core.engines.base import SynthesisRequest

    v, other = voice(refs["a"]), voice(refs["b"], "zhangfei")
    targets = [DurationTarget(Fraction(1, 2)), DurationTarget(Fraction(3, 5)), None, DurationTarget(Fraction(2, 5)),
               DurationTarget(Fraction(3))]
    texts = (*LINES, LONG)
    return [SynthesisRequest(text, other if i == 2 else v, SynthesisControls(seed=40 + i), target)
            for i, (text, target) in enumerate(zip(texts, targets))]


def test_prepare_renders_a_voices_lines_together_and_synthesize_takes_them(engine, refs, s2_calls):
    from dataclasses import replace

    requests = _requests(refs)
    e = type(engine)(engine.model, replace(engine.options, cache_dir=None, s2_batch=4), [])
    e.prepare(requests)
    assert max(s2_calls["rows"]) == 4 and s2_calls["lone"] == []  # the voice's rows, 4 at a time
    rows = sum(s2_calls["rows"])
    batched = [e.synthesize(r.text, r.voice, r.controls, r.target) for r in requests]
    assert s2_calls["lone"] == [] and sum(s2_calls["rows"]) == rows  # every line was rendered ahead

    s2_calls["rows"].clear()
    lone_engine = fresh(engine)
    assert lone_engine.options.s2_batch == 1  # the CPU default
    lone_engine.prepare(requests)
    alone = [lone_engine.synthesize(r.text, r.voice, r.controls, r.target) for r in requests]
    assert s2_calls["rows"] == [] and len(s2_calls["lone"]) == rows
    on_target = 0
    for r, a, b in zip(requests, alone, batched):
        assert len(a.audio) == len(b.audio) and (a.method, a.factor, a.warnings) == (b.method, b.factor, b.warnings)
        assert float(np.abs(a.audio - b.audio).max()) <= S2_TOLERANCE
        if r.target is not None and not any("safe range" in w for w in b.warnings):  # the target, to the frame
            assert len(b.audio) == round(r.target.speech_seconds * SR / HOP) * HOP
            on_target += 1
    assert on_target >= 2 and batched[2].method == "natural"
    assert any("outside IndexTTS2's safe range" in w for w in batched[-1].warnings)  # bounded, as alone


def test_out_of_memory_in_a_second_stage_batch_falls_back_to_lone_renders(engine, refs, s2_calls, monkeypatch):
    import torch
    from dataclasses import replace

    def oom(*_):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 8.00 GiB")

    requests = _requests(refs)[:2]
    e = type(engine)(engine.model, replace(engine.options, cache_dir=None, s2_batch=8), [])
    monkeypatch.setattr(engine.model, "render_rows", oom)
    e.prepare(requests)  # no error: the lines are left to synthesize
    out = [e.synthesize(r.text, r.voice, r.controls, r.target).audio for r in requests]
    assert len(s2_calls["lone"]) == 2
    lone = fresh(engine)
    assert all(np.array_equal(a, lone.synthesize(r.text, r.voice, r.controls, r.target).audio)
               for a, r in zip(out, requests))


def test_second_stage_batch_defaults_by_device():
    from dubline.core.engines.indextts.options import S2_BATCH_CUDA, second_stage_batch

    assert second_stage_batch("cpu") == 1 and second_stage_batch("cuda:1") == S2_BATCH_CUDA > 1


def test_a_conform_pass_renders_ahead_only_the_lines_it_will_ask_for(engine, refs, s2_calls, tmp_path):
    """Second run on the same caches, one line re-timed: the unchanged lines come from the
    fitted cache and are not announced; the re-timed one is rendered ahead from its tokens
    on disk (no GPT), and taken by its synthesis."""
    from dataclasses import replace

    from dubline.core.catalog import Catalog
    from dubline.core.render import DubOptions, JobDone, dub
    from dubline.core.srt import read_srt

    options = replace(engine.options, cache_dir=tmp_path / "cond", s2_batch=4)

    def job(name: str, last_end: str) -> list[int]:
        srt = tmp_path / f"{name}.srt"
        srt.write_text("".join(f"{i + 1}\n00:00:0{2 * i},000 --> 00:00:0{2 * i},{'600' if i < 3 else last_end}\n"
                               f"{text}\n\n" for i, text in enumerate(LINES)), encoding="utf-8")
        catalog = Catalog()
        catalog.register_engine("indextts2", lambda e=type(engine)(engine.model, options, []): e)
        catalog.add(voice(refs["a"], "guanyu"))
        s2_calls["rows"].clear()
        s2_calls["lone"].clear()
        report = next(ev.report for ev in dub(read_srt(srt), DubOptions(tmp_path / name, voice="guanyu",
                                                                       cache_dir=tmp_path / "audio"), catalog)
                      if isinstance(ev, JobDone))
        return [line.end_sample - line.start_sample for line in report.lines]

    first = job("v1", "500")
    assert s2_calls["rows"] == [4] and s2_calls["lone"] == []
    second = job("v2", "700")  # the last line re-timed
    assert first[:3] == second[:3] and first[3] != second[3]
    assert s2_calls["rows"] == [1] and s2_calls["lone"] == []
