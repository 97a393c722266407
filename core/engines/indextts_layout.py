"""Where every IndexTTS2 file lives inside the user's checkpoint directory.

The released IndexTTS2 code downloads four models from a hub at load time (w2v-bert-2.0,
the MaskGCT semantic codec, CAMPPlus and BigVGAN). Dubline never downloads: all of them
must sit in the checkpoint directory the user points to, in this layout::

    IndexTTS-2/                          the IndexTeam/IndexTTS-2 checkpoint folder
      config.yaml  gpt.pth  s2mel.pth  bpe.model  wav2vec2bert_stats.pt  feat1.pt  feat2.pt
      qwen0.6bemo4-merge/                optional: text-description emotion model
      w2v-bert-2.0/                      facebook/w2v-bert-2.0: config.json,
                                         preprocessor_config.json, model.safetensors
      semantic_codec/model.safetensors   amphion/MaskGCT semantic_codec/model.safetensors
      campplus/campplus_cn_common.bin    funasr/campplus
      bigvgan/                           nvidia/bigvgan_v2_22khz_80band_256x: config.json,
                                         bigvgan_generator.pt

The file names inside config.yaml (gpt_checkpoint, s2mel_checkpoint, ...) are honoured.
Anything missing is reported in one ``ModelMissingError`` listing every missing path.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelMissingError

CONFIG_NAME = "config.yaml"
W2V_BERT_DIR = "w2v-bert-2.0"
W2V_BERT_FILES = ("config.json", "preprocessor_config.json", "model.safetensors")
SEMANTIC_CODEC = "semantic_codec/model.safetensors"
CAMPPLUS = "campplus/campplus_cn_common.bin"
BIGVGAN_DIR = "bigvgan"
BIGVGAN_FILES = ("config.json", "bigvgan_generator.pt")

# Where each hub download of the original code comes from, for the error message.
HUB_SOURCES = {
    W2V_BERT_DIR: "facebook/w2v-bert-2.0",
    SEMANTIC_CODEC: "amphion/MaskGCT (semantic_codec/model.safetensors)",
    CAMPPLUS: "funasr/campplus (campplus_cn_common.bin)",
    BIGVGAN_DIR: "nvidia/bigvgan_v2_22khz_80band_256x",
}


@dataclass(frozen=True)
class IndexTTSLayout:
    """Absolute paths of every file an IndexTTS2 load reads."""

    model_dir: Path
    config: Path
    gpt: Path
    s2mel: Path
    bpe: Path
    w2v_stat: Path
    emo_matrix: Path
    spk_matrix: Path
    w2v_bert: Path
    semantic_codec: Path
    campplus: Path
    bigvgan: Path
    qwen_emotion: Path | None  # None when the optional text-emotion model is absent
    glossary: Path | None

    def fingerprint(self) -> str:
        """Identifies the model files, for keying cached conditioning on disk."""
        h = hashlib.sha256(self.config.read_bytes())
        for path in (self.gpt, self.s2mel, self.w2v_stat, self.semantic_codec, self.campplus,
                     self.w2v_bert / "model.safetensors"):
            st = path.stat()
            h.update(f"{path.name}:{st.st_size}:{st.st_mtime_ns};".encode())
        return h.hexdigest()[:16]


def resolve_layout(model_dir: Path | str) -> IndexTTSLayout:
    """Check the checkpoint directory and return every path; raise listing all that is missing."""
    from omegaconf import OmegaConf

    root = Path(model_dir).expanduser().resolve()
    config = root / CONFIG_NAME
    if not config.is_file():
        raise ModelMissingError(
            f"IndexTTS2 checkpoint directory {root} has no {CONFIG_NAME} "
            f"(looked for {config}); point --model-dir at the IndexTTS-2 checkpoint folder"
        )
    cfg = OmegaConf.load(config)
    missing: list[str] = []

    def need(key: str, what: str | None = None) -> Path:
        rel = OmegaConf.select(cfg, key) if what is None else key
        if rel is None:
            missing.append(f"{config}: key {key} (the file name of a checkpoint)")
            return root / f"<{key}>"
        path = root / str(rel).strip()
        if not path.is_file():
            missing.append(f"{path}  ({what or f'config.yaml {key}'})")
        return path

    def need_dir(rel: str, files: tuple[str, ...]) -> Path:
        path = root / rel
        for name in files:
            if not (path / name).is_file():
                missing.append(f"{path / name}  (from {HUB_SOURCES[rel]})")
        return path

    layout = IndexTTSLayout(
        model_dir=root,
        config=config,
        gpt=need("gpt_checkpoint"),
        s2mel=need("s2mel_checkpoint"),
        bpe=need("dataset.bpe_model"),
        w2v_stat=need("w2v_stat"),
        emo_matrix=need("emo_matrix"),
        spk_matrix=need("spk_matrix"),
        w2v_bert=need_dir(W2V_BERT_DIR, W2V_BERT_FILES),
        semantic_codec=need(SEMANTIC_CODEC, f"from {HUB_SOURCES[SEMANTIC_CODEC]}"),
        campplus=need(CAMPPLUS, f"from {HUB_SOURCES[CAMPPLUS]}"),
        bigvgan=need_dir(BIGVGAN_DIR, BIGVGAN_FILES),
        qwen_emotion=_optional_dir(root, cfg.get("qwen_emo_path")),
        glossary=(root / "glossary.yaml") if (root / "glossary.yaml").is_file() else None,
    )
    if missing:
        lines = "\n  ".join(missing)
        raise ModelMissingError(
            f"IndexTTS2 checkpoint directory {root} is incomplete; missing {len(missing)} "
            f"file(s):\n  {lines}\nNothing is downloaded at run time: copy these files into "
            f"the layout described in the README (IndexTTS2 checkpoints)."
        )
    return layout


def _optional_dir(root: Path, rel) -> Path | None:
    if not rel:
        return None
    path = root / str(rel).strip()
    return path if (path / "config.json").is_file() else None
