"""IndexTTS2's line check with no weights: config.yaml and the text vocabulary are all it reads.

A ``--cluster`` coordinator plans the job (every line checked before any audio) while the
workers hold the model; it needs to tokenise, not to synthesize. ``TextChecker`` is the
engine as the coordinator sees it: the same ``check`` as ``IndexTTS2Engine`` (same
tokenizer code, same verdict, 2.0's BPE model or 2.5's tiktoken vocabulary), and a
``synthesize`` that says where synthesis happens. Built from a full checkpoint
(``for_layout``) it also has the engine's ``model_version`` and capabilities, so the
coordinator's fitted-audio cache keys are those of a local run on the same checkpoint.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...errors import EngineError, ModelMissingError
from ..base import Capabilities, DurationControl, DurationTarget, Synthesis, SynthesisControls, SynthesisRequest, Voice
from .layout import CONFIG_NAME, TIKTOKEN_25, IndexTTSLayout, checkpoint_root, config_version
from .options import IndexTTS2Options
from .timing import HOP, SAMPLE_RATE
from .tokenizer import Tokenized, load_tokenizer, refuse_unspeakable, tokenize


class TextChecker:
    """``check(text)`` for IndexTTS2 / IndexTTS-2.5 lines from config.yaml and the vocabulary alone."""

    name = "indextts2"

    def __init__(self, config: Path, cfg: Any, vocabulary: Path, options: IndexTTS2Options,
                 model_version: str | None = None, text_emotion: bool = False):
        """``model_version``: the engine's (``for_layout``); None names the text files instead."""
        self.options = options
        self.version = config_version(cfg, config)
        self.max_text_tokens = int(cfg.gpt.max_text_tokens)
        if self.version == "2.0":
            glossary = config.parent / "glossary.yaml"
            self.tokenizer: Any = load_tokenizer(vocabulary, glossary if glossary.is_file() else None,
                                                 options.language)
        else:
            from .text25 import Text25

            self.tokenizer = Text25(vocabulary, options.language, self.max_text_tokens)
        if model_version is None:
            h = hashlib.sha256(config.read_bytes())
            h.update(vocabulary.read_bytes())
            model_version = f"indextts2-{self.version}-text-{h.hexdigest()[:16]}"
        self.model_version = model_version
        modes = {"reference", "vector", "preset"} | ({"text"} if text_emotion else set())
        self.capabilities = Capabilities(
            languages=("zh", "en"),
            duration=DurationControl(native=True, min_factor=options.min_factor, max_factor=options.max_factor,
                                     resolution_seconds=HOP / SAMPLE_RATE),
            cloning=True,
            emotion_modes=frozenset(modes),
        )

    @classmethod
    def load(cls, options: IndexTTS2Options) -> TextChecker:
        """Read ``options.model_dir``'s config.yaml and the vocabulary it names; nothing else."""
        from omegaconf import OmegaConf

        root = checkpoint_root(options.model_dir)
        config = root / CONFIG_NAME
        if not config.is_file():
            raise ModelMissingError(f"IndexTTS2 checkpoint directory {root} has no {CONFIG_NAME}; the lines "
                                    "are checked with its tokenizer: copy config.yaml and the BPE model there")
        cfg: Any = OmegaConf.load(config)
        if config_version(cfg, config) == "2.5":
            vocabulary: Path | None = root / TIKTOKEN_25
            rel: object = TIKTOKEN_25
        else:
            rel = OmegaConf.select(cfg, "dataset.bpe_model")
            vocabulary = root / str(rel).strip() if rel is not None else None
        if vocabulary is None or not vocabulary.is_file():
            raise ModelMissingError(f"{config} names no BPE model that exists (dataset.bpe_model: {rel!r}); "
                                    f"copy the checkpoint's BPE model (2.5: {TIKTOKEN_25}) next to it to "
                                    "check lines")
        return cls(config, cfg, vocabulary, options)

    @classmethod
    def for_layout(cls, layout: IndexTTSLayout, options: IndexTTS2Options) -> TextChecker:
        """The checker of a full checkpoint: the engine's ``model_version`` and emotion modes, no weights read."""
        from omegaconf import OmegaConf

        cfg: Any = OmegaConf.load(layout.config)
        return cls(layout.config, cfg, layout.bpe, options, model_version=layout.model_version(),
                   text_emotion=layout.qwen_emotion is not None)

    def voices(self) -> list[Voice]:
        return []

    def tokenize(self, text: str) -> Tokenized:
        if self.version == "2.0":
            return tokenize(self.tokenizer, text, self.options.max_text_tokens_per_segment, self.max_text_tokens)
        result: Tokenized = self.tokenizer.tokenize(text, self.options.max_text_tokens_per_segment)
        return result

    def check(self, text: str) -> None:
        refuse_unspeakable(text, self.tokenize(text))

    def prepare(self, requests: Sequence[SynthesisRequest]) -> None:
        """Nothing to prepare: the workers batch their own lines."""

    def synthesize(self, text: str, voice: Voice, controls: SynthesisControls,
                   target: DurationTarget | None = None) -> Synthesis:
        raise EngineError(f"IndexTTS2 here has only its tokenizer ({self.options.model_dir}): lines are "
                          "synthesized on the cluster's workers, or give --model-dir a full checkpoint")
