"""IndexTTS2's text front end on its own: config.yaml's BPE model, upstream's normaliser.

The model and the weightless checker (checker.py) read a line through the same two
functions, so a line a cluster coordinator accepts is a line the workers can speak.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import EngineError
from .imports import require_indextts
from .text import PlainNormalizer


@dataclass(frozen=True)
class Tokenized:
    """A line as the GPT will read it: id segments, and the pieces the BPE model does not know."""

    segments: list[list[int]]
    unknown: list[str]
    speakable: bool  # some known piece holds a letter, digit or character (not punctuation)


def load_tokenizer(bpe: Path, glossary: Path | None, language: str | None) -> Any:
    """Upstream's ``TextTokenizer`` over ``bpe``, normalising with nemo when installed."""
    require_indextts()
    from indextts.utils.front import TextNormalizer, TextTokenizer

    normalizer: Any
    try:
        import nemo_text_processing  # noqa: F401

        normalizer = TextNormalizer(enable_glossary=True, preferred_language=language)
    except ImportError:
        # Without nemo: upstream's own punctuation maps, Dubline's number readers.
        maps = TextNormalizer(enable_glossary=False)
        normalizer = PlainNormalizer(maps.char_rep_map, maps.zh_char_rep_map, language)
    tokenizer = TextTokenizer(str(bpe), normalizer)
    if isinstance(normalizer, TextNormalizer) and glossary is not None:
        normalizer.load_glossary_from_yaml(str(glossary))
    return tokenizer


def tokenize(tokenizer: Any, text: str, max_tokens: int, max_text_tokens: int) -> Tokenized:
    """BPE pieces of the normalised line, split where upstream splits it.

    A segment never outgrows the GPT's text positions (``max_text_tokens``, start and stop
    included), whatever ``max_tokens`` asks for.
    """
    max_tokens = max(1, min(max_tokens, max_text_tokens - 2))
    pieces = tokenizer.tokenize(text)
    unk = tokenizer.unk_token_id
    ids = tokenizer.convert_tokens_to_ids(pieces)
    unknown = [p for p, i in zip(pieces, ids) if i == unk]
    segments = [tokenizer.convert_tokens_to_ids(seg) for seg in tokenizer.split_segments(pieces, max_tokens)]
    speakable = any(i != unk and any(c.isalnum() for c in p) for p, i in zip(pieces, ids))
    return Tokenized([s for s in segments if s], unknown, speakable)


def refuse_unspeakable(text: str, tokenized: Tokenized) -> None:
    """``Engine.check``'s verdict: a line with no word or character the BPE model reads."""
    if not tokenized.speakable:
        raise EngineError(f"IndexTTS2 finds nothing to say in {text!r}: it has no word or character "
                          "its tokenizer can read")
