"""Imports of the indextts package's model classes, without torchaudio and without a hub.

Dubline composes IndexTTS2 from the package's real model classes and never imports
``indextts.infer_v2`` (it downloads from a hub and needs torchaudio) nor the package's
``__init__`` (which imports infer_v2). One package module, the MaskGCT codec's
``kmeans/vocos.py``, imports two mel-scale helpers from torchaudio at module level that the
semantic codec never calls; they are provided for the duration of that one import only.
"""
from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import math
import os
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ...errors import EngineError


def set_offline() -> None:
    """Forbid hub downloads for everything loaded in this process from here on."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ[name] = "1"


def require_indextts() -> types.ModuleType:
    """The ``indextts`` package, registered without running its ``__init__``.

    The package's ``__init__`` imports ``infer_v2`` (torchaudio, librosa, hub downloads),
    which Dubline never uses: a torchaudio built for another torch, or a missing librosa,
    would abort the load. So on every install the package is registered from its spec
    (``submodule_search_locations`` lets its submodules import normally) and only the
    model modules Dubline names are ever imported.
    """
    return _bare_package("indextts", "the indextts2 engine needs the indextts2-inference package and torch: "
                                     "pip install 'dubline[gpu]'")


def require_indextts25() -> types.ModuleType:
    """The ``indextts25`` package (IndexTTS-2.5), registered without its ``__init__``.

    Its ``__init__`` imports ``api`` and ``infer_v2_5`` (librosa, nemo, hub downloads); the
    2.5 model is composed from its model modules alone, as 2.0's is.
    """
    return _bare_package("indextts25", "IndexTTS-2.5 checkpoints need the indextts25-inference package "
                                       "(torch >= 2.8): pip install 'dubline[gpu]'")


def _bare_package(name: str, missing: str) -> types.ModuleType:
    existing = sys.modules.get(name)
    if existing is not None:
        return existing
    spec = importlib.util.find_spec(name)
    if spec is None or spec.submodule_search_locations is None:
        raise EngineError(missing)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    return module


def _hz_to_mel(freq: float, mel_scale: str = "htk") -> float:
    if mel_scale == "htk":
        return 2595.0 * math.log10(1.0 + freq / 700.0)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    mels = freq / f_sp
    if freq >= min_log_hz:
        mels = min_log_hz / f_sp + math.log(freq / min_log_hz) / (math.log(6.4) / 27.0)
    return mels


def _mel_to_hz(mels: Any, mel_scale: str = "htk") -> Any:
    if mel_scale == "htk":
        return 700.0 * (10.0 ** (mels / 2595.0) - 1.0)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel = min_log_hz / f_sp
    freqs = f_sp * mels
    log_t = mels >= min_log_mel
    freqs[log_t] = min_log_hz * (6.4 ** ((mels[log_t] - min_log_mel) / 27.0))
    return freqs


@contextmanager
def _torchaudio_helpers() -> Iterator[None]:
    """Stand-ins for torchaudio's two mel helpers while one package module imports.

    torchaudio itself is never imported (a build for another torch aborts at import);
    a torchaudio the user already imported is left as it is.
    """
    if "torchaudio" in sys.modules:
        yield
        return
    names = ("torchaudio", "torchaudio.functional", "torchaudio.functional.functional")
    saved = {n: sys.modules.get(n) for n in names}
    mods: dict[str, Any] = {}
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


def repcodec_class() -> Any:
    require_indextts()
    with _torchaudio_helpers():
        module = importlib.import_module("indextts.utils.maskgct.models.codec.kmeans.repcodec_model")
    return module.RepCodec
