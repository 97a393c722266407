"""How to load and run IndexTTS2 / IndexTTS-2.5: one options object, no torch import.

The CLI and the daemon build it from their flags before anything heavy is imported; the
engine hands it back in ``engine.options`` so a report shows exactly what was used.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class IndexTTS2Options:
    """Loading and sampling settings; the defaults are upstream's (webui.py, infer_v2.py)."""

    model_dir: Path
    device: str = "cuda"  # "cuda", "cuda:1", "cpu"; no CUDA -> CPU with a warning
    fp16: bool | None = None  # None: on for CUDA, off on the CPU (where it is not supported)
    min_factor: float = 0.75
    max_factor: float = 1.35
    cache_dir: Path | None = None  # conditioning on disk; None keeps it in memory only
    language: str | None = None  # text normalisation language; None detects zh/en per line
    diffusion_steps: int = 25
    cfg_rate: float = 0.7
    max_mel_tokens: int = 1500
    max_text_tokens_per_segment: int = 120
    num_beams: int = 3
    top_p: float = 0.8
    top_k: int = 30
    temperature: float = 0.8
    repetition_penalty: float = 10.0
    # Emotion defaults of upstream's UI: weight 0.65 unless the line gives an intensity;
    # README recommends about 0.6 for emotion taken from text.
    default_intensity: float = 0.65
    text_intensity: float = 0.6
    # Take each line's emotion from its own text (upstream's use_emo_text without emo_text)
    # when the line names no emotion; needs the checkpoint's Qwen emotion model.
    emotion_from_text: bool = False
    # GPU speed options: both fall back with a warning when they fail to build.
    bigvgan_cuda_kernel: bool = False
    torch_compile: bool = False
    gpt_batch: int = 8  # GPT rows (line segments) of one voice run at once by prepare()
    # Second-stage rows (line segments) of one voice prepare() renders at once; 1 renders
    # each line alone. None: S2_BATCH_CUDA on CUDA, 1 on the CPU (``second_stage_batch``).
    # A batched row is its lone render up to rounding (measured on the CPU: at most 1.2e-7 a
    # sample), not bit for bit; second_stage.py says why.
    s2_batch: int | None = None

    def sampling(self) -> dict[str, float | int]:
        return {"max_mel_tokens": self.max_mel_tokens, "num_beams": self.num_beams, "top_p": self.top_p,
                "top_k": self.top_k, "temperature": self.temperature,
                "repetition_penalty": self.repetition_penalty}


S2_BATCH_CUDA = 8


def second_stage_batch(device: str) -> int:
    """The default ``s2_batch`` for a device: batched on CUDA, one line at a time on the CPU.

    On the CPU a batched row differs from its lone render in the last bits (at most 1.2e-7 a
    sample, measured with the tests' tiny 2.0 and 2.5 checkpoints), and the CPU is where runs
    must give the same samples as each other bit for bit, re-timed or cold.
    """
    return S2_BATCH_CUDA if str(device).startswith("cuda") else 1
