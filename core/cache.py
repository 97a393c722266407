"""On-disk cache of fitted lines, keyed by everything that determines one.

A fitted line depends on the engine and its model version, the voice (with a hash of its
reference audio's content), the text, the controls (seed, emotion) and the slot (sample
count, sample rate, fit policy, and the free gap when the policy may borrow from it). A
line that only moved finds its audio; a re-timed line misses and is synthesized natively
at its new length, exactly as a cold run would make it; so a warm cache, a cold one and no
cache give the same samples. Raw takes are not kept: with one synthesis per line there is
nothing to refit from that would sound the same as the engine's own timing.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
from dataclasses import asdict, dataclass, is_dataclass
from fractions import Fraction
from typing import Any
from pathlib import Path

import numpy as np

from .engines.base import Engine, SynthesisControls, Voice
from .errors import OutputError
from .files import atomic_path, file_sha256
from .fit import FitPolicy, FitResult, FitTask, fit_line
from .paths import cache_dir

log = logging.getLogger(__name__)

CACHE_VERSION = 2  # 2: fitted lines only, one native synthesis each


def default_audio_cache() -> Path:
    return cache_dir() / "audio"


_file_hashes: dict[tuple[str, int, int], str] = {}


def content_hash(path: Path) -> str:
    """``files.file_sha256``, memoised by (path, size, mtime): keys hash references often."""
    st = Path(path).stat()
    memo = (str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
    if memo not in _file_hashes:
        _file_hashes[memo] = file_sha256(path)
    return _file_hashes[memo]


def _canonical(value: Any) -> Any:
    """JSON-able form of keys: paths become content hashes, Fractions exact strings."""
    if isinstance(value, Path):
        return {"sha256": content_hash(value)} if value.is_file() else {"path": str(value)}
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _canonical(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple, frozenset, set)):
        items = [_canonical(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    return value


def digest(obj: Any) -> str:
    text = json.dumps(_canonical(obj), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def line_key(engine: Engine, voice: Voice, text: str, controls: SynthesisControls, target_samples: int,
             sample_rate: int, policy: FitPolicy, gap_samples: int) -> str:
    """What determines a fitted line."""
    # The free gap after a line matters only when the policy may borrow from it; leaving it
    # out otherwise lets a line that moved (and so has a new gap) reuse its audio.
    gap = min(gap_samples, 10**9) if policy.borrow_gap else None
    # The engine's duration control includes its pacing table: a new table refits.
    return digest({"v": CACHE_VERSION, "engine": engine.name, "model": engine.model_version,
                   "duration": engine.capabilities.duration, "voice": voice, "text": text, "controls": controls, "samples": target_samples,
                   "rate": sample_rate, "policy": policy, "gap": gap})


class AudioCache:
    """Files under ``root``: fit/<key[:2]>/<key>.npz, written atomically."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    # -- fitted audio ---------------------------------------------------------------------

    def get_fitted(self, key: str) -> FitResult | None:
        loaded = self._load(self.root / "fit" / key[:2] / f"{key}.npz")
        if loaded is None:
            return None
        audio, meta = loaded
        return FitResult(audio=audio, natural_seconds=float(meta["natural_seconds"]),
                         target_seconds=float(meta["target_seconds"]), factor=float(meta["factor"]),
                         method=meta["method"], warnings=list(meta.get("warnings", [])),
                         borrowed_samples=int(meta.get("borrowed_samples", 0)), flag=meta.get("flag"))

    def has_fitted(self, key: str) -> bool:
        return (self.root / "fit" / key[:2] / f"{key}.npz").is_file()

    def put_fitted(self, key: str, fit: FitResult) -> None:
        meta = {"natural_seconds": fit.natural_seconds, "target_seconds": fit.target_seconds,
                "factor": fit.factor, "method": fit.method, "warnings": list(fit.warnings),
                "borrowed_samples": fit.borrowed_samples, "flag": fit.flag}
        self._save(self.root / "fit" / key[:2] / f"{key}.npz", fit.audio, meta)

    # -- files ----------------------------------------------------------------------------

    def _save(self, path: Path, audio: np.ndarray, meta: dict[str, Any]) -> None:
        buf = io.BytesIO()
        np.savez(buf, audio=np.asarray(audio, dtype=np.float32), meta=np.array(json.dumps(meta)))
        try:
            with atomic_path(path) as tmp:
                tmp.write_bytes(buf.getvalue())
        except OSError as e:
            raise OutputError(f"cache {self.root}: cannot write {path.name}: {e}") from e

    @staticmethod
    def _load(path: Path) -> tuple[np.ndarray, dict[str, Any]] | None:
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                return z["audio"], json.loads(str(z["meta"]))
        except (OSError, ValueError, KeyError) as e:
            log.warning("ignoring unreadable cache entry %s: %s", path, e)
            return None


@dataclass
class CacheStats:
    model_calls: int = 0  # lines synthesized (one engine call each)
    fitted_hits: int = 0  # lines whose fitted audio was reused whole

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


class DubCache:
    """The cache as a dub uses it: a line's fitted audio, else one synthesis and a fit."""

    def __init__(self, root: str | Path | None = None):
        self.audio = AudioCache(root if root is not None else default_audio_cache())
        self.model_calls = 0
        self.fitted_hits = 0
        self._lock = threading.Lock()

    @property
    def stats(self) -> CacheStats:
        return CacheStats(self.model_calls, self.fitted_hits)

    def fit(self, engine: Engine, voice: Voice, text: str, controls: SynthesisControls,
            target_samples: int, sample_rate: int, policy: FitPolicy, gap_samples: int) -> FitResult:
        key = line_key(engine, voice, text, controls, target_samples, sample_rate, policy, gap_samples)
        hit = self._hit(key, target_samples)
        if hit is not None:
            return hit
        fitted = fit_line(engine, voice, text, controls, target_samples, sample_rate, policy, gap_samples)
        self._keep(key, fitted)
        return fitted

    # -- the cluster's side: the coordinator asks and stores, workers only fit ---------------

    def lookup(self, inner: Engine, task: FitTask) -> FitResult | None:
        """The fitted audio a local run would reuse for ``task``, or None."""
        return self._hit(self._task_key(inner, task), task.target_samples)

    def holds(self, inner: Engine, task: FitTask) -> bool:
        """Whether fitted audio for ``task`` is stored (no hit counted, nothing read)."""
        return self.audio.has_fitted(self._task_key(inner, task))

    def store(self, inner: Engine, task: FitTask, fitted: FitResult) -> None:
        """Keep a line fitted elsewhere (a cluster worker) as a local fit would be kept."""
        self._keep(self._task_key(inner, task), fitted)

    @staticmethod
    def _task_key(inner: Engine, task: FitTask) -> str:
        return line_key(inner, task.voice, task.text, task.controls, task.target_samples, task.sample_rate,
                        task.policy, task.gap_samples)

    def _hit(self, key: str, target_samples: int) -> FitResult | None:
        hit = self.audio.get_fitted(key)
        if hit is None or len(hit.audio) < target_samples:
            return None
        with self._lock:
            self.fitted_hits += 1
        return hit

    def _keep(self, key: str, fitted: FitResult) -> None:
        """Store a line that was synthesized now (here or on a worker): one model call."""
        with self._lock:
            self.model_calls += 1
        self.audio.put_fitted(key, fitted)
