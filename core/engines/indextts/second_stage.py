"""IndexTTS2's second stage over several rows at once, each row what it gives alone.

A row is one text segment of one line of one voice, rendered at its own frame count. Alone
(``IndexTTS2Model.render``) a row runs upstream's own ``solve_euler``: the CFM's Euler steps
over the DiT, from noise of shape (1, mel channels, prompt + frames). Here rows of one voice
(one prompt mel, one style) run together, padded to a common width, and three things keep a
row what it is alone:

- the noise: each row's own (``line_noise``), of its own shape, padded with zeros;
- attention: the keys past each row's length are masked (``x_lens``, doubled because
  classifier-free guidance runs the unconditional half in the same batch). 2.0's DiT builds
  that mask itself; 2.5's omits it (its inference never pads), so it is handed in;
- the DiT's WaveNet convolutions reflect-pad at a sequence's end. Before each of them the
  positions after a row's end are filled with that reflection (``_rows_apart``), so a row's
  last frames see what they see alone. The extra ``reach`` columns make room for it.

Padded positions are never read by a real one, so a row is mathematically what it is
alone, but not bit for bit: a matrix product over more rows sums in another order. Measured
on the CPU with the tests' tiny checkpoints (2.0 and 2.5): at most 7e-7 in the mel, 1.2e-7 a
sample after BigVGAN (without filling the convolutions' edges it was 0.08-0.18 in the mel). tests/gpu
prints it for CUDA. Hence ``s2_batch`` is 1 on the CPU by default (options.py).

BigVGAN is not batched: it zero-pads and replicate-pads at every layer, so a padded row's
last samples would depend on its neighbours. It runs once per row on the row's exact mel,
one pass against the CFM's 2 x diffusion_steps passes of the DiT.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

Tensor = Any  # torch.Tensor; torch is imported only where a model runs


@dataclass(frozen=True)
class S2Row:
    """One row for the CFM: its condition and its starting noise, both prompt + frames long."""

    cond: Tensor  # (1, prompt + frames, content dim): the length-regulated prompt and segment
    noise: Tensor  # (1, mel channels, prompt + frames)

    @property
    def length(self) -> int:
        return int(self.cond.size(1))


def line_noise(seed: int, lengths: Sequence[int], channels: int, device: str) -> list[Tensor]:
    """The CFM's starting noise of each segment of a line, in order, from one stream seeded
    with ``seed``: what upstream's ``inference`` draws from torch's global generator seeded
    so, one draw per segment (the engine checks this against upstream in the tests)."""
    import torch

    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    return [torch.randn([1, channels, n], device=device, generator=generator) for n in lengths]


def _right_pad(conv: Any) -> tuple[int, str]:
    """How many columns an SConv1d pads after a sequence's end, and how (its pad mode)."""
    inner = conv.conv.conv
    reach = (inner.kernel_size[0] - 1) * inner.dilation[0] + 1 - inner.stride[0]
    return (0 if conv.causal else reach // 2), str(conv.pad_mode)


def edge_convs(estimator: Any) -> list[Any]:
    """The DiT's convolutions over time that see past a row's end (its WaveNet's)."""
    wavenet = getattr(estimator, "wavenet", None)
    return [] if wavenet is None else list(wavenet.in_layers)


def reach(estimator: Any) -> int:
    """Columns past a row's end any of those convolutions reads."""
    return max([_right_pad(conv)[0] for conv in edge_convs(estimator)] + [0])


def supported(estimator: Any) -> bool:
    """Whether every edge convolution pads in a way ``_rows_apart`` reproduces."""
    return all(_right_pad(conv)[1] in ("reflect", "zero", "constant", "replicate") for conv in edge_convs(estimator))


def _edge_index(lengths: Sequence[int], width: int, pad: int, mode: str, device: str) -> Tensor | None:
    """For each row and column, the column whose value it takes: a row's own columns are
    themselves; its ``pad`` columns after the end are what padding gives there alone."""
    import torch

    if pad == 0 or mode in ("zero", "constant"):
        return None
    index = torch.arange(width, device=device).repeat(len(lengths), 1)
    for i, n in enumerate(lengths):
        cols = torch.arange(n, min(n + pad, width), device=device)
        # reflect: column n + j takes n - 2 - j; replicate: n - 1
        index[i, cols] = (2 * n - 2 - cols) if mode == "reflect" else n - 1
    return index


def _key_mask(lengths: Sequence[int], width: int) -> Any:
    """A pre-hook giving the DiT's transformer the key mask 2.0's DiT builds from x_lens, when
    it is called without one. Tokens put before the frames (style, time) count as the row's."""
    import torch

    made: dict[int, Tensor] = {}  # by sequence length: built once per solve

    def hook(module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if len(args) >= 4 or kwargs.get("mask") is not None:
            return None  # the DiT masked it itself
        x = args[0]
        size = x.size(1)
        if size not in made:
            ends = torch.tensor([n + size - width for n in lengths], device=x.device)
            keys = torch.arange(size, device=x.device)[None, :] < ends[:, None]
            made[size] = keys[:, None, None, :].expand(-1, 1, size, -1)
        return args, dict(kwargs, mask=made[size])

    return hook


@contextmanager
def _rows_apart(estimator: Any, lengths: Sequence[int], width: int, device: str) -> Iterator[None]:
    """Keep each row to itself inside the DiT: mask its attention keys past its end where the
    DiT does not (2.5's omits the mask, as its inference never pads), and fill its columns
    after its end, before each edge convolution, as padding would alone."""
    import torch

    handles = [estimator.transformer.register_forward_pre_hook(_key_mask(lengths, width), with_kwargs=True)]
    keep = (torch.arange(width, device=device)[None, :] < torch.tensor(lengths, device=device)[:, None])[:, None, :]
    for conv in edge_convs(estimator):
        pad, mode = _right_pad(conv)
        index = _edge_index(lengths, width, pad, mode, device)

        def fill(module: Any, args: tuple[Any, ...], index: Tensor | None = index) -> Any:
            x = args[0]
            if index is None:  # zero padding: the columns after the end are zeros
                return (x * keep,) + args[1:]
            return (x.gather(2, index.unsqueeze(1).expand(-1, x.size(1), -1)),) + args[1:]

        handles.append(conv.register_forward_pre_hook(fill))
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def solve(cfm: Any, rows: Sequence[S2Row], prompt: Tensor, style: Tensor, steps: int, cfg_rate: float) -> list[Tensor]:
    """Each row's mel after the Euler steps, (1, mel channels, its length), prompt part zeroed.

    Upstream's ``solve_euler`` with a batch of rows: ``prompt`` (1, mel channels, P) and
    ``style`` (1, style dim) are the one voice's. Same steps, same order of operations.
    """
    import torch

    lengths = [row.length for row in rows]
    estimator = cfm.estimator
    width = max(lengths) + reach(estimator)
    device = rows[0].cond.device
    b, n = len(rows), prompt.size(-1)
    mu = rows[0].cond.new_zeros(b, width, rows[0].cond.size(2))
    x = rows[0].noise.new_zeros(b, rows[0].noise.size(1), width)
    for i, row in enumerate(rows):
        mu[i, :row.length] = row.cond[0]
        x[i, :, :row.length] = row.noise[0]
    t_span = torch.linspace(0, 1, steps + 1, device=device)
    prompt_x = torch.zeros_like(x)
    prompt_x[..., :n] = prompt[..., :n]
    x[..., :n] = 0
    if getattr(cfm, "zero_prompt_speech_token", False):  # upstream 2.0 zeroes these (its indexing)
        mu[..., :n] = 0
    style = style.expand(b, -1)
    x_lens = torch.tensor(lengths, device=device)
    if cfg_rate > 0:  # the unconditional half: zeroed prompt, style and content, the same x
        prompt_x, style, mu = (torch.cat([v, torch.zeros_like(v)]) for v in (prompt_x, style, mu))
        x_lens = torch.cat([x_lens, x_lens])
    batch_lengths = [int(v) for v in x_lens.tolist()]  # per row of the estimator's batch
    t = t_span[0]
    with torch.inference_mode(), _rows_apart(estimator, batch_lengths, width, device):
        for step in range(1, len(t_span)):
            dt = t_span[step] - t_span[step - 1]
            if cfg_rate > 0:
                dphi_dt, cfg_dphi_dt = estimator(torch.cat([x, x]), prompt_x, x_lens, t.reshape(1).expand(2 * b),
                                                 style, mu).chunk(2)
                dphi_dt = (1.0 + cfg_rate) * dphi_dt - cfg_rate * cfg_dphi_dt
            else:
                dphi_dt = estimator(x, prompt_x, x_lens, t.reshape(1).expand(b), style, mu)
            x = x + dt * dphi_dt
            t = t + dt
            x[:, :, :n] = 0
    return [x[i:i + 1, :, :length] for i, length in enumerate(lengths)]
