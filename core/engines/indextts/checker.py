"""IndexTTS2's line check with no weights: config.yaml and the BPE model are all it reads.

A ``--cluster`` coordinator plans the job (every line checked before any audio) while the
workers hold the model; it needs to tokenise, not to synthesize. ``TextChecker`` is the
engine as the coordinator sees it: the same ``check`` as ``IndexTTS2Engine`` (same
tokenizer code, same verdict), and a ``synthesize`` that says where synthesis happens.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...errors import EngineError, ModelMissingError
from ..base import Capabilities, DurationControl, DurationTarget, Synthesis, SynthesisControls, SynthesisRequest, Voice
from .layout import CONFIG_NAME, checkpoint_root, config_version
from .options import IndexTTS2Options
from .timing import HOP, SAMPLE_RATE
from .tokenizer import Tokenized, load_tokenizer, refuse_unspeakable, tokenize


class TextChecker:
    """``check(text)`` for IndexTTS2 lines from config.yaml and the BPE model alone."""

    name = "indextts2"

    def __init__(self, config: Path, cfg: Any, bpe: Path, options: IndexTTS2Options):
        self.options = options
        self.version = config_version(cfg, config)
        self.max_text_tokens = int(cfg.gpt.max_text_tokens)
        glossary = config.parent / "glossary.yaml"
        self.tokenizer = load_tokenizer(bpe, glossary if glossary.is_file() else None, options.language)
        h = hashlib.sha256(config.read_bytes())
        h.update(bpe.read_bytes())
        self.model_version = f"indextts2-{self.version}-text-{h.hexdigest()[:16]}"
        self.capabilities = Capabilities(
            languages=("zh", "en"),
            duration=DurationControl(native=True, min_factor=options.min_factor, max_factor=options.max_factor,
                                     resolution_seconds=HOP / SAMPLE_RATE),
            cloning=True,
        )

    @classmethod
    def load(cls, options: IndexTTS2Options) -> TextChecker:
        """Read ``options.model_dir``'s config.yaml and the BPE model it names; nothing else."""
        from omegaconf import OmegaConf

        root = checkpoint_root(options.model_dir)
        config = root / CONFIG_NAME
        if not config.is_file():
            raise ModelMissingError(f"IndexTTS2 checkpoint directory {root} has no {CONFIG_NAME}; the lines "
                                    "are checked with its tokenizer: copy config.yaml and the BPE model there")
        cfg: Any = OmegaConf.load(config)
        version = config_version(cfg, config)
        if version != "2.0":
            raise EngineError(f"{config}: the tokenizer-only line check reads IndexTTS-2.0 checkpoints, "
                              f"not {version}; give the coordinator the full checkpoint")
        rel = OmegaConf.select(cfg, "dataset.bpe_model")
        bpe = root / str(rel).strip() if rel is not None else None
        if bpe is None or not bpe.is_file():
            raise ModelMissingError(f"{config} names no BPE model that exists (dataset.bpe_model: {rel!r}); "
                                    f"copy the checkpoint's BPE model next to it to check lines")
        return cls(config, cfg, bpe, options)

    def voices(self) -> list[Voice]:
        return []

    def tokenize(self, text: str) -> Tokenized:
        return tokenize(self.tokenizer, text, self.options.max_text_tokens_per_segment, self.max_text_tokens)

    def check(self, text: str) -> None:
        refuse_unspeakable(text, self.tokenize(text))

    def prepare(self, requests: Sequence[SynthesisRequest]) -> None:
        """Nothing to prepare: the workers batch their own lines."""

    def synthesize(self, text: str, voice: Voice, controls: SynthesisControls,
                   target: DurationTarget | None = None) -> Synthesis:
        raise EngineError(f"IndexTTS2 here has only its tokenizer ({self.options.model_dir}): lines are "
                          "synthesized on the cluster's workers, or give --model-dir a full checkpoint")
