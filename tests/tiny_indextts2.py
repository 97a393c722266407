"""Build a tiny, randomly initialised IndexTTS2 checkpoint directory with the real classes.

Same files, same config.yaml keys as a real IndexTTS-2 checkpoint (see
core/engines/indextts/layout.py), with small dimensions wherever the code allows. Fixed by
the released code: the GPT width (1280, s2mel's gpt_layer is hard-wired to it), w2v-BERT's
width (1024) and its 17 layers (IndexTTS2 reads hidden state 17), CAMPPlus (80 -> 192).
Everything is seeded, so the same directory comes out every time.

``build(out)`` writes Dubline's documented layout; ``arrange(built, out, layout)`` makes the
same checkpoint in one of the three layouts users have (``LAYOUTS``), linking the files of
``built`` instead of copying them, so one build serves every layout:

    dubline   auxiliary models inside the checkpoint folder (w2v-bert-2.0/, bigvgan/, ...)
    flat      upstream's <ckpt>/hf_cache/ (semantic_codec_model.safetensors, ...)
    hub       Hugging Face cache snapshots (models--org--name/refs/main -> snapshots/<sha>/),
              in <ckpt>/hf_cache or in ``hub_cache`` (a stand-in for $HF_HUB_CACHE)

    python tests/tiny_indextts2.py OUT_DIR [dubline|flat|hub]
"""
from __future__ import annotations

import io
import json
import sys
from pathlib import Path

CODEBOOK = 64  # semantic codes; start/stop mel tokens follow
MAX_MEL_TOKENS = 30
EMO_NUM = [3, 17, 2, 8, 4, 5, 10, 24]  # the real emotion-matrix group sizes

CONFIG = f"""\
dataset:
    bpe_model: bpe.model
    sample_rate: 24000
    squeeze: false
    mel:
        sample_rate: 24000
        n_fft: 1024
        hop_length: 256
        win_length: 1024
        n_mels: 100
        mel_fmin: 0
        normalize: false

gpt:
    model_dim: 1280
    max_mel_tokens: {MAX_MEL_TOKENS}
    max_text_tokens: 80
    heads: 4
    use_mel_codes_as_input: true
    mel_length_compression: 1024
    layers: 1
    number_text_tokens: 160
    number_mel_codes: {CODEBOOK + 2}
    start_mel_token: {CODEBOOK}
    stop_mel_token: {CODEBOOK + 1}
    start_text_token: 0
    stop_text_token: 1
    train_solo_embeddings: false
    condition_type: "conformer_perceiver"
    condition_module:
        output_size: 32
        linear_units: 64
        attention_heads: 2
        num_blocks: 1
        input_layer: "conv2d2"
        perceiver_mult: 1
    emo_condition_module:
        output_size: 32
        linear_units: 64
        attention_heads: 2
        num_blocks: 1
        input_layer: "conv2d2"
        perceiver_mult: 1

semantic_codec:
    codebook_size: {CODEBOOK}
    hidden_size: 1024
    codebook_dim: 8
    vocos_dim: 32
    vocos_intermediate_dim: 64
    vocos_num_layers: 1

s2mel:
    preprocess_params:
        sr: 22050
        spect_params:
            n_fft: 1024
            win_length: 1024
            hop_length: 256
            n_mels: 80
            fmin: 0
            fmax: "None"
    dit_type: "DiT"
    reg_loss_type: "l1"
    style_encoder:
        dim: 192
    length_regulator:
        channels: 64
        is_discrete: false
        in_channels: 1024
        content_codebook_size: 2048
        sampling_ratios: [1, 1, 1, 1]
        vector_quantize: false
        n_codebooks: 1
        quantizer_dropout: 0.0
        f0_condition: false
        n_f0_bins: 512
    DiT:
        hidden_dim: 64
        num_heads: 2
        depth: 2
        class_dropout_prob: 0.1
        block_size: 8192
        in_channels: 80
        style_condition: true
        final_layer_type: 'wavenet'
        target: 'mel'
        content_dim: 64
        content_codebook_size: 1024
        content_type: 'discrete'
        f0_condition: false
        n_f0_bins: 512
        content_codebooks: 1
        is_causal: false
        long_skip_connection: true
        zero_prompt_speech_token: false
        time_as_token: false
        style_as_token: false
        uvit_skip_connection: true
        add_resblock_in_transformer: false
    wavenet:
        hidden_dim: 64
        num_layers: 2
        kernel_size: 5
        dilation_rate: 1
        p_dropout: 0.2
        style_condition: true

gpt_checkpoint: gpt.pth
w2v_stat: wav2vec2bert_stats.pt
s2mel_checkpoint: s2mel.pth
emo_matrix: feat2.pt
spk_matrix: feat1.pt
emo_num: {EMO_NUM}
qwen_emo_path: qwen0.6bemo4-merge/
vocoder:
    type: "bigvgan"
    name: "nvidia/bigvgan_v2_22khz_80band_256x"
version: 2.0
"""

BIGVGAN = {
    "resblock": "1", "upsample_rates": [4, 4, 4, 4], "upsample_kernel_sizes": [8, 8, 8, 8],
    "upsample_initial_channel": 64, "resblock_kernel_sizes": [3], "resblock_dilation_sizes": [[1, 3]],
    "use_tanh_at_final": False, "use_bias_at_final": False, "activation": "snakebeta",
    "snake_logscale": True, "num_mels": 80, "num_freq": 1025, "n_fft": 1024, "hop_size": 256,
    "win_size": 1024, "sampling_rate": 22050, "fmin": 0, "fmax": None, "fmax_for_loss": None,
}

# Upper case: IndexTTS2's tokenizer upper-cases Latin text before the BPE model sees it.
CORPUS = [
    "HELLO WORLD THIS IS A TEST OF THE DUBBING SYSTEM.",
    "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG!",
    "WE WILL MEET AGAIN AT DAWN BY THE RIVER?",
    "你 好 世 界 我 们 明 天 再 见 关 羽 张 飞 刘 备 一 二 三 四 五 六 七 八 九 十 点 零 百 千 万.",
    "THREE KINGDOMS GENERAL SPEAKS WITH A CALM VOICE, ONE TWO FOUR FIVE SIX SEVEN EIGHT NINE TEN.",
]
LAYOUTS = ("dubline", "flat", "hub")
HUB_SHA = "0123456789abcdef0123456789abcdef01234567"  # any commit id; refs/main names it
MAIN_FILES = ("config.yaml", "gpt.pth", "s2mel.pth", "bpe.model", "wav2vec2bert_stats.pt", "feat1.pt", "feat2.pt")
# (Dubline's path, upstream's flat hf_cache path, hub repo, path inside the repo)
AUXILIARY = (
    ("w2v-bert-2.0", "w2v-bert-2.0", "facebook/w2v-bert-2.0", ""),
    ("semantic_codec/model.safetensors", "semantic_codec_model.safetensors", "amphion/MaskGCT",
     "semantic_codec/model.safetensors"),
    ("campplus/campplus_cn_common.bin", "campplus_cn_common.bin", "funasr/campplus", "campplus_cn_common.bin"),
    ("bigvgan", "bigvgan", "nvidia/bigvgan_v2_22khz_80band_256x", ""),
)


def speechlike(path: Path, f0: float, seconds: float, seed: int, sr: int = 24000) -> Path:
    """Harmonic 'syllables' with pauses and a little noise: enough structure for the encoders."""
    import numpy as np
    import soundfile as sf

    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    gate = (np.sin(2 * np.pi * 3.1 * t) > 0).astype(np.float32)
    x = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6)) * gate * 0.2
    sf.write(path, (x + rng.normal(0, 0.002, t.size)).astype(np.float32), sr)
    return path


def _bpe(path: Path) -> None:
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS * 20), model_writer=model, vocab_size=120, model_type="bpe",
        character_coverage=1.0, bos_id=0, eos_id=1, unk_id=2, pad_id=-1, minloglevel=2,
    )
    path.write_bytes(model.getvalue())


# The released IndexTTS-2 dimensions (its config.yaml, facebook/w2v-bert-2.0 and
# nvidia/bigvgan_v2_22khz_80band_256x), for timing random weights at real size on a GPU.
REAL_GPT = {"model_dim": 1280, "max_mel_tokens": 1815, "max_text_tokens": 600, "heads": 20, "layers": 24,
            "number_text_tokens": 12000, "number_mel_codes": 8194, "start_mel_token": 8192,
            "stop_mel_token": 8193}
REAL_CONDITION = {"output_size": 512, "linear_units": 2048, "attention_heads": 8, "num_blocks": 6,
                  "input_layer": "conv2d2", "perceiver_mult": 2}
REAL_EMO_CONDITION = {"output_size": 512, "linear_units": 1024, "attention_heads": 4, "num_blocks": 4,
                      "input_layer": "conv2d2", "perceiver_mult": 2}
REAL_CODEC = {"codebook_size": 8192, "hidden_size": 1024, "codebook_dim": 8, "vocos_dim": 384,
              "vocos_intermediate_dim": 2048, "vocos_num_layers": 12}
REAL_S2MEL = {"length_regulator": {"channels": 512}, "DiT": {"hidden_dim": 512, "num_heads": 8, "depth": 13,
                                                             "content_dim": 512},
              "wavenet": {"hidden_dim": 512, "num_layers": 8}}
REAL_BIGVGAN = {"upsample_rates": [4, 4, 2, 2, 2, 2], "upsample_kernel_sizes": [8, 8, 4, 4, 4, 4],
                "upsample_initial_channel": 1536, "resblock_kernel_sizes": [3, 7, 11],
                "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]]}
REAL_W2V = {"hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16, "intermediate_size": 4096,
            "conv_depthwise_kernel_size": 31}
TINY_W2V = {"hidden_size": 1024, "num_hidden_layers": 17, "num_attention_heads": 4, "intermediate_size": 32,
            "conv_depthwise_kernel_size": 3}


def _real_config(max_mel_tokens: int) -> str:
    from omegaconf import OmegaConf

    cfg = OmegaConf.create(CONFIG)
    cfg.gpt.merge_with(REAL_GPT)
    cfg.gpt.max_mel_tokens = max_mel_tokens
    cfg.gpt.condition_module.merge_with(REAL_CONDITION)
    cfg.gpt.emo_condition_module.merge_with(REAL_EMO_CONDITION)
    cfg.semantic_codec.merge_with(REAL_CODEC)
    cfg.s2mel.merge_with(REAL_S2MEL)
    return OmegaConf.to_yaml(cfg)


def build(out: Path, real: bool = False, max_mel_tokens: int = MAX_MEL_TOKENS) -> Path:
    """A random checkpoint in Dubline's layout: tiny, or at the released model's dimensions.

    The GPT never emits its stop token, so every take has ``max_mel_tokens`` tokens: a
    fixed, known length for timing and exact-length checks.
    """
    import safetensors.torch
    import torch
    from omegaconf import OmegaConf
    from transformers import SeamlessM4TFeatureExtractor, Wav2Vec2BertConfig, Wav2Vec2BertModel

    from dubline.core.engines.indextts.imports import repcodec_class, require_indextts

    require_indextts()
    from indextts.gpt.model_v2 import UnifiedVoice
    from indextts.s2mel.modules.bigvgan.bigvgan import BigVGAN
    from indextts.s2mel.modules.bigvgan.env import AttrDict
    from indextts.s2mel.modules.campplus.DTDNN import CAMPPlus
    from indextts.s2mel.modules.commons import MyModel

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(1234)
    (out / "config.yaml").write_text(_real_config(max_mel_tokens) if real else
                                     CONFIG.replace(f"max_mel_tokens: {MAX_MEL_TOKENS}",
                                                    f"max_mel_tokens: {max_mel_tokens}"))
    cfg = OmegaConf.load(out / "config.yaml")
    _bpe(out / "bpe.model")

    gpt = UnifiedVoice(**cfg.gpt)
    with torch.no_grad():  # a trained GPT never emits start; stop is kept away so takes are measurable
        gpt.mel_head.bias[cfg.gpt.stop_mel_token] = -100.0
        gpt.mel_head.bias[cfg.gpt.start_mel_token] = -100.0
    torch.save(gpt.state_dict(), out / "gpt.pth")

    s2mel = MyModel(cfg.s2mel, use_gpt_latent=True)
    torch.save({"net": {k: m.state_dict() for k, m in s2mel.models.items()}}, out / "s2mel.pth")

    torch.save({"mean": torch.zeros(1024), "var": torch.ones(1024)}, out / "wav2vec2bert_stats.pt")
    rows = sum(EMO_NUM)
    torch.save(torch.randn(rows, 192), out / "feat1.pt")
    torch.save(torch.randn(rows, 1280) * 0.1, out / "feat2.pt")

    w2v_cfg = Wav2Vec2BertConfig(**(REAL_W2V if real else TINY_W2V))
    Wav2Vec2BertModel(w2v_cfg).save_pretrained(out / "w2v-bert-2.0")
    SeamlessM4TFeatureExtractor().save_pretrained(out / "w2v-bert-2.0")

    (out / "semantic_codec").mkdir(exist_ok=True)
    safetensors.torch.save_model(repcodec_class()(cfg=cfg.semantic_codec), str(out / "semantic_codec/model.safetensors"))

    (out / "campplus").mkdir(exist_ok=True)
    torch.save(CAMPPlus(feat_dim=80, embedding_size=192).state_dict(), out / "campplus/campplus_cn_common.bin")

    (out / "bigvgan").mkdir(exist_ok=True)
    vocoder = dict(BIGVGAN, **REAL_BIGVGAN) if real else BIGVGAN
    (out / "bigvgan/config.json").write_text(json.dumps(vocoder, indent=1))
    torch.save({"generator": BigVGAN(AttrDict(vocoder)).state_dict()}, out / "bigvgan/bigvgan_generator.pt")
    return out


def _link(src: Path, dst: Path) -> None:
    """Link a file, or every file of a folder, from the built checkpoint (no copies)."""
    if src.is_dir():
        for f in src.iterdir():
            _link(f, dst / f.name)
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.symlink_to(src.resolve())


def hub_entry(cache: Path, repo: str) -> Path:
    """The snapshot folder of ``repo`` in a Hugging Face cache, with refs/main naming it."""
    entry = cache / f"models--{repo.replace('/', '--')}"
    (entry / "refs").mkdir(parents=True, exist_ok=True)
    (entry / "refs" / "main").write_text(HUB_SHA)
    return entry / "snapshots" / HUB_SHA


def arrange(built: Path, out: Path, layout: str = "dubline", hub_cache: Path | None = None,
            main_files: tuple[str, ...] = MAIN_FILES,
            auxiliary: tuple[tuple[str, str, str, str], ...] = AUXILIARY) -> Path:
    """The checkpoint in ``built`` (from ``build``) as ``out`` in ``layout``; returns ``out``.

    ``hub``: the auxiliary models go to ``hub_cache`` (default ``out/hf_cache``) as cache
    snapshots; point $HF_HUB_CACHE at ``hub_cache`` when it is outside ``out``.
    ``main_files``/``auxiliary``: another version's files (tests/tiny_indextts25.py).
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, not {layout!r}")
    built, out = Path(built), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name in main_files:
        _link(built / name, out / name)
    for dubline, flat, repo, inside in auxiliary:
        if layout == "dubline":
            dst = out / dubline
        elif layout == "flat":
            dst = out / "hf_cache" / flat
        else:
            snap = hub_entry(hub_cache or out / "hf_cache", repo)
            dst = snap / inside if inside else snap
        _link(built / dubline, dst)
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1])
    chosen = sys.argv[2] if len(sys.argv) > 2 else "dubline"
    if chosen == "dubline":
        print(build(target))
    else:
        print(arrange(build(target.with_name(target.name + "-built")), target, chosen))
