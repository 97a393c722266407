"""IndexTTS2 engine: zero-shot cloning from a reference clip, emotion control, exact duration.

Duration: the released model has no duration input. The GPT stage generates semantic tokens
freely (their count is the natural length); the second stage (length regulator + CFM) is
then told the mel frame count of the target, so the model itself speaks the line at that
length, one frame = 256 samples at 22.05 kHz (11.6 ms). The factor target/natural is kept
in ``[min_factor, max_factor]``; past that the take is rendered at the bound and the common
fitting policy (stretch, flag) does the rest.

The engine is model-agnostic over the staged interface of ``IndexTTS2Model`` so that
IndexTTS-2.5 (native duration factor in its GPT) can be a sibling model with the same engine.
"""
from __future__ import annotations

import logging
import random
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import EngineError, VoiceError
from ..reference import load_reference
from .base import Capabilities, DurationControl, DurationTarget, Synthesis, SynthesisControls, Voice
from .conditioning_cache import ConditioningCache, audio_key
from .indextts_emotion import EmotionPlan, plan_emotion, scale_by_alpha
from .indextts_layout import resolve_layout
from .indextts2_model import HOP, SAMPLE_RATE, IndexTTS2Model, SemanticTokens

log = logging.getLogger(__name__)

ENGINE_NAME = "indextts2"
SEGMENT_GAP_FRAMES = 17  # IndexTTS2 puts 200 ms between text segments; 17 frames = 197 ms


@dataclass(frozen=True)
class IndexTTS2Options:
    """How to load and run IndexTTS2; handed back in ``engine.options`` for reports."""

    model_dir: Path
    device: str = "cuda"  # "cuda", "cuda:1", "cpu"
    fp16: bool = False
    min_factor: float = 0.75
    max_factor: float = 1.35
    cache_dir: Path | None = None  # conditioning on disk; None keeps it in memory only
    language: str | None = None  # text normalisation language; None detects zh/en
    diffusion_steps: int = 25
    cfg_rate: float = 0.7
    max_mel_tokens: int = 1500
    max_text_tokens_per_segment: int = 120
    num_beams: int = 3
    top_p: float = 0.8
    top_k: int = 30
    temperature: float = 0.8
    repetition_penalty: float = 10.0

    def sampling(self) -> dict:
        return {"max_mel_tokens": self.max_mel_tokens, "num_beams": self.num_beams, "top_p": self.top_p,
                "top_k": self.top_k, "temperature": self.temperature,
                "repetition_penalty": self.repetition_penalty}


def resolve_device(requested: str, fp16: bool) -> tuple[str, bool, list[str]]:
    """The device to use, whether FP16 stays on, and warnings for what was changed."""
    import torch

    notes: list[str] = []
    device = requested
    if requested.startswith("cuda") and not torch.cuda.is_available():
        notes.append(f"CUDA requested but not available; IndexTTS2 runs on the CPU (much slower than real time)")
        device = "cpu"
    if fp16 and device == "cpu":
        notes.append("FP16 is GPU-only; running in FP32 on the CPU")
        fp16 = False
    return device, fp16, notes


def allocate_frames(natural: list[int], gap: int, target: int) -> tuple[list[int], list[int]]:
    """Split ``target`` frames over segments and the gaps between them, in proportion.

    Cumulative rounding makes the parts add up to ``target`` exactly.
    """
    parts: list[int] = []
    for i, n in enumerate(natural):
        parts.append(n)
        if i < len(natural) - 1:
            parts.append(gap)
    total = sum(parts)
    out, acc, placed = [], 0, 0
    for p in parts:
        acc += p
        end = round(acc * target / total)
        out.append(end - placed)
        placed = end
    segs = [max(1, f) for f in out[0::2]]
    return segs, out[1::2]


@dataclass
class _Line:
    """Semantic tokens of one line, kept so the native call after a natural one skips the GPT."""

    tokens: list[SemanticTokens]
    speaker: dict
    warnings: list[str] = field(default_factory=list)

    @property
    def natural_frames(self) -> int:
        return sum(t.natural_frames for t in self.tokens) + SEGMENT_GAP_FRAMES * (len(self.tokens) - 1)


class IndexTTS2Engine:
    """The ``Engine`` for IndexTTS2 checkpoints; load with ``IndexTTS2Engine.load(options)``."""

    name = ENGINE_NAME

    def __init__(self, model: IndexTTS2Model, options: IndexTTS2Options, notes: list[str]):
        self.model = model
        self.options = options
        self.notes = notes + list(model.notes)  # load-time warnings, repeated on each line
        fingerprint = model.layout.fingerprint()
        self.model_version = f"indextts2-{model.version}-{fingerprint}"
        self.cache = ConditioningCache(options.cache_dir, f"indextts2-{fingerprint}")
        modes = {"reference", "vector", "preset"} | ({"text"} if model.qwen is not None else set())
        self.capabilities = Capabilities(
            languages=("zh", "en"),
            duration=DurationControl(native=True, min_factor=options.min_factor, max_factor=options.max_factor,
                                     resolution_seconds=HOP / SAMPLE_RATE),
            cloning=True,
            emotion_modes=frozenset(modes),
            device=model.device,
        )
        self._lock = threading.Lock()  # one line at a time per device
        self._lines: OrderedDict[tuple, _Line] = OrderedDict()

    @classmethod
    def load(cls, options: IndexTTS2Options, resolve=resolve_layout, model_class=IndexTTS2Model) -> "IndexTTS2Engine":
        """Check the checkpoint layout, pick the device, load the model.

        ``resolve`` and ``model_class`` are the seams for a sibling (IndexTTS-2.5: its own
        layout and a model whose ``semantic_tokens`` also takes a duration factor).
        """
        layout = resolve(options.model_dir)
        device, fp16, notes = resolve_device(options.device, options.fp16)
        for note in notes:
            log.warning("%s", note)
        model = model_class(layout, device, fp16, options.language)
        return cls(model, options, notes)

    def voices(self) -> list[Voice]:
        return []  # every IndexTTS2 voice is a user's reference clip

    # ---- conditioning, cached by content -----------------------------------------
    def _reference(self, path: Path):
        ref = load_reference(path)
        return ref, audio_key(ref.samples, ref.sample_rate)

    def speaker(self, path: Path, loaded=None) -> dict:
        from ..audio import resample

        ref, key = loaded or self._reference(path)
        return self.cache.get("speaker", key, lambda: self.model.speaker_conditioning(
            resample(ref.samples, ref.sample_rate, 16000), resample(ref.samples, ref.sample_rate, SAMPLE_RATE)),
            self.model.device)

    def emotion_reference(self, path: Path) -> dict:
        from ..audio import resample

        ref, key = self._reference(path)
        return self.cache.get("emotion", key, lambda: self.model.emotion_conditioning(
            resample(ref.samples, ref.sample_rate, 16000)), self.model.device)

    # ---- synthesis ------------------------------------------------------------------
    def synthesize(self, text: str, voice: Voice, controls: SynthesisControls,
                   target_seconds: Fraction | DurationTarget | None = None) -> Synthesis:
        import torch

        if isinstance(target_seconds, DurationTarget):
            # Interim (helper 15): fitting passes the contract's target; until this engine
            # reports its speech span it is aimed at the whole take and fitting detects
            # the edges. Helper 11e replaces this with the engine's own alignment.
            target_seconds = target_seconds.speech_seconds

        if voice.reference is None:
            raise VoiceError(f"voice {voice.name!r} has no reference audio; IndexTTS2 clones from a clip")
        with self._lock:
            try:
                return self._synthesize(text, voice, controls, target_seconds)
            except torch.OutOfMemoryError as e:
                raise out_of_memory(voice, text, e) from e

    def _synthesize(self, text: str, voice: Voice, controls: SynthesisControls,
                    target_seconds: Fraction | None) -> Synthesis:
        plan = plan_emotion(controls.emotion, self.model.qwen is not None)
        line = self._semantic(text, voice, controls, plan)
        natural = line.natural_frames
        warnings = list(self.notes) + list(plan.warnings) + line.warnings
        frames, method = natural, "natural"
        if target_seconds is not None:
            wanted = max(1, round(Fraction(target_seconds) * SAMPLE_RATE / HOP))
            factor = wanted / natural
            bounded = min(max(factor, self.options.min_factor), self.options.max_factor)
            if bounded != factor:
                warnings.append(f"target needs factor {factor:.2f}, outside IndexTTS2's safe range "
                                f"{self.options.min_factor}-{self.options.max_factor}; rendered at {bounded:.2f}")
                wanted = max(1, round(natural * bounded))
            frames, method = wanted, "native"
        audio = self._render(line, frames, controls.seed)
        return Synthesis(audio=audio, sample_rate=SAMPLE_RATE, natural_seconds=natural * HOP / SAMPLE_RATE,
                         method=method, target_seconds=target_seconds, warnings=warnings)

    def _semantic(self, text: str, voice: Voice, controls: SynthesisControls, plan: EmotionPlan) -> _Line:
        loaded = self._reference(Path(voice.reference))
        key = (text, loaded[1], controls.seed, plan)
        if key in self._lines:
            self._lines.move_to_end(key)
            return self._lines[key]
        seed_everything(controls.seed)
        speaker = self.speaker(Path(voice.reference), loaded)
        spk_cond = speaker["spk_cond"]
        emo_cond, alpha, vector, warnings = spk_cond, 1.0, None, []
        weights = plan.vector
        if plan.mode == "text":
            weights = self.model.describe_emotion(plan.description)
        if weights is not None:
            weights = scale_by_alpha(weights, plan.alpha)
            vector = self.model.emotion_vector(weights, speaker["style"])
        elif plan.mode == "reference":
            emo_cond, alpha = self.emotion_reference(plan.reference)["emo_cond"], plan.alpha
        emovec = self.model.merged_emovec(spk_cond, emo_cond, alpha, vector)
        segments = self.model.text_segments(text, self.options.max_text_tokens_per_segment)
        if not segments:
            raise EngineError(f"IndexTTS2 got no speakable text in {text!r}")
        tokens = [self.model.semantic_tokens(ids, spk_cond, emo_cond, emovec, self.options.sampling())
                  for ids in segments]
        if any(t.hit_limit for t in tokens):
            warnings.append(f"generation hit max_mel_tokens ({self.options.max_mel_tokens}) before the end "
                            "of the text; the line may be cut short")
        line = _Line(tokens, speaker, warnings)
        self._lines[key] = line
        while len(self._lines) > 8:
            self._lines.popitem(last=False)
        return line

    def _render(self, line: _Line, frames: int, seed: int) -> np.ndarray:
        seed_everything(seed + 1)  # the CFM's noise: same seed, same take at every length
        seg_frames, gaps = allocate_frames([t.natural_frames for t in line.tokens], SEGMENT_GAP_FRAMES, frames)
        parts: list[np.ndarray] = []
        for i, (tok, n) in enumerate(zip(line.tokens, seg_frames)):
            wav = self.model.render(tok, n, line.speaker, self.options.diffusion_steps, self.options.cfg_rate)
            parts.append(wav[: n * HOP] if len(wav) >= n * HOP else np.pad(wav, (0, n * HOP - len(wav))))
            if i < len(gaps):
                parts.append(np.zeros(gaps[i] * HOP, dtype=np.float32))
        return np.concatenate(parts).astype(np.float32)


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def out_of_memory(voice: Voice, text: str, error: Exception) -> EngineError:
    """A GPU OOM on one line: free what can be freed and fail that line only."""
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return EngineError(
        f"GPU out of memory synthesizing {text[:40]!r} with voice {voice.name!r}: use --fp16, a shorter "
        f"reference clip (5-15 s), split the line, or free GPU memory ({error})"
    )
