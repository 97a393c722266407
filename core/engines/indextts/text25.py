"""Text as IndexTTS-2.5 reads it: normalised, lower-cased, a language token, tiktoken ids.

2.5 replaced 2.0's SentencePiece model with a multilingual tiktoken vocabulary (Whisper's
special tokens included) and conditions the GPT on a language: every segment starts with
``<|en|>``/``<|zh|>``/..., and the same language's id goes to the GPT's language
embedding. The vocabulary is byte-level, so no character is ever unknown: ``unknown`` is
always empty. Normalisation is upstream's (``indextts25.utils.front``): WeTextProcessing
when installed, else Dubline's number readers and the package's punctuation maps, as for 2.0.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ...text.script import has_han
from .imports import require_indextts25
from .tokenizer import Tokenized
from .text import PlainNormalizer

# Where a segment may end (upstream's split_text_by_tokens), then between words.
_PUNCTUATION = re.compile(r"(?<=[，。！？、；：,.!?;:\n])")
_WORDS = re.compile(r"\S+\s*|\s+")
_KANA = re.compile("[\u3040-\u30ff]")  # hiragana and katakana: Japanese, not Chinese


class Text25:
    """Normalise, choose the language, encode and split one line for the 2.5 GPT."""

    def __init__(self, vocab: Path, language: str | None, max_text_tokens: int):
        require_indextts25()
        from indextts25.utils.front import TextNormalizer
        from indextts25.utils.tokenizer import LANGUAGE_DICT, get_encoding

        self.encoding: Any = get_encoding(vocab.name.removesuffix(".tiktoken"), model_dir=str(vocab.parent))
        self.encoding_specials = self.encoding.special_tokens_set
        # The languages with a <|xx|> token (upstream's vocabulary has the first 99).
        self.languages: dict[str, int] = {code: index for code, index in LANGUAGE_DICT.items()
                                          if f"<|{code}|>" in self.encoding_specials}
        self.language = language.lower() if language else None
        if self.language is not None and self.language not in self.languages:
            from ...errors import EngineError

            raise EngineError(f"IndexTTS-2.5 has no language {language!r}; use an ISO 639-1 code "
                              "such as en, zh, ja or es")
        self.max_text_tokens = max_text_tokens
        maps = TextNormalizer(enable_glossary=False)
        self._upstream = maps if maps.load() else None  # WeTextProcessing (the package's extra [zh])
        # One per script, fixed: tokenize() may run on several threads at once.
        self._plain = {lang: PlainNormalizer(maps.char_rep_map, maps.zh_char_rep_map, lang) for lang in ("zh", "en")}
        self._by_token = {self.encoding.encode_single_token(f"<|{code}|>"): index
                          for code, index in self.languages.items()}

    def language_of(self, text: str) -> str:
        """The configured language, else zh for Han text, ja for kana, en otherwise."""
        if self.language is not None:
            return self.language
        if _KANA.search(text):
            return "ja"
        return "zh" if has_han(text) else "en"

    def language_id(self, first_token: int) -> int:
        """The GPT's language index for a segment, from its leading ``<|xx|>`` token."""
        return self._by_token[first_token]

    def normalize(self, text: str, lang: str) -> str:
        if self._upstream is not None and lang in ("zh", "en"):
            text = self._upstream.normalize(text, lang)
        else:
            text = self._plain["zh" if lang in ("zh", "ja") else "en"].normalize(text)
        # Upstream lower-cases zh/en/ja (its vocabulary is cased) and upper-cases only Spanish.
        return text.upper() if lang == "es" else text.lower()

    def count(self, text: str) -> int:
        return len(self.encoding.encode(text, allowed_special="all"))

    def tokenize(self, text: str, max_tokens: int) -> Tokenized:
        """Id segments, each ``<|lang|> `` + a piece of the line that fits the GPT's text window."""
        lang = self.language_of(text)
        normalized = self.normalize(text, lang)
        prefix = f"<|{lang}|> "
        budget = max(1, min(max_tokens, self.max_text_tokens) - self.count(prefix))
        segments = [self.encoding.encode(prefix + piece, allowed_special="all")
                    for piece in self.split(normalized, budget) if piece.strip()]
        return Tokenized(segments, [], any(c.isalnum() for c in normalized))

    def split(self, text: str, budget: int) -> list[str]:
        """Pieces of at most ``budget`` tokens: cut at punctuation, then words, then characters."""
        if self.count(text) <= budget:
            return [text]
        chunks: list[str] = []
        for part in filter(None, _PUNCTUATION.split(text)):
            if self.count(part) <= budget:
                chunks.append(part)
                continue
            for word in _WORDS.findall(part):
                chunks.extend([word] if self.count(word) <= budget else list(word))
        segments, current = [], ""
        for chunk in chunks:
            if current and self.count(current + chunk) > budget:
                segments.append(current)
                current = chunk
            else:
                current += chunk
        return segments + ([current] if current else [])
