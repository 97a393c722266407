"""One random stream per GPT row, so a line samples the same tokens alone or in a batch.

transformers' ``generate()`` draws every row of a batch from torch's one global generator:
a line generated beside others would get other random numbers than the same line alone,
and so other tokens. Here each row (one text segment of one line) has its own
``torch.Generator``, seeded from the line's seed and the segment's index, and the two
places ``generate()`` draws are taken over for the duration of one call:

- plain sampling (``num_beams == 1``): a last logits processor, after temperature, top-k
  and top-p, picks each row's token from that row's stream and leaves only it possible,
  so the draw ``generate()`` makes afterwards can fall nowhere else;
- beam sampling (``num_beams > 1``): the top-k continuation step, the only draw of beam
  search, samples each row's candidates from that row's stream.

Everything else ``generate()`` does to a row depends on that row alone.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

Tensor = Any  # torch.Tensor; torch is imported only where a model runs


def row_seed(seed: int, segment: int) -> int:
    """The stream seed of one segment of a line sampled with ``seed`` (63 bits, never negative)."""
    state = np.random.SeedSequence([seed & (2**64 - 1), segment]).generate_state(2, dtype=np.uint32)
    return (int(state[0]) << 31) ^ int(state[1])


def row_generators(seeds: Sequence[int], device: Any) -> list[Any]:
    import torch

    return [torch.Generator(device=device).manual_seed(s) for s in seeds]


class RowPick:
    """Logits processor: each row's token drawn from its own stream; every other token -inf."""

    def __init__(self, generators: Sequence[Any]):
        self.generators = list(generators)

    def __call__(self, input_ids: Tensor, scores: Tensor) -> Tensor:
        import torch

        if scores.shape[0] != len(self.generators):
            raise ValueError(f"{scores.shape[0]} rows sampled with {len(self.generators)} streams")
        probs = torch.softmax(scores.float(), dim=-1)
        picks = torch.cat([torch.multinomial(probs[i], 1, generator=g) for i, g in enumerate(self.generators)])
        only = torch.full_like(scores, -float("inf"))
        return only.scatter_(1, picks.unsqueeze(1), 0.0)


def _top_k_continuations(model: Any, generators: Sequence[Any]) -> Any:
    """transformers' ``_get_top_k_continuations`` with each row sampled from its own stream."""
    import torch

    gather = type(model)._gather_beams

    def step(accumulated_log_probs: Tensor, running_sequences: Tensor, running_beam_indices: Tensor, cur_len: int,
             decoder_prompt_len: int, do_sample: bool, beams_to_keep: int, num_beams: int, batch_size: int,
             **kwargs: Any) -> tuple[Tensor, Tensor, Tensor]:
        if do_sample:
            probs = torch.softmax(accumulated_log_probs, dim=-1)
            topk_indices = torch.stack([torch.multinomial(probs[i], beams_to_keep, generator=g)
                                        for i, g in enumerate(generators)])
            topk_log_probs = torch.gather(accumulated_log_probs, 1, topk_indices)
            topk_log_probs, order = topk_log_probs.sort(dim=-1, descending=True)
            topk_indices = topk_indices.gather(dim=-1, index=order)
        else:
            topk_log_probs, topk_indices = torch.topk(accumulated_log_probs, k=beams_to_keep)
        # From here on as transformers does it (generation/utils.py, 5.x).
        vocab_size = accumulated_log_probs.shape[-1] // num_beams
        beam = topk_indices // vocab_size
        topk_running_beam_indices = gather(running_beam_indices, beam)
        topk_running_sequences = gather(running_sequences, beam)
        topk_running_sequences[:, :, cur_len] = topk_indices % vocab_size
        offset = torch.arange(batch_size, device=topk_indices.device).view(-1, 1) * num_beams
        topk_running_beam_indices[:, :, cur_len - decoder_prompt_len] = beam + offset
        return topk_log_probs, topk_running_sequences, topk_running_beam_indices

    return step


def _logits_processor(model: Any, generators: Sequence[Any]) -> Any:
    """transformers' processor list, with ``RowPick`` last when plain sampling."""
    original = type(model)._get_logits_processor

    def build(*args: Any, **kwargs: Any) -> Any:
        processors = original(model, *args, **kwargs)
        config = kwargs["generation_config"] if "generation_config" in kwargs else args[0]
        if config.do_sample and (config.num_beams or 1) == 1:
            processors.append(RowPick(generators))
        return processors

    return build


@contextmanager
def row_streams(model: Any, generators: Sequence[Any]) -> Iterator[None]:
    """Within this block, ``model.generate()`` samples row i from ``generators[i]``.

    ``model`` is a transformers generation model (IndexTTS2's ``gpt.inference_model``).
    The caller holds the engine's lock: the overrides live on the model instance.
    """
    for name in ("_get_logits_processor", "_get_top_k_continuations", "_gather_beams"):
        if not hasattr(type(model), name):  # transformers < 4.50: beam search not refactored
            raise RuntimeError(f"per-row sampling needs transformers >= 5.0 ({type(model).__name__} has no {name})")
    model._get_logits_processor = _logits_processor(model, generators)
    model._get_top_k_continuations = _top_k_continuations(model, generators)
    try:
        yield
    finally:
        del model._get_logits_processor
        del model._get_top_k_continuations
