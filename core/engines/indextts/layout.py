"""Where every IndexTTS2 / IndexTTS-2.5 file lives, in any of the three ways users have them.

The checkpoint folder (``hf download IndexTeam/IndexTTS-2 --local-dir DIR``) holds
config.yaml, gpt.pth, s2mel.pth, bpe.model, wav2vec2bert_stats.pt, feat1.pt, feat2.pt and
optionally qwen0.6bemo4-merge/; the names inside config.yaml are honoured. An IndexTTS-2.5
folder (``IndexTeam/IndexTTS-2.5``, ``version: 2.5`` in config.yaml) has codec.pth and the
tiktoken vocabulary ``multilingual_zh_ja_yue_char_del.tiktoken`` instead of bpe.model (both
fixed names upstream reads), and needs no MaskGCT codec. The released code also needs
these auxiliary models (2.5: all but the MaskGCT codec), each found in the first of these
places that has it:

1. Dubline's documented layout, inside the checkpoint folder::

       w2v-bert-2.0/  semantic_codec/model.safetensors  campplus/campplus_cn_common.bin  bigvgan/

2. upstream's flat ``hf_cache/`` (index-tts ``indextts/utils/model_download.py``)::

       hf_cache/w2v-bert-2.0/  hf_cache/semantic_codec_model.safetensors
       hf_cache/campplus_cn_common.bin  hf_cache/bigvgan/

3. Hugging Face cache snapshots (``models--org--name/refs/main`` -> ``snapshots/<sha>/``)
   in ``<checkpoint>/hf_cache``, the checkpoint folder, ``$HF_HUB_CACHE`` or
   ``$HF_HOME/hub`` (the 2.0 release and the indextts2-inference wheel download there).

``--model-dir`` may itself be a cache entry (``models--IndexTeam--IndexTTS-2``). Nothing is
downloaded: anything missing is reported in one ``ModelMissingError`` that names every
path looked at and the commands that fetch the files.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import EngineError, ModelMissingError

CONFIG_NAME = "config.yaml"
SUPPORTED_VERSIONS = ("2.0", "2.5")
# IndexTTS-2.5 files upstream reads by fixed name, not through config.yaml (infer_v2_5.py).
CODEC_25 = "codec.pth"
TIKTOKEN_25 = "multilingual_zh_ja_yue_char_del.tiktoken"
MAIN_REPO = {"2.0": "IndexTeam/IndexTTS-2", "2.5": "IndexTeam/IndexTTS-2.5"}
BIGVGAN_REPO = "nvidia/bigvgan_v2_22khz_80band_256x"


@dataclass(frozen=True)
class Auxiliary:
    """One auxiliary model: its hub repo, the files in it, and where each layout keeps it."""

    key: str
    repo: str
    files: tuple[str, ...]  # paths inside the repo
    dubline: str  # file or folder relative to the checkpoint folder
    flat: str  # relative to <checkpoint>/hf_cache
    modelscope: str  # ModelScope id (upstream's HF_TO_MODELSCOPE_REPO_MAP)
    is_dir: bool

    def present(self, path: Path) -> bool:
        if self.is_dir:
            return all((path / Path(f).name).is_file() for f in self.files)
        return path.is_file()


W2V_BERT = Auxiliary("w2v_bert", "facebook/w2v-bert-2.0",
                     ("config.json", "preprocessor_config.json", "model.safetensors"),
                     "w2v-bert-2.0", "w2v-bert-2.0", "AI-ModelScope/w2v-bert-2.0", True)
SEMANTIC_CODEC = Auxiliary("semantic_codec", "amphion/MaskGCT", ("semantic_codec/model.safetensors",),
                           "semantic_codec/model.safetensors", "semantic_codec_model.safetensors",
                           "amphion/MaskGCT", False)
CAMPPLUS = Auxiliary("campplus", "funasr/campplus", ("campplus_cn_common.bin",),
                     "campplus/campplus_cn_common.bin", "campplus_cn_common.bin",
                     "iic/speech_campplus_sv_zh-cn_16k-common", False)


def bigvgan_aux(repo: str = BIGVGAN_REPO) -> Auxiliary:
    return Auxiliary("bigvgan", repo, ("config.json", "bigvgan_generator.pt"), "bigvgan", "bigvgan", repo, True)


@dataclass(frozen=True)
class IndexTTSLayout:
    """Absolute paths of every file an IndexTTS2 load reads, and the config's version.

    ``bpe`` is the text vocabulary (2.0: SentencePiece bpe.model; 2.5: tiktoken ranks) and
    ``semantic_codec`` the semantic codec (2.0: MaskGCT's encoder; 2.5: codec.pth's decoder).
    """

    model_dir: Path
    version: str
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

    def model_version(self) -> str:
        """The engine's ``model_version`` for these files (part of every fitted line's cache key)."""
        return f"indextts2-{self.version}-{self.fingerprint()}"


def hub_caches(root: Path, environ: dict[str, str] | None = None) -> list[Path]:
    """Folders that may hold ``models--org--name`` entries, most local first."""
    env = os.environ if environ is None else environ
    dirs = [root / "hf_cache", root]
    if env.get("HF_HUB_CACHE"):
        dirs.append(Path(env["HF_HUB_CACHE"]).expanduser())
    if env.get("HF_HOME"):
        dirs.append(Path(env["HF_HOME"]).expanduser() / "hub")
    dirs.append(Path("~/.cache/huggingface/hub").expanduser())
    seen: list[Path] = []
    for d in dirs:
        if d not in seen:
            seen.append(d)
    return seen


def snapshot(entry: Path) -> Path | None:
    """The snapshot a ``models--org--name`` folder's ``refs/main`` names (or its only one)."""
    snapshots = entry / "snapshots"
    if not snapshots.is_dir():
        return None
    ref = entry / "refs" / "main"
    if ref.is_file():
        chosen = snapshots / ref.read_text().strip()
        if chosen.is_dir():
            return chosen
    found = [p for p in snapshots.iterdir() if p.is_dir()]
    return found[0] if len(found) == 1 else None  # several and no ref: ambiguous, as upstream


def _candidates(aux: Auxiliary, root: Path, caches: Iterable[Path]) -> list[Path]:
    out = [root / aux.dubline, root / "hf_cache" / aux.flat]
    for cache in caches:
        snap = snapshot(cache / f"models--{aux.repo.replace('/', '--')}")
        if snap is not None:
            out.append(snap if aux.is_dir else snap / aux.files[0])
    return out


def find_auxiliary(aux: Auxiliary, root: Path, caches: Iterable[Path]) -> tuple[Path | None, list[Path]]:
    """The first place holding ``aux``, and every place looked at."""
    looked = _candidates(aux, root, caches)
    for path in looked:
        if aux.present(path):
            return path, looked
    return None, looked


def fetch_commands(root: Path, version: str, main_missing: bool, missing_aux: list[Auxiliary]) -> list[str]:
    """Ready-to-run commands that put the missing files where this resolver looks first."""
    cmds: list[str] = []
    repo = MAIN_REPO.get(version, MAIN_REPO["2.0"])
    if main_missing:
        cmds.append(f"hf download {repo} --local-dir {root}")
        cmds.append(f"modelscope download --model {repo} --local_dir {root}")
    for aux in missing_aux:
        files = " ".join(aux.files)
        if aux.is_dir:
            target = root / "hf_cache" / aux.flat
            cmds.append(f"hf download {aux.repo} {files} --local-dir {target}")
            cmds.append(f"modelscope download --model {aux.modelscope} {files} --local_dir {target}")
        elif aux is SEMANTIC_CODEC:  # keeps its folder: lands in Dubline's layout
            cmds.append(f"hf download {aux.repo} {files} --local-dir {root}")
            cmds.append(f"modelscope download --model {aux.modelscope} {files} --local_dir {root}")
        else:
            cmds.append(f"hf download {aux.repo} {files} --local-dir {root / 'hf_cache'}")
            cmds.append(f"modelscope download --model {aux.modelscope} {files} --local_dir {root / 'hf_cache'}")
    return cmds


def checkpoint_root(model_dir: Path | str) -> Path:
    """The folder holding config.yaml: ``model_dir`` or, for a hub cache entry, its snapshot."""
    root = Path(model_dir).expanduser().resolve()
    if not (root / CONFIG_NAME).is_file():
        snap = snapshot(root)
        if snap is not None and (snap / CONFIG_NAME).is_file():
            return snap
    return root


def config_version(cfg: Any, config: Path) -> str:
    """'2.0' or '2.5' from config.yaml's ``version`` (absent: 2.0, as the first 2.0 release).

    The version decides which model class loads; anything else is refused here, before a load.
    """
    raw = cfg.get("version", None)
    version = "2.0" if raw is None else str(raw).strip()
    if version in ("2", "2.0"):
        return "2.0"
    if version == "2.5":
        return "2.5"
    raise EngineError(f"{config}: version {raw!r} is not an IndexTTS2 checkpoint Dubline knows "
                      f"(supported: {', '.join(SUPPORTED_VERSIONS)}); point --model-dir at an "
                      f"IndexTeam/IndexTTS-2 or IndexTeam/IndexTTS-2.5 folder")


def resolve_layout(model_dir: Path | str, environ: dict[str, str] | None = None) -> IndexTTSLayout:
    """Check the checkpoint and return every path; raise listing all that is missing."""
    from omegaconf import OmegaConf

    root = checkpoint_root(model_dir)
    config = root / CONFIG_NAME
    if not config.is_file():
        cmds = "\n  ".join(fetch_commands(root, "2.0", True, []))
        raise ModelMissingError(
            f"IndexTTS2 checkpoint directory {root} has no {CONFIG_NAME} (looked for {config}); "
            f"point --model-dir at the IndexTTS-2 checkpoint folder, or fetch it:\n  {cmds}"
        )
    cfg: Any = OmegaConf.load(config)
    version = config_version(cfg, config)
    missing: list[str] = []

    def need(key: str) -> Path:
        rel = OmegaConf.select(cfg, key)
        if rel is None:
            missing.append(f"{config}: key {key} (the file name of a checkpoint)")
            return root / f"<{key}>"
        path = root / str(rel).strip()
        if not path.is_file():
            missing.append(f"{path}  (config.yaml {key})")
        return path

    def fixed(name: str) -> Path:
        path = root / name
        if not path.is_file():
            missing.append(f"{path}  (IndexTTS-{version} reads it by this name)")
        return path

    caches = hub_caches(root, environ)
    bigvgan = bigvgan_aux(str(OmegaConf.select(cfg, "vocoder.name") or BIGVGAN_REPO))
    found: dict[str, Path] = {}
    missing_aux: list[Auxiliary] = []
    needed = (W2V_BERT, SEMANTIC_CODEC, CAMPPLUS, bigvgan) if version == "2.0" else (W2V_BERT, CAMPPLUS, bigvgan)
    for aux in needed:
        path, looked = find_auxiliary(aux, root, caches)
        if path is None:
            missing_aux.append(aux)
            found[aux.key] = looked[0]
            names = ", ".join(aux.files)
            missing.append(f"{aux.repo} ({names}); looked in:\n      " + "\n      ".join(map(str, looked)))
        else:
            found[aux.key] = path
    vocab = need("dataset.bpe_model") if version == "2.0" else fixed(TIKTOKEN_25)
    main = [need("gpt_checkpoint"), need("s2mel_checkpoint"), vocab, need("w2v_stat"), need("emo_matrix"),
            need("spk_matrix")]
    if version == "2.5":
        found["semantic_codec"] = fixed(CODEC_25)
        main.append(found["semantic_codec"])
    if missing:
        main_missing = any(not p.is_file() for p in main)
        lines = "\n  ".join(missing)
        cmds = "\n  ".join(fetch_commands(root, version, main_missing, missing_aux))
        raise ModelMissingError(
            f"IndexTTS2 checkpoint directory {root} is incomplete; missing {len(missing)} item(s):\n  {lines}\n"
            f"Nothing is downloaded at run time. On a machine with network access, run:\n  {cmds}\n"
            f"(older huggingface_hub: 'huggingface-cli download' takes the same arguments)"
        )
    gpt, s2mel, bpe, w2v_stat, emo_matrix, spk_matrix = main[:6]
    return IndexTTSLayout(
        model_dir=root, version=version, config=config, gpt=gpt, s2mel=s2mel, bpe=bpe, w2v_stat=w2v_stat,
        emo_matrix=emo_matrix, spk_matrix=spk_matrix,
        w2v_bert=found["w2v_bert"], semantic_codec=found["semantic_codec"], campplus=found["campplus"],
        bigvgan=found["bigvgan"],
        qwen_emotion=_optional_dir(root, cfg.get("qwen_emo_path")),
        glossary=(root / "glossary.yaml") if (root / "glossary.yaml").is_file() else None,
    )


def _optional_dir(root: Path, rel: object) -> Path | None:
    if not rel:
        return None
    path = root / str(rel).strip()
    return path if (path / "config.json").is_file() else None
