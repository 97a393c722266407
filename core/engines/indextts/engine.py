"""IndexTTS2 engine: zero-shot cloning from a reference clip, emotion control, exact duration.

Duration: the released model has no duration input. The GPT stage generates semantic tokens
freely; their count is the natural length (frames = tokens x 1.72). The second stage
(length regulator + CFM) is then told the frame count of the target, so the model itself
speaks the line at that length, one frame = 256 samples at 22.05 kHz (11.6 ms), and a line
is rendered once, at its target. The factor target/natural is kept inside the engine's and
the caller's range; past that the take is rendered at the bound and the common fitting
policy (stretch, flag) does the rest.
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import DublineError, EngineError, VoiceError
from ...reference import ReferenceAudio, load_reference
from ..base import Capabilities, DurationControl, DurationTarget, Synthesis, SynthesisControls, SynthesisRequest, Voice
from .conditioning import ConditioningCache, audio_key
from . import semantic
from .emotion import EmotionDefaults, EmotionPlan, plan_emotion, scale_by_alpha
from .layout import IndexTTSLayout, resolve_layout
from .model import IndexTTS2Model, SemanticTokens, Tokenized
from .options import IndexTTS2Options, second_stage_batch
from .tokenizer import refuse_unspeakable
from .timing import (HOP, SAMPLE_RATE, SEGMENT_GAP_FRAMES, allocate_frames, bounded_frames, frames_to_seconds,
                     line_frames, seconds_to_frames)

log = logging.getLogger(__name__)

ENGINE_NAME = "indextts2"
LINE_CACHE = 64  # lines whose semantic tokens stay on the device (a re-timed line skips the GPT)
RENDERED_AHEAD = 64  # lines rendered by prepare() kept until synthesize asks for them


def resolve_device(requested: str, fp16: bool | None) -> tuple[str, bool, list[str]]:
    """The device to use, whether FP16 is on, and warnings for what was changed.

    FP16 defaults to on for CUDA (the product's speed) and off on the CPU, where half
    precision is slower or unsupported; asking for it on the CPU is a warning.
    """
    import torch

    notes: list[str] = []
    device = requested
    if requested.startswith("cuda") and not torch.cuda.is_available():
        notes.append("CUDA requested but not available; IndexTTS2 runs on the CPU (much slower than real time)")
        device = "cpu"
    on_cuda = device.startswith("cuda")
    if fp16 is None:
        return device, on_cuda, notes
    if fp16 and not on_cuda:
        notes.append("FP16 is GPU-only; running in FP32 on the CPU")
        return device, False, notes
    return device, fp16, notes


def model_class(layout: IndexTTSLayout) -> type[IndexTTS2Model]:
    """The model class for the version config.yaml names (2.5 is a sibling with its own networks)."""
    from .model25 import IndexTTS25Model

    classes: dict[str, type[IndexTTS2Model]] = {"2.0": IndexTTS2Model, "2.5": IndexTTS25Model}
    if layout.version not in classes:
        raise EngineError(f"{layout.config}: no IndexTTS model for version {layout.version!r} "
                          f"(supported: {', '.join(classes)})")
    return classes[layout.version]


@dataclass
class _Line:
    """Semantic tokens of one line: the natural length, and all the second stage needs."""

    tokens: list[SemanticTokens]
    speaker: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    key: tuple[Any, ...] = ()  # the engine's key of the line: text, voice, seed, emotion plan

    @property
    def natural_frames(self) -> int:
        return line_frames([t.natural_frames for t in self.tokens])


def out_of_memory_types() -> tuple[type[BaseException], ...]:
    """The CUDA out-of-memory exception on every supported torch (2.4 has only the cuda name)."""
    import torch

    names = (getattr(torch.cuda, "OutOfMemoryError", None), getattr(torch, "OutOfMemoryError", None))
    return tuple({t for t in names if isinstance(t, type)})


class IndexTTS2Engine:
    """The ``Engine`` for IndexTTS2 checkpoints; load with ``IndexTTS2Engine.load(options)``."""

    name = ENGINE_NAME

    def __init__(self, model: IndexTTS2Model, options: IndexTTS2Options, notes: list[str]):
        self.model = model
        if options.s2_batch is None:
            options = replace(options, s2_batch=second_stage_batch(model.device))
        self.options = options
        self.notes = notes + list(model.notes)  # load-time warnings, repeated on each line
        fingerprint = model.layout.fingerprint()
        self.model_version = model.layout.model_version()  # the coordinator's TextChecker has it too
        self.cache = ConditioningCache(options.cache_dir, f"indextts2-{fingerprint}")
        self.semantic_cache = ConditioningCache(options.cache_dir, f"indextts2-{fingerprint}")  # GPT tokens
        self.emotion_defaults = EmotionDefaults(options.default_intensity, options.text_intensity,
                                                options.emotion_from_text)
        has_text = model.text_emotion is not None
        modes = {"reference", "vector", "preset"} | ({"text"} if has_text else set())
        self.capabilities = Capabilities(
            languages=("zh", "en"),
            duration=DurationControl(native=True, min_factor=options.min_factor, max_factor=options.max_factor,
                                     resolution_seconds=HOP / SAMPLE_RATE),
            cloning=True,
            emotion_modes=frozenset(modes),
            device=model.device,
        )
        self._lock = threading.Lock()  # one line at a time per device
        self._lines: OrderedDict[tuple[Any, ...], _Line] = OrderedDict()
        # Audio prepare() rendered, by (line key, frames); taken by the synthesize that asks for it
        self._rendered: OrderedDict[tuple[Any, ...], np.ndarray] = OrderedDict()
        self._tokenized: OrderedDict[str, Tokenized] = OrderedDict()
        self._text_lock = threading.Lock()

    @classmethod
    def load(cls, options: IndexTTS2Options) -> IndexTTS2Engine:
        """Check the checkpoint layout, pick the device, load the model."""
        layout: IndexTTSLayout = resolve_layout(options.model_dir)
        device, fp16, notes = resolve_device(options.device, options.fp16)
        for note in notes:
            log.warning("%s", note)
        model = model_class(layout)(layout, device, fp16, options.language, cuda_kernel=options.bigvgan_cuda_kernel,
                               compile=options.torch_compile)
        return cls(model, options, notes)

    def forget_lines(self) -> None:
        """Forget every line's GPT tokens (memory and disk), so the next take runs the GPT."""
        self._lines.clear()
        self.semantic_cache.forget("semantic")

    def voices(self) -> list[Voice]:
        return []  # every IndexTTS2 voice is a user's reference clip

    # ---- text ------------------------------------------------------------------------
    def tokenize(self, text: str) -> Tokenized:
        with self._text_lock:
            hit = self._tokenized.get(text)
            if hit is not None:
                return hit
        tokenized = self.model.tokenize(text, self.options.max_text_tokens_per_segment)
        with self._text_lock:
            self._tokenized[text] = tokenized
            while len(self._tokenized) > 4096:
                self._tokenized.popitem(last=False)
        return tokenized

    def check(self, text: str) -> None:
        """Refuse a line with nothing IndexTTS2 can say; unknown pieces are a warning later."""
        refuse_unspeakable(text, self.tokenize(text))

    def _text_warnings(self, tokenized: Tokenized) -> list[str]:
        if not tokenized.unknown:
            return []
        shown = ", ".join(repr(p) for p in dict.fromkeys(tokenized.unknown))
        return [f"IndexTTS2 does not know {len(tokenized.unknown)} piece(s) of this line ({shown}); "
                "they are skipped or mispronounced"]

    def prepare(self, requests: Sequence[SynthesisRequest]) -> None:
        """Run the GPT ahead for these lines, up to ``gpt_batch`` rows of one voice at once,
        then their second stage, up to ``s2_batch`` segments of one voice at once.

        The tokens go to the semantic cache, where ``synthesize`` finds them: the same tokens
        it would make itself (see gpt_batch.py). The audio waits in a small map until
        ``synthesize`` asks for that line at that frame count (second_stage.py says how close
        a batched row is to the lone render; ``s2_batch`` 1 never batches). A line that cannot
        be prepared is left to ``synthesize``, which reports it; so is every line of a batch
        that fails.
        """
        with self._lock:
            jobs = [job for job in map(self._job_ahead, requests) if job is not None]
            for voice_jobs in semantic.by_voice(jobs):
                self._generate_ahead(voice_jobs)
            if (self.options.s2_batch or 1) > 1 and self.model.batches_second_stage():
                self._render_ahead([(r, line) for r in requests if (line := self._line_ahead(r)) is not None])

    def _job_ahead(self, request: SynthesisRequest) -> semantic.LineJob | None:
        """The job of a line whose tokens are neither in memory nor on disk yet, else None."""
        try:
            found = self._request_key(request)
            job = None if found is None or found[0] in self._lines else self._job(*found)
        except DublineError:
            return None
        return None if job is None or self.semantic_cache.contains("semantic", job.gpt_key) else job

    def _request_key(self, request: SynthesisRequest
                     ) -> tuple[tuple[Any, ...], Path, tuple[ReferenceAudio, str], EmotionPlan] | None:
        """The line's key (as ``_semantic`` makes it), reference, loaded audio and emotion plan;
        None for a voice without a reference."""
        if request.voice.reference is None:
            return None
        reference = Path(request.voice.reference)
        plan = plan_emotion(request.controls.emotion, self.model.text_emotion is not None, request.text,
                            self.emotion_defaults)
        loaded = self._reference(reference)
        return (request.text, loaded[1], request.controls.seed, plan), reference, loaded, plan

    def _generate_ahead(self, jobs: list[semantic.LineJob]) -> None:
        failed: BaseException | None = None
        try:
            made = semantic.generate(self.model, jobs, self.options.sampling(), self.options.gpt_batch)
        except DublineError as e:
            failed = e
        except out_of_memory_types() as e:
            failed = e
        if failed is not None:  # out of the handler: the tensors its frames held can be freed
            free_device_memory()
            log.info("IndexTTS2 could not prepare %d lines ahead (%s); they run one by one", len(jobs), failed)
            return
        for job, tokens in zip(jobs, made):
            self._keep(job, self.semantic_cache.get("semantic", job.gpt_key, _given(pack_tokens(tokens)),
                                                    self.model.device))

    def _line_ahead(self, request: SynthesisRequest) -> _Line | None:
        """The line's tokens if they are known (memory or disk), else None: never runs the GPT."""
        try:
            found = self._request_key(request)
            if found is None:
                return None
            if found[0] in self._lines:
                return self._lines[found[0]]
            job = self._job(*found)
            if not self.semantic_cache.contains("semantic", job.gpt_key):
                return None
            return self._keep(job, self.semantic_cache.get("semantic", job.gpt_key, _given_none, self.model.device))
        except DublineError:
            return None

    def _render_ahead(self, lines: list[tuple[SynthesisRequest, _Line]]) -> None:
        """Render these lines at the frames ``synthesize`` will ask for, ``s2_batch`` segments
        of one voice at a time."""
        plans: dict[tuple[Any, ...], tuple[_Line, int, int]] = {}
        for request, line in lines:
            frames = self._rendered_frames(line.natural_frames, request.target)[0]
            if (line.key, frames) not in self._rendered:
                plans[(line.key, frames)] = (line, frames, request.controls.seed)
        voices: dict[str, list[tuple[tuple[Any, ...], _Line, int, int]]] = {}
        for key, (line, frames, seed) in plans.items():
            voices.setdefault(line.key[1], []).append((key, line, frames, seed))
        for voice_lines in voices.values():
            for chunk in _chunks(voice_lines, RENDERED_AHEAD):
                self._render_lines(chunk)

    def _render_lines(self, lines: list[tuple[tuple[Any, ...], _Line, int, int]]) -> None:
        """Every segment of these lines (one voice), ``s2_batch`` rows of similar length at once."""
        rows: list[tuple[int, int, Any, int, Any]] = []  # line index, segment index, tokens, frames, noise
        layouts = []
        for li, (_, line, frames, seed) in enumerate(lines):
            seg_frames, gaps = allocate_frames([t.natural_frames for t in line.tokens], SEGMENT_GAP_FRAMES, frames)
            layouts.append((seg_frames, gaps))
            noises = self.model.cfm_noise(seed + 1, seg_frames, line.speaker)
            rows += [(li, si, tok, n, z) for si, (tok, n, z) in enumerate(zip(line.tokens, seg_frames, noises))]
        rows.sort(key=lambda r: r[3])  # similar lengths together: less padding
        wavs: dict[tuple[int, int], np.ndarray] = {}
        failed: BaseException | None = None
        try:
            for batch in _chunks(rows, self.options.s2_batch or 1):
                made = self.model.render_rows([(tok, n, z) for _, _, tok, n, z in batch], lines[batch[0][0]][1].speaker,
                                              self.options.diffusion_steps, self.options.cfg_rate)
                wavs.update({(li, si): wav for (li, si, _, _, _), wav in zip(batch, made)})
        except out_of_memory_types() as e:
            failed = e
        if failed is not None:  # out of the handler: the tensors its frames held can be freed
            free_device_memory()
            log.info("IndexTTS2 could not render %d lines ahead (%s); they render one by one", len(lines), failed)
            return
        for li, (key, line, _, _) in enumerate(lines):
            seg_frames, gaps = layouts[li]
            self._rendered[key] = _join([wavs[(li, si)] for si in range(len(seg_frames))], seg_frames, gaps)
            while len(self._rendered) > RENDERED_AHEAD:
                self._rendered.popitem(last=False)

    # ---- conditioning, cached by content -----------------------------------------
    def _reference(self, path: Path) -> tuple[ReferenceAudio, str]:
        ref = load_reference(path)
        return ref, audio_key(ref.samples, ref.sample_rate)

    def speaker(self, path: Path, loaded: tuple[ReferenceAudio, str] | None = None) -> dict[str, Any]:
        from ...audio import resample

        ref, key = loaded or self._reference(path)
        return self.cache.get("speaker", key, lambda: self.model.speaker_conditioning(
            resample(ref.samples, ref.sample_rate, 16000), resample(ref.samples, ref.sample_rate, SAMPLE_RATE)),
            self.model.device)

    def emotion_reference(self, path: Path) -> dict[str, Any]:
        from ...audio import resample

        ref, key = self._reference(path)
        return self.cache.get("emotion", key, lambda: self.model.emotion_conditioning(
            resample(ref.samples, ref.sample_rate, 16000)), self.model.device)

    # ---- synthesis ------------------------------------------------------------------
    def synthesize(self, text: str, voice: Voice, controls: SynthesisControls,
                   target: DurationTarget | None = None) -> Synthesis:
        if voice.reference is None:
            raise VoiceError(f"voice {voice.name!r} has no reference audio; IndexTTS2 clones from a clip")
        oom = out_of_memory_types()
        failed: BaseException | None = None
        with self._lock:
            try:
                return self._synthesize(text, voice, controls, target)
            except oom as e:
                failed = e
        # Out of the handler: the traceback's frames (and the tensors they hold) are gone.
        raise out_of_memory(voice, text, failed)

    def _synthesize(self, text: str, voice: Voice, controls: SynthesisControls,
                    target: DurationTarget | None) -> Synthesis:
        assert voice.reference is not None
        plan = plan_emotion(controls.emotion, self.model.text_emotion is not None, text, self.emotion_defaults)
        line = self._semantic(text, Path(voice.reference), controls, plan)
        natural = line.natural_frames
        frames, method, notes = self._rendered_frames(natural, target)
        warnings = list(self.notes) + list(plan.warnings) + line.warnings + notes
        audio = self._render(line, frames, controls.seed)
        return Synthesis(audio=audio, sample_rate=SAMPLE_RATE, natural_seconds=frames_to_seconds(natural),
                         method=method, target_seconds=None if target is None else target.speech_seconds,
                         warnings=warnings, speech=(0, len(audio)), factor=frames / natural)

    def _rendered_frames(self, natural: int, target: DurationTarget | None) -> tuple[int, str, list[str]]:
        """The frames a line of ``natural`` frames is rendered at for ``target``, the method, and
        a warning when the target is out of range. ``prepare`` renders ahead at the same count."""
        if target is None:
            return natural, "natural", []
        lo = max(self.options.min_factor, target.min_factor)
        hi = max(lo, min(self.options.max_factor, target.max_factor))
        wanted = seconds_to_frames(target.speech_seconds)
        if target.leaves_natural(wanted / natural):  # fitting stretches the natural take
            return natural, "native", []
        frames = bounded_frames(natural, wanted, lo, hi)
        if frames == wanted:
            return frames, "native", []
        return frames, "native", [f"target needs factor {wanted / natural:.2f}, outside IndexTTS2's safe range "
                                  f"{lo:g}-{hi:g}; rendered at {frames / natural:.2f}"]

    def _emotion_weights(self, plan: EmotionPlan) -> tuple[tuple[float, ...] | None, list[str]]:
        """The vector for a vector or text plan; a failed text model falls back to the voice."""
        if plan.mode != "text":
            return plan.vector, []
        assert self.model.text_emotion is not None and plan.description is not None
        weights, why = self.model.text_emotion.weights(plan.description)
        if weights is None:
            return None, [f"{why}; the voice's own emotion is used"]
        return weights, []

    def _semantic(self, text: str, reference: Path, controls: SynthesisControls, plan: EmotionPlan) -> _Line:
        loaded = self._reference(reference)
        key = (text, loaded[1], controls.seed, plan)
        if key in self._lines:
            self._lines.move_to_end(key)
            return self._lines[key]
        job = self._job(key, reference, loaded, plan)

        def generate() -> dict[str, Any]:
            made = semantic.generate(self.model, [job], self.options.sampling(), self.options.gpt_batch)
            return pack_tokens(made[0])

        # On disk too (with a cache directory): a re-timed line in a later run, or a conform
        # pass, renders only the second stage, and exactly as a cold run at that length would.
        return self._keep(job, self.semantic_cache.get("semantic", job.gpt_key, generate, self.model.device))

    def _job(self, key: tuple[Any, ...], reference: Path, loaded: tuple[ReferenceAudio, str],
             plan: EmotionPlan) -> semantic.LineJob:
        text, seed = key[0], key[2]
        tokenized = self.tokenize(text)
        if not tokenized.speakable:
            raise EngineError(f"IndexTTS2 finds nothing to say in {text!r}")
        speaker = self.speaker(reference, loaded)
        emo_cond, alpha, vector = speaker["spk_cond"], 1.0, None
        weights, warnings = self._emotion_weights(plan)
        warnings = self._text_warnings(tokenized) + warnings
        if weights is not None:
            vector = self.model.emotion_vector(scale_by_alpha(weights, plan.alpha), speaker["style"])
        elif plan.mode == "reference" and plan.reference is not None:
            emo_cond, alpha = self.emotion_reference(plan.reference)["emo_cond"], plan.alpha
        job = semantic.LineJob(key, loaded[1], tokenized.segments, speaker, emo_cond, alpha, vector, seed, warnings)
        job.gpt_key = semantic.cache_key(job, self.options.sampling(), self.options.max_text_tokens_per_segment)
        return job

    def _keep(self, job: semantic.LineJob, packed: dict[str, Any]) -> _Line:
        tokens = unpack_tokens(packed)
        warnings = list(job.warnings)
        if any(t.hit_limit for t in tokens):
            warnings.append(f"generation hit max_mel_tokens ({self.options.max_mel_tokens}) before the end "
                            "of the text; the line may be cut short")
        line = _Line(tokens, job.speaker, warnings, job.key)
        self._lines[job.key] = line
        while len(self._lines) > LINE_CACHE:
            self._lines.popitem(last=False)
        return line

    def _render(self, line: _Line, frames: int, seed: int) -> np.ndarray:
        """The line at ``frames`` frames: rendered ahead by ``prepare``, or now, segment by segment."""
        ahead = self._rendered.pop((line.key, frames), None)
        if ahead is not None:
            return ahead
        seg_frames, gaps = allocate_frames([t.natural_frames for t in line.tokens], SEGMENT_GAP_FRAMES, frames)
        # The CFM's noise: one stream per line (seed + 1), so same seed, same take at every length.
        noises = self.model.cfm_noise(seed + 1, seg_frames, line.speaker)
        wavs = [self.model.render(tok, n, line.speaker, self.options.diffusion_steps, self.options.cfg_rate, z)
                for tok, n, z in zip(line.tokens, seg_frames, noises)]
        return _join(wavs, seg_frames, gaps)


def _join(wavs: list[np.ndarray], seg_frames: list[int], gaps: list[int]) -> np.ndarray:
    """A line's segments, each cut or padded to its frames, with the silent gaps between."""
    parts: list[np.ndarray] = []
    for i, (wav, n) in enumerate(zip(wavs, seg_frames)):
        parts.append(wav[: n * HOP] if len(wav) >= n * HOP else np.pad(wav, (0, n * HOP - len(wav))))
        if i < len(gaps):
            parts.append(np.zeros(gaps[i] * HOP, dtype=np.float32))
    return np.concatenate(parts).astype(np.float32)


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[k:k + size] for k in range(0, len(items), max(1, size))]


def _given_none() -> dict[str, Any]:
    raise EngineError("semantic tokens left the cache between contains() and get()")


def _given(value: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    return lambda: value


def pack_tokens(tokens: list[SemanticTokens]) -> dict[str, Any]:
    """A line's GPT output as tensors only (what the conditioning cache stores on disk)."""
    import torch

    packed: dict[str, Any] = {"meta": torch.tensor([[t.natural_frames, int(t.hit_limit)] for t in tokens])}
    for i, t in enumerate(tokens):
        packed[f"codes{i}"], packed[f"latent{i}"] = t.codes, t.latent
    return packed


def unpack_tokens(packed: dict[str, Any]) -> list[SemanticTokens]:
    return [SemanticTokens(packed[f"codes{i}"], packed[f"latent{i}"], int(n), bool(hit))
            for i, (n, hit) in enumerate(packed["meta"].tolist())]


def free_device_memory() -> None:
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def out_of_memory(voice: Voice, text: str, error: BaseException | None) -> EngineError:
    """A GPU OOM on one line: free what can be freed and fail that line only."""
    free_device_memory()
    return EngineError(
        f"GPU out of memory synthesizing {text[:40]!r} with voice {voice.name!r}: use --fp16, a shorter "
        f"reference clip (5-15 s), split the line, or free GPU memory ({error})"
    )
