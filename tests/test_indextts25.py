"""IndexTTS-2.5 on the CPU: indextts25-inference's real classes, Dubline's loading and pipeline.

The checkpoint is tiny and random (tests/tiny_indextts25.py); what is checked is that the
config's version picks the 2.5 model, its files are found in every layout, its text gets
the language token and splits where upstream splits, and its 25 tokens a second reach the
same exact-length second stage. The doors (CLI, daemon) are in test_cloned_voice25_e2e.py.
"""
from __future__ import annotations

import re
import shlex
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("tiktoken")
if __import__("importlib").util.find_spec("indextts25") is None:
    pytest.skip("indextts25-inference not installed (pip install --no-deps indextts25-inference)",
                allow_module_level=True)

from dubline.core.engines.base import DurationTarget, Engine, SynthesisControls, Voice  # noqa: E402
from dubline.core.errors import EngineError, ModelMissingError  # noqa: E402
from tiny_indextts2 import hub_entry, speechlike  # noqa: E402
from tiny_indextts25 import MAIN_FILES, MAX_MEL_TOKENS, arrange  # noqa: E402

HOP, SR = 256, 22050


@pytest.fixture(scope="module")
def engine(tiny25, tmp_path_factory):
    from dubline.core.engines.indextts.engine import IndexTTS2Engine
    from dubline.core.engines.indextts.options import IndexTTS2Options

    flat = arrange(tiny25, tmp_path_factory.mktemp("flat25") / "IndexTTS-2.5", "flat")
    return IndexTTS2Engine.load(IndexTTS2Options(flat, device="cpu", diffusion_steps=2, num_beams=1))


@pytest.fixture(scope="module")
def ref(tmp_path_factory) -> Path:
    return speechlike(tmp_path_factory.mktemp("refs25") / "guanyu.wav", 110, 0.6, 0)


def test_the_config_version_loads_the_2_5_model(engine):
    from dubline.core.engines.indextts.model25 import IndexTTS25Model

    assert isinstance(engine, Engine) and isinstance(engine.model, IndexTTS25Model)
    assert engine.model.version == "2.5" and engine.model_version.startswith("indextts2-2.5-")
    # Only the package's model modules were imported: its __init__ (api, infer_v2_5, hub) never ran.
    assert not hasattr(sys.modules["indextts25"], "IndexTTS25")
    assert not {"indextts25.api", "indextts25.infer_v2_5", "indextts25.utils.model_download"} & set(sys.modules)


def test_25_tokens_a_second_one_gpt_run_and_each_target_rendered_exactly(engine, ref, monkeypatch):
    v = Voice(name="guanyu", engine="indextts2", language="en", reference=ref)
    codes, renders = [], []
    real_gpt, real_render = engine.model.semantic_tokens, engine.model.render
    monkeypatch.setattr(engine.model, "semantic_tokens", lambda *a: codes.append(t := real_gpt(*a)) or t)
    monkeypatch.setattr(engine.model, "render", lambda tok, n, *a: renders.append(n) or real_render(tok, n, *a))
    engine.forget_lines()
    natural = engine.synthesize("hello world", v, SynthesisControls(seed=3))
    # 15 tokens at 25 a second = 0.6 s: the codec's 30 features x 1.72 = 51 frames.
    assert [c.codes.shape[1] for c in codes] == [MAX_MEL_TOKENS] and codes[0].latent.shape[1] == 2 * MAX_MEL_TOKENS
    assert len(natural.audio) == int(2 * MAX_MEL_TOKENS * 1.72) * HOP
    for seconds in (Fraction(1, 2), Fraction(7, 10)):
        s = engine.synthesize("hello world", v, SynthesisControls(seed=3), DurationTarget(seconds))
        frames = round(seconds * SR / HOP)
        assert s.method == "native" and len(s.audio) == frames * HOP and renders[-1] == frames
        assert np.isfinite(s.audio).all() and np.abs(s.audio).max() > 0
    assert len(codes) == 1  # the GPT ran once; every length is the second stage's


def test_text_gets_its_language_token_and_splits_at_sentence_ends(engine):
    text = engine.model.text
    zh = engine.tokenize("你好，世界。我们明天再见！")
    en = engine.tokenize("Hello World")
    assert text.language_id(zh.segments[0][0]) == 1 and text.language_id(en.segments[0][0]) == 0  # zh, en
    assert text.encoding.decode(en.segments[0]) == "<|en|> hello world"  # lower-cased, as upstream
    assert "." in text.encoding.decode(zh.segments[0])  # 。 reaches the model as upstream maps it
    assert zh.unknown == [] and zh.speakable  # a byte-level vocabulary knows every character
    long = "我们明天再见。" * 8  # 3 bytes a character: past the tiny GPT's 80 text positions
    segments = engine.model.tokenize(long, 120).segments
    assert len(segments) > 1 and max(map(len, segments)) <= engine.model.max_text_tokens
    assert all(text.encoding.decode(s).endswith(".") for s in segments[:-1])  # cut at sentence ends
    with pytest.raises(EngineError, match="nothing to say"):
        engine.check("……！？")


def test_a_cluster_coordinator_checks_25_lines_with_the_vocabulary_alone(engine, tiny25, tmp_path):
    """TextChecker on a 2.5 checkpoint: config.yaml and the tiktoken file, the engine's verdicts;
    on the full checkpoint it has the engine's model_version (the fitted-audio cache key)."""
    import shutil

    from dubline.core.engines.indextts.checker import TextChecker
    from dubline.core.engines.indextts.layout import TIKTOKEN_25, resolve_layout
    from dubline.core.engines.indextts.options import IndexTTS2Options
    from dubline.core.errors import EngineError, ModelMissingError

    for name in ("config.yaml", TIKTOKEN_25):
        shutil.copy(tiny25 / name, tmp_path / name)
    checker = TextChecker.load(IndexTTS2Options(tmp_path))
    assert isinstance(checker, Engine) and checker.version == "2.5"
    for text in ("hello world", "我们明天再见。今天的天气很好！" * 4, "it costs 42 dollars"):
        checker.check(text)
        assert checker.tokenize(text) == engine.tokenize(text)
    with pytest.raises(EngineError, match="nothing to say"):
        checker.check("。！？...")
    full = TextChecker.for_layout(resolve_layout(engine.options.model_dir), engine.options)
    assert full.model_version == engine.model_version
    assert full.capabilities.duration == engine.capabilities.duration
    assert full.capabilities.emotion_modes == engine.capabilities.emotion_modes
    (tmp_path / TIKTOKEN_25).unlink()
    with pytest.raises(ModelMissingError, match=TIKTOKEN_25):
        TextChecker.load(IndexTTS2Options(tmp_path))


def test_gpu_check_runs_on_the_25_engine(engine, ref):
    """tests/gpu on IndexTTS-2.5 in small: exact, deterministic, prepared == unprepared."""
    from tests.gpu.check import run_check

    printed: list[str] = []
    result = run_check(engine, ref, batch_lines=2, log=printed.append)
    assert result.exact and result.deterministic and result.oom_recovered
    assert result.prepared is not None and result.prepared.identical and result.prepared.rows == 2
    assert printed[0] == "IndexTTS-2.5 on cpu (CPU), dtype float32"


def test_the_real_size_25_config_builds_every_network(tmp_path):
    """What ``python -m tests.gpu --version 2.5`` builds at the released dimensions, made on
    the meta device (shapes only, no memory): the config's sizes fit together."""
    import torch
    from omegaconf import OmegaConf

    from dubline.core.engines.indextts.imports import require_indextts25
    from tiny_indextts25 import REAL_TEXT_TOKENS, _config

    require_indextts25()
    from indextts25.codec.models import EnhancedCodec
    from indextts25.gpt.model_v2 import UnifiedVoice
    from indextts25.s2mel.modules.commons import MyModel

    cfg = OmegaConf.create(_config(300, 250, real=True))
    assert (cfg.gpt.model_dim, cfg.gpt.layers, cfg.gpt.heads, cfg.gpt.number_text_tokens) == (1280, 24, 20, REAL_TEXT_TOKENS)
    with torch.device("meta"):
        gpt = UnifiedVoice(**cfg.gpt)
        codec = EnhancedCodec(**cfg.semantic_codec)
        s2mel = MyModel(cfg.s2mel)
    params = {name: sum(p.numel() for p in m.parameters()) / 1e6 for name, m in
              (("gpt", gpt), ("codec", codec), ("s2mel", s2mel))}
    assert params["gpt"] > 700 and params["s2mel"] > 90, params  # hundreds of millions, as released


@pytest.mark.parametrize("where", ["dubline", "flat", "hub", "hub_env"])
def test_every_layout_finds_the_25_files(tiny25, tmp_path, where):
    from dubline.core.engines.indextts.layout import resolve_layout

    env: dict[str, str] = {}
    if where == "hub_env":
        model_dir = arrange(tiny25, tmp_path / "IndexTTS-2.5", "hub", hub_cache=tmp_path / "hub")
        env = {"HF_HUB_CACHE": str(tmp_path / "hub")}
    else:
        model_dir = arrange(tiny25, tmp_path / "IndexTTS-2.5", where)
    layout = resolve_layout(model_dir, environ=env)
    assert layout.version == "2.5"
    assert layout.bpe.name == "multilingual_zh_ja_yue_char_del.tiktoken" and layout.semantic_codec.name == "codec.pth"
    assert (layout.w2v_bert / "model.safetensors").resolve() == (tiny25 / "w2v-bert-2.0/model.safetensors").resolve()
    assert layout.campplus.resolve() == (tiny25 / "campplus/campplus_cn_common.bin").resolve()
    assert (layout.bigvgan / "config.json").resolve() == (tiny25 / "bigvgan/config.json").resolve()


def test_a_cache_entry_of_the_25_repo_is_a_model_dir(tiny25, tmp_path):
    from dubline.core.engines.indextts.layout import resolve_layout

    snap = hub_entry(tmp_path / "hub", "IndexTeam/IndexTTS-2.5")
    arrange(tiny25, snap, "flat")
    assert resolve_layout(tmp_path / "hub" / "models--IndexTeam--IndexTTS-2.5", environ={}).model_dir == snap


def test_missing_25_files_are_listed_with_commands_that_fetch_them(tiny25, tmp_path):
    from dubline.core.engines.indextts.layout import resolve_layout

    partial = tmp_path / "partial"
    partial.mkdir()
    for name in MAIN_FILES:
        if name not in ("codec.pth", "multilingual_zh_ja_yue_char_del.tiktoken"):
            (partial / name).symlink_to(tiny25 / name)
    with pytest.raises(ModelMissingError) as err:
        resolve_layout(partial, environ={"HF_HUB_CACHE": str(tmp_path / "nohub")})
    msg = str(err.value)
    assert "missing 5 item(s)" in msg  # codec.pth, the vocabulary, w2v-BERT, CAMPPlus, BigVGAN
    for path in ("codec.pth", "multilingual_zh_ja_yue_char_del.tiktoken", "hf_cache/w2v-bert-2.0"):
        assert str(partial / path) in msg
    assert "amphion/MaskGCT" not in msg  # 2.5 decodes with its own codec
    commands = [shlex.split(c) for c in re.findall(r"^\s*(hf download .*)$", msg, re.M)]
    assert commands[0][:3] == ["hf", "download", "IndexTeam/IndexTTS-2.5"] and len(commands) == 4
    # Doing what the commands say (linking the files where they download them) completes it.
    from_repo = {"IndexTeam/IndexTTS-2.5": "", "facebook/w2v-bert-2.0": "w2v-bert-2.0",
                 "funasr/campplus": "campplus", "nvidia/bigvgan_v2_22khz_80band_256x": "bigvgan"}
    for cmd in commands:
        repo, files, dest = cmd[2], cmd[3:-2], Path(cmd[-1])
        for f in files or ["codec.pth", "multilingual_zh_ja_yue_char_del.tiktoken"]:
            if not (dest / f).exists():
                (dest / f).parent.mkdir(parents=True, exist_ok=True)
                (dest / f).symlink_to(tiny25 / from_repo[repo] / f)
    assert resolve_layout(partial, environ={}).semantic_codec == partial / "codec.pth"


def test_the_shared_second_stage_batches_25_rows_as_alone(engine, ref, monkeypatch):
    """2.5's features through the same batched CFM: a prepared job takes every line from one
    batched call, each within the tolerance measured for 2.0 (1e-6) of its lone render."""
    from dataclasses import replace

    from dubline.core.engines.base import SynthesisRequest

    v = Voice(name="guanyu", engine="indextts2", language="en", reference=ref)
    requests = [SynthesisRequest(text, v, SynthesisControls(seed=i), DurationTarget(Fraction(5 + i, 10)))
                for i, text in enumerate(("hello world", "we will meet again", "by the river"))]
    rows, lone = [], []
    real_rows, real_render = engine.model.render_rows, engine.model.render
    monkeypatch.setattr(engine.model, "render_rows", lambda r, *a: rows.append(len(r)) or real_rows(r, *a))
    monkeypatch.setattr(engine.model, "render", lambda tok, n, *a: lone.append(n) or real_render(tok, n, *a))
    batched_engine = type(engine)(engine.model, replace(engine.options, cache_dir=None, s2_batch=8), [])
    batched_engine.prepare(requests)
    batched = [batched_engine.synthesize(r.text, r.voice, r.controls, r.target).audio for r in requests]
    assert rows == [3] and lone == []
    alone_engine = type(engine)(engine.model, replace(engine.options, cache_dir=None), [])
    alone = [alone_engine.synthesize(r.text, r.voice, r.controls, r.target).audio for r in requests]
    assert len(lone) == 3 and rows == [3]
    for r, a, b in zip(requests, alone, batched):
        assert len(a) == len(b) == round(r.target.speech_seconds * SR / HOP) * HOP
        assert float(np.abs(a - b).max()) <= 1e-6
