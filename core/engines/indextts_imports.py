"""Imports of the indextts package's model classes, without torchaudio and without a hub.

Dubline composes IndexTTS2 from the package's real model classes and never imports
``indextts.infer_v2`` (it downloads from a hub and needs torchaudio). One package module,
the MaskGCT codec's ``kmeans/vocos.py``, imports two mel-scale helpers from torchaudio at
module level that the semantic codec never calls; where torchaudio is not installed they
are provided for the duration of that one import only.
"""
from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import math
import os
import sys
import types
from contextlib import contextmanager


def set_offline() -> None:
    """Forbid hub downloads for everything loaded in this process from here on."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ[name] = "1"


def require_indextts():
    """The ``indextts`` package, importable even where torchaudio is missing.

    Its ``__init__`` imports ``infer_v2`` (torchaudio, hub downloads), which Dubline never
    uses; without torchaudio the package is registered without running that ``__init__``
    so its model modules import normally.
    """
    if "indextts" in sys.modules:
        return sys.modules["indextts"]
    spec = importlib.util.find_spec("indextts")
    if spec is None:
        raise ImportError(
            "the indextts2 engine requires the indextts2-inference package with torch: "
            "pip install 'dubline[gpu]'"
        )
    if importlib.util.find_spec("torchaudio") is not None:
        return importlib.import_module("indextts")
    module = importlib.util.module_from_spec(spec)
    sys.modules["indextts"] = module
    return module


def _hz_to_mel(freq: float, mel_scale: str = "htk") -> float:
    if mel_scale == "htk":
        return 2595.0 * math.log10(1.0 + freq / 700.0)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    mels = freq / f_sp
    if freq >= min_log_hz:
        mels = min_log_hz / f_sp + math.log(freq / min_log_hz) / (math.log(6.4) / 27.0)
    return mels


def _mel_to_hz(mels, mel_scale: str = "htk"):
    if mel_scale == "htk":
        return 700.0 * (10.0 ** (mels / 2595.0) - 1.0)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel = min_log_hz / f_sp
    freqs = f_sp * mels
    log_t = mels >= min_log_mel
    freqs[log_t] = min_log_hz * (6.4 ** ((mels[log_t] - min_log_mel) / 27.0))
    return freqs


@contextmanager
def _torchaudio_helpers():
    try:
        import torchaudio.functional.functional  # noqa: F401

        yield
        return
    except (ImportError, OSError):
        pass
    names = ("torchaudio", "torchaudio.functional", "torchaudio.functional.functional")
    saved = {n: sys.modules.get(n) for n in names}
    mods = {}
    for n in names:
        mods[n] = types.ModuleType(n)
        mods[n].__spec__ = importlib.machinery.ModuleSpec(n, None)
    mods["torchaudio.functional.functional"]._hz_to_mel = _hz_to_mel
    mods["torchaudio.functional.functional"]._mel_to_hz = _mel_to_hz
    mods["torchaudio"].functional = mods["torchaudio.functional"]
    mods["torchaudio.functional"].functional = mods["torchaudio.functional.functional"]
    sys.modules.update(mods)
    try:
        yield
    finally:
        for n, old in saved.items():
            if old is None:
                sys.modules.pop(n, None)
            else:
                sys.modules[n] = old


def repcodec_class():
    require_indextts()
    with _torchaudio_helpers():
        module = importlib.import_module("indextts.utils.maskgct.models.codec.kmeans.repcodec_model")
    return module.RepCodec
