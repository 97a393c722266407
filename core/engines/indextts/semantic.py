"""A line's GPT stage: what it needs, its cache key, run alone or with lines of its voice.

``synthesize`` runs one line's job; ``prepare`` runs the jobs of the lines coming next,
the lines of one voice together (``gpt_batch``). A line's tokens are the same either way,
so whichever ran first fills the semantic cache and the other finds them there.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .gpt_batch import VERSION, GptRow
from .sampling import row_seed

Tensor = Any  # torch.Tensor; torch is imported only where a model runs


@dataclass
class LineJob:
    """Everything the GPT needs for one line, resolved (conditioning, emotion, cache key)."""

    key: tuple[Any, ...]  # the engine's in-memory key of the line
    voice_key: str  # content hash of the voice clip: one batch holds one voice
    segments: list[list[int]]
    speaker: dict[str, Tensor]
    emo_cond: Tensor
    alpha: float
    vector: tuple[Tensor, Tensor] | None  # emotion-matrix mix, when a vector or text plan gave one
    seed: int
    warnings: list[str] = field(default_factory=list)
    gpt_key: str = ""  # the semantic cache's key, set from ``cache_key``


def cache_key(job: LineJob, sampling: dict[str, float | int], max_text_tokens_per_segment: int) -> str:
    """On-disk key of a line's tokens: the line, voice, seed, emotion, sampling, and VERSION."""
    text, voice, seed, plan = job.key
    return hashlib.sha256(repr((text, voice, seed, plan, sorted(sampling.items()), max_text_tokens_per_segment,
                                VERSION)).encode()).hexdigest()


def rows(model: Any, job: LineJob) -> list[GptRow]:
    """The line's segments as GPT rows: one emotion vector, one random stream per segment."""
    emovec = model.merged_emovec(job.speaker["spk_cond"], job.emo_cond, job.alpha, job.vector)
    return [GptRow(tuple(ids), job.emo_cond, emovec, row_seed(job.seed, i)) for i, ids in enumerate(job.segments)]


def generate(model: Any, jobs: Sequence[LineJob], sampling: dict[str, float | int], batch: int) -> list[list[Any]]:
    """Each job's ``SemanticTokens`` (one per segment); every job speaks with ``jobs[0]``'s voice."""
    assert all(job.voice_key == jobs[0].voice_key for job in jobs), "one voice per batch"
    all_rows: list[GptRow] = []
    spans = []
    for job in jobs:
        line_rows = rows(model, job)
        spans.append((len(all_rows), len(all_rows) + len(line_rows)))
        all_rows += line_rows
    tokens = model.semantic_rows(all_rows, jobs[0].speaker, sampling, batch)
    return [tokens[a:b] for a, b in spans]


def by_voice(jobs: Sequence[LineJob]) -> list[list[LineJob]]:
    """Jobs grouped by voice in first-seen order, each line once."""
    groups: dict[str, dict[str, LineJob]] = {}
    for job in jobs:
        groups.setdefault(job.voice_key, {}).setdefault(job.gpt_key, job)
    return [list(group.values()) for group in groups.values()]
