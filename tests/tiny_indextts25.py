"""Build a tiny, randomly initialised IndexTTS-2.5 checkpoint with indextts25-inference's classes.

The 2.5 sibling of tests/tiny_indextts2.py, built the same way: the same config.yaml keys
as a real IndexTeam/IndexTTS-2.5 folder (``version: 2.5``), codec.pth and the tiktoken
vocabulary by the names upstream reads, small dimensions wherever the code allows. 2.5's
GPT feeds nothing to the second stage, so unlike 2.0 its width is free (64 here); fixed by
the released code: w2v-BERT's width (1024, read at layer 17) and CAMPPlus (80 -> 192). The
vocabulary holds the 256 single bytes only (a valid byte-level BPE); the special tokens
(languages first) follow, as upstream numbers them. Seeded: the same directory every time.

``build(out)`` writes Dubline's documented layout; ``arrange(built, out, layout)`` makes
the other layouts, as for 2.0. ``build(out, real=True)`` gives random weights at the released
model's dimensions instead (tests/gpu times it). Assumed, not documented: no official 2.5
config.yaml was at hand, so these sizes follow a third-party description of the release:
2.5 kept 2.0's GPT (24 layers x 1280, 20
heads, 8192 codes), emotion conformer, DiT second stage (13 x 512), w2v-BERT and BigVGAN; its
codec is EnhancedCodec at its own defaults and its text table covers the 60,509-token
tiktoken vocabulary (58,836 ranks and 1,673 specials).

    python tests/tiny_indextts25.py OUT_DIR [dubline|flat|hub]
"""
from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import tiny_indextts2 as v2

MAX_MEL_TOKENS = 15  # 25 tokens a second: 15 tokens -> 51 frames, as 2.0's 30 tokens
MODEL_DIM = 64
EMBEDDING_SCALE = 1e-6
ATTENTION_GAIN = 10.0
LOGIT_GAIN = 20.0
REAL_TEXT_TOKENS = 60509  # the released vocabulary: its text embedding's real size
TIKTOKEN = "multilingual_zh_ja_yue_char_del.tiktoken"
MAIN_FILES = ("config.yaml", "gpt.pth", "s2mel.pth", "codec.pth", TIKTOKEN, "wav2vec2bert_stats.pt",
              "feat1.pt", "feat2.pt")
AUXILIARY = tuple(a for a in v2.AUXILIARY if a[2] != "amphion/MaskGCT")  # 2.5 has its own codec
LAYOUTS = v2.LAYOUTS


def _config(number_text_tokens: int, max_mel_tokens: int, real: bool = False) -> str:
    from omegaconf import OmegaConf

    cfg = OmegaConf.create(v2.CONFIG)
    del cfg["dataset"]  # no SentencePiece model in 2.5
    for key in ("condition_type", "condition_module", "use_mel_codes_as_input", "mel_length_compression",
                "train_solo_embeddings"):
        del cfg.gpt[key]
    if real:
        cfg.gpt.merge_with(v2.REAL_GPT)
        cfg.gpt.emo_condition_module.merge_with(v2.REAL_EMO_CONDITION)
        cfg.semantic_codec.merge_with(v2.REAL_CODEC)
        cfg.s2mel.merge_with(v2.REAL_S2MEL)
        number_text_tokens = max(number_text_tokens, REAL_TEXT_TOKENS)
    else:
        cfg.gpt.model_dim = MODEL_DIM
    cfg.gpt.merge_with({"max_mel_tokens": max_mel_tokens, "number_text_tokens": number_text_tokens})
    cfg.version = 2.5
    return OmegaConf.to_yaml(cfg)


def _vocabulary(path: Path) -> int:
    """The 256 byte tokens in tiktoken's rank format; returns the vocabulary size with specials."""
    from dubline.core.engines.indextts.imports import require_indextts25

    path.write_text("".join(f"{base64.b64encode(bytes([b])).decode()} {b}\n" for b in range(256)))
    require_indextts25()
    from indextts25.utils.tokenizer import get_encoding

    return int(get_encoding(path.name.removesuffix(".tiktoken"), model_dir=str(path.parent)).n_vocab)


def _steer(gpt) -> None:
    """Only 2.5's codes reach the second stage, so the speaker and emotion (one conditioning
    position) must steer them, as in a trained GPT. Random weights would let the text and code
    embeddings drown that one position: they are shrunk below the layer norms' epsilon, and
    attention is made loud enough to carry the conditioning to every step."""
    import torch

    with torch.no_grad():
        for table in (gpt.text_embedding, gpt.mel_embedding, gpt.text_pos_embedding.emb, gpt.mel_pos_embedding.emb):
            table.weight.mul_(EMBEDDING_SCALE)
        for block in gpt.gpt.h:
            block.attn.c_attn.weight[:, 2 * MODEL_DIM:].mul_(ATTENTION_GAIN)
            block.attn.c_proj.weight.mul_(ATTENTION_GAIN)
        gpt.mel_head.weight.mul_(LOGIT_GAIN)  # peaked: the conditioning, not the dice, picks the codes


def build(out: Path, max_mel_tokens: int = MAX_MEL_TOKENS, real: bool = False) -> Path:
    """A random 2.5 checkpoint in Dubline's layout, tiny or at the released model's dimensions;
    every take has ``max_mel_tokens`` tokens."""
    import torch
    from omegaconf import OmegaConf
    from transformers import SeamlessM4TFeatureExtractor, Wav2Vec2BertConfig, Wav2Vec2BertModel

    from dubline.core.engines.indextts.imports import require_indextts25

    require_indextts25()
    from indextts25.codec.models import EnhancedCodec
    from indextts25.gpt.model_v2 import UnifiedVoice
    from indextts25.s2mel.modules.bigvgan.bigvgan import BigVGAN
    from indextts25.s2mel.modules.bigvgan.env import AttrDict
    from indextts25.s2mel.modules.campplus.DTDNN import CAMPPlus
    from indextts25.s2mel.modules.commons import MyModel

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(2525)
    n_vocab = _vocabulary(out / TIKTOKEN)
    (out / "config.yaml").write_text(_config(n_vocab, max_mel_tokens, real))
    cfg = OmegaConf.load(out / "config.yaml")

    gpt = UnifiedVoice(**cfg.gpt)
    with torch.no_grad():  # as 2.0's: no start or stop token, so every take has a known length
        gpt.mel_head.bias[cfg.gpt.stop_mel_token] = -100.0
        gpt.mel_head.bias[cfg.gpt.start_mel_token] = -100.0
    if not real:  # at real size only the time is measured: the weights stay as drawn
        _steer(gpt)
    torch.save(gpt.state_dict(), out / "gpt.pth")
    torch.save({"model": EnhancedCodec(**cfg.semantic_codec).state_dict()}, out / "codec.pth")
    s2mel = MyModel(cfg.s2mel)
    torch.save({"net": {k: m.state_dict() for k, m in s2mel.models.items()}}, out / "s2mel.pth")

    torch.save({"mean": torch.zeros(1024), "var": torch.ones(1024)}, out / "wav2vec2bert_stats.pt")
    rows = sum(v2.EMO_NUM)
    torch.save(torch.randn(rows, 192), out / "feat1.pt")
    torch.save(torch.randn(rows, cfg.gpt.model_dim) * 0.1, out / "feat2.pt")

    Wav2Vec2BertModel(Wav2Vec2BertConfig(**(v2.REAL_W2V if real else v2.TINY_W2V))).save_pretrained(
        out / "w2v-bert-2.0")
    SeamlessM4TFeatureExtractor().save_pretrained(out / "w2v-bert-2.0")
    (out / "campplus").mkdir(exist_ok=True)
    torch.save(CAMPPlus(feat_dim=80, embedding_size=192).state_dict(), out / "campplus/campplus_cn_common.bin")
    (out / "bigvgan").mkdir(exist_ok=True)
    vocoder = dict(v2.BIGVGAN, **v2.REAL_BIGVGAN) if real else v2.BIGVGAN
    (out / "bigvgan/config.json").write_text(json.dumps(vocoder, indent=1))
    torch.save({"generator": BigVGAN(AttrDict(vocoder)).state_dict()}, out / "bigvgan/bigvgan_generator.pt")
    return out


def arrange(built: Path, out: Path, layout: str = "dubline", hub_cache: Path | None = None) -> Path:
    """The 2.5 checkpoint in ``built`` as ``out`` in one of ``LAYOUTS`` (files linked, not copied)."""
    return v2.arrange(built, out, layout, hub_cache, main_files=MAIN_FILES, auxiliary=AUXILIARY)


if __name__ == "__main__":
    target = Path(sys.argv[1])
    chosen = sys.argv[2] if len(sys.argv) > 2 else "dubline"
    if chosen == "dubline":
        print(build(target))
    else:
        print(arrange(build(target.with_name(target.name + "-built")), target, chosen))
