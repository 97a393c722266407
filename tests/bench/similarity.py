"""Voice similarity with resemblyzer's GE2E speaker encoder (its weights ship in the wheel).

Cosine similarity of utterance embeddings (L2-normalised, so a dot product). A voice with
reference audio is compared with its reference; the embedded voices have none, so their
natural take stands in as the reference and the score says how much fitting moved the
voice away from itself.
"""
from __future__ import annotations

import importlib.util
import time
import warnings
from pathlib import Path

import numpy as np

from dubline.core.audio import read_wav, resample

RATE = 16000


def available() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("resemblyzer", "torch", "webrtcvad"))


class Similarity:
    def __init__(self) -> None:
        t0 = time.perf_counter()
        with warnings.catch_warnings():  # webrtcvad imports pkg_resources, which warns
            warnings.simplefilter("ignore")
            from resemblyzer import VoiceEncoder, preprocess_wav

        self._preprocess = preprocess_wav
        self._encoder = VoiceEncoder(device="cpu", verbose=False)
        self.load_seconds = time.perf_counter() - t0

    def embed(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        wav = self._preprocess(resample(audio, sample_rate, RATE))  # volume-normalised, long pauses cut
        return self._encoder.embed_utterance(wav)

    def embed_file(self, path: Path) -> np.ndarray:
        audio, sr = read_wav(path)
        return self.embed(audio, sr)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))
