"""IndexTTS2's GPT over several rows at once, each row exactly what it gives alone.

A row is one text segment of one line of one voice. Rows run together in one
``generate()`` call, and a row's tokens must not depend on which rows it ran with, or a
prepared job would differ from an unprepared one. Three things make that hold:

- the random draws: each row samples from its own stream (``sampling.row_streams``);
- the layout: the GPT reads ``[padding][conditioning][text]``, and padding changes the
  sums inside attention. Every row is padded to a fixed width (its text length rounded up
  to ``WIDTH_STEP`` tokens), alone or batched, and only rows of one width run together;
- the latent the second stage reads is computed row by row after generation, as alone.

What remains is the kernels themselves: a matrix product over a batch of rows must give
each row what it gives alone. The tests check this on the CPU; tests/gpu checks it on CUDA.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...errors import EngineError
from .sampling import row_generators, row_streams
from .timing import token_frames

log = logging.getLogger(__name__)

Tensor = Any  # torch.Tensor; torch is imported only where a model runs
WIDTH_STEP = 32  # text widths rows are padded to: batches mix lines of similar length, padding stays short
# In every semantic cache key: tokens made before per-row streams and padded widths differ.
VERSION = "rows-1"


@dataclass(frozen=True)
class GptRow:
    """One text segment to generate: its ids, its emotion, its random stream's seed."""

    ids: tuple[int, ...]
    emo_cond: Tensor  # (1, frames, 1024): the emotion clip's features (the speaker's when none)
    emovec: Tensor  # (1, dim): the merged emotion vector the GPT is conditioned on
    seed: int


def padded_width(tokens: int, max_text_tokens: int) -> int:
    """The text width a row of ``tokens`` ids is generated at, alone or batched."""
    step = -(-tokens // WIDTH_STEP) * WIDTH_STEP
    return max(tokens, min(step, max_text_tokens - 2))


def batches(rows: Sequence[GptRow], max_text_tokens: int, size: int) -> list[list[int]]:
    """Row indices grouped by padded width, at most ``size`` a batch, in first-seen order."""
    groups: dict[int, list[int]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(padded_width(len(row.ids), max_text_tokens), []).append(i)
    return [idx[k:k + size] for idx in groups.values() for k in range(0, len(idx), max(1, size))]


def generate_codes(model: Any, rows: Sequence[GptRow], spk_cond: Tensor, sampling: dict[str, float | int]
                   ) -> tuple[list[Tensor], Tensor]:
    """Codes of every row (each up to and without its stop token) and the speaker's GPT latent.

    All rows share one voice (``spk_cond``) and one padded width.
    """
    import torch

    gpt = model.gpt
    width = padded_width(len(rows[0].ids), model.max_text_tokens)
    text = torch.full((len(rows), width), gpt.stop_text_token, dtype=torch.int32, device=model.device)
    for i, row in enumerate(rows):
        assert padded_width(len(row.ids), model.max_text_tokens) == width, "rows of one batch share a width"
        text[i, :len(row.ids)] = torch.tensor(row.ids, dtype=torch.int32)
    emovec = torch.cat([row.emovec for row in rows])
    streams = row_generators([row.seed for row in rows], model.device)
    with torch.no_grad(), model._autocast(), row_streams(gpt.inference_model, streams):
        codes, cond_latent = gpt.inference_speech(
            spk_cond, text, spk_cond, cond_lengths=_length(spk_cond), emo_cond_lengths=_length(spk_cond),
            emo_vec=emovec, do_sample=True, num_return_sequences=1,
            max_generate_length=min(int(sampling["max_mel_tokens"]), model.max_mel_tokens),
            top_p=sampling["top_p"], top_k=sampling["top_k"], temperature=sampling["temperature"],
            length_penalty=0.0, num_beams=sampling["num_beams"], repetition_penalty=sampling["repetition_penalty"],
        )
    return [codes[i] for i in range(len(rows))], cond_latent


def row_tokens(model: Any, row: GptRow, code: Tensor, cond_latent: Tensor, spk_cond: Tensor) -> Any:
    """One row's ``SemanticTokens``: its codes up to the stop token, and their latent, row alone."""
    import torch

    from .model import SemanticTokens  # model.py imports this module: imported when run

    stops = (code == model.stop_token).nonzero(as_tuple=False)
    n = int(stops[0, 0]) if stops.numel() else len(code)
    if n == 0:
        raise EngineError("IndexTTS2 generated no speech tokens for this text (stop token first)")
    codes = code[:n].unsqueeze(0).clone()
    text = torch.tensor(row.ids, dtype=torch.int32, device=model.device).unsqueeze(0)
    with torch.no_grad(), model._autocast():
        latent = model.gpt(
            cond_latent, text, _length(text), codes, _length(codes), row.emo_cond,
            cond_mel_lengths=_length(spk_cond), emo_cond_mel_lengths=_length(row.emo_cond),
            emo_vec=row.emovec, use_speed=torch.zeros(1, device=model.device).long(),
        )
    return SemanticTokens(codes=codes, latent=latent, natural_frames=token_frames(n), hit_limit=not stops.numel())


def semantic_rows(model: Any, rows: Sequence[GptRow], speaker: dict[str, Tensor], sampling: dict[str, float | int],
                  size: int) -> list[Any]:
    """``SemanticTokens`` of every row, in order; the GPT runs once per batch of ``size`` rows.

    Batching is written for the 2.0 GPT; another version's model runs its rows one by one,
    each seeded from its own stream's seed, which is just as independent of the batch.
    """
    spk_cond = speaker["spk_cond"]
    if model.version != "2.0":
        return [_alone(model, row, speaker, sampling) for row in rows]
    out: list[Any] = [None] * len(rows)
    for batch in batches(rows, model.max_text_tokens, size):
        codes, cond_latent = generate_codes(model, [rows[i] for i in batch], spk_cond, sampling)
        for i, code in zip(batch, codes):
            out[i] = row_tokens(model, rows[i], code, cond_latent, spk_cond)
    return out


def _alone(model: Any, row: GptRow, speaker: dict[str, Tensor], sampling: dict[str, float | int]) -> Any:
    """One row through the model's own ``semantic_tokens(ids, speaker, emo_cond, emovec, sampling)``
    (IndexTTS-2.5's), on torch's global generator seeded with the row's seed."""
    import random

    import numpy as np
    import torch

    random.seed(row.seed)
    np.random.seed(row.seed % 2**32)
    torch.manual_seed(row.seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(row.seed)
    return model.semantic_tokens(list(row.ids), speaker, row.emo_cond, row.emovec, sampling)


def _length(t: Tensor) -> Tensor:
    import torch

    return torch.tensor([t.shape[-1]], device=t.device)
