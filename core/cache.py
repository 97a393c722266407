"""On-disk cache of synthesis and fitted audio, keyed by what determines each.

Raw synthesis is keyed by engine, model version, voice (with a hash of its reference
audio's content), text, controls (seed, emotion) and the duration target asked for; fitted
audio by that plus the slot (sample count, sample rate, fit policy, free gap). A line that
only moved finds its fitted audio; a re-timed line finds its synthesis and is re-fitted; a
line whose text, voice or emotion changed misses and is synthesized again.

``CachedEngine`` wraps any engine, serves repeats from the cache, and counts the calls
that reached the model. Asked for a new duration target of a line it synthesized in an
earlier pass, it time-stretches the cached synthesis instead of calling the model
(method "refit"): the model's own duration control would sound slightly better, but a
re-time then costs milliseconds instead of a model run.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
from dataclasses import asdict, dataclass, is_dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from .engines.base import Capabilities, Engine, Synthesis, SynthesisControls, Voice
from .errors import OutputError
from .files import atomic_path, file_sha256
from .fit import FitPolicy, FitResult, FitTask, fit_line
from .paths import cache_dir
from .stretch import stretch_to

log = logging.getLogger(__name__)

CACHE_VERSION = 1
REFIT = "refit"


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


def _canonical(value):
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


def digest(obj) -> str:
    text = json.dumps(_canonical(obj), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def synthesis_key(engine: Engine, voice: Voice, text: str, controls: SynthesisControls) -> str:
    """What determines a synthesis, apart from the duration target."""
    return digest({"v": CACHE_VERSION, "engine": engine.name, "model": engine.model_version,
                   "voice": voice, "text": text, "controls": controls})


def fit_key(synth_key: str, target_samples: int, sample_rate: int, policy: FitPolicy,
            gap_samples: int) -> str:
    # The free gap after a line matters only when the policy may borrow from it; leaving it
    # out otherwise lets a line that moved (and so has a new gap) reuse its audio.
    gap = min(gap_samples, 10**9) if policy.borrow_gap else None
    return digest({"v": CACHE_VERSION, "synthesis": synth_key, "samples": target_samples,
                   "rate": sample_rate, "policy": policy, "gap": gap})


def _target_tag(target: Fraction | None) -> str:
    return "natural" if target is None else f"{target.numerator}_{target.denominator}"




class AudioCache:
    """Files under ``root``: raw/<key>/<target>.npz and fit/<key>.npz, written atomically."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    # -- raw synthesis --------------------------------------------------------------------

    def _raw_dir(self, key: str) -> Path:
        return self.root / "raw" / key[:2] / key

    def get_synthesis(self, key: str, target: Fraction | None) -> Synthesis | None:
        return self._load_synthesis(self._raw_dir(key) / f"{_target_tag(target)}.npz")

    def put_synthesis(self, key: str, target: Fraction | None, syn: Synthesis) -> None:
        meta = {"sample_rate": syn.sample_rate, "natural_seconds": syn.natural_seconds,
                "method": syn.method, "target": _canonical(syn.target_seconds),
                "warnings": list(syn.warnings)}
        self._save(self._raw_dir(key) / f"{_target_tag(target)}.npz", syn.audio, meta)

    def nearest_synthesis(self, key: str, target: Fraction) -> Synthesis | None:
        """The cached synthesis of ``key`` to re-fit from: the natural one, else the closest."""
        folder = self._raw_dir(key)
        if not folder.is_dir():
            return None
        natural = self._load_synthesis(folder / "natural.npz")
        if natural is not None:
            return natural
        best, best_gap = None, None
        for f in folder.glob("*.npz"):
            syn = self._load_synthesis(f)
            if syn is None or syn.target_seconds is None:
                continue
            gap = abs(syn.target_seconds - target)
            if best_gap is None or gap < best_gap:
                best, best_gap = syn, gap
        return best

    def _load_synthesis(self, path: Path) -> Synthesis | None:
        loaded = self._load(path)
        if loaded is None:
            return None
        audio, meta = loaded
        target = meta.get("target")
        return Synthesis(audio=audio, sample_rate=int(meta["sample_rate"]),
                         natural_seconds=float(meta["natural_seconds"]), method=meta["method"],
                         target_seconds=Fraction(target) if target else None,
                         warnings=list(meta.get("warnings", [])))

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

    def put_fitted(self, key: str, fit: FitResult) -> None:
        meta = {"natural_seconds": fit.natural_seconds, "target_seconds": fit.target_seconds,
                "factor": fit.factor, "method": fit.method, "warnings": list(fit.warnings),
                "borrowed_samples": fit.borrowed_samples, "flag": fit.flag}
        self._save(self.root / "fit" / key[:2] / f"{key}.npz", fit.audio, meta)

    # -- files ----------------------------------------------------------------------------

    def _save(self, path: Path, audio: np.ndarray, meta: dict) -> None:
        buf = io.BytesIO()
        np.savez(buf, audio=np.asarray(audio, dtype=np.float32), meta=np.array(json.dumps(meta)))
        try:
            with atomic_path(path) as tmp:
                tmp.write_bytes(buf.getvalue())
        except OSError as e:
            raise OutputError(f"cache {self.root}: cannot write {path.name}: {e}") from e

    @staticmethod
    def _load(path: Path) -> tuple[np.ndarray, dict] | None:
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                return z["audio"], json.loads(str(z["meta"]))
        except (OSError, ValueError, KeyError) as e:
            log.warning("ignoring unreadable cache entry %s: %s", path, e)
            return None


class CachedEngine:
    """An ``Engine`` that answers from the cache when it can and counts real model calls.

    ``model_calls`` counts syntheses that reached the wrapped engine; ``refits`` those made
    by stretching an earlier pass's synthesis. Keys first synthesized in this object's life
    always go to the model, so a cold run sounds exactly as it would without a cache.
    """

    def __init__(self, inner: Engine, cache: AudioCache, refit: bool = True):
        self.inner = inner
        self.cache = cache
        self.refit = refit
        self.name: str = inner.name
        self.model_version: str = inner.model_version
        self.capabilities: Capabilities = inner.capabilities
        self.model_calls = 0
        self.refits = 0
        self.hits = 0
        self._fresh: set[str] = set()
        self._lock = threading.Lock()
        self.last_method: str | None = None

    def voices(self) -> list[Voice]:
        return self.inner.voices()

    def check(self, text: str) -> None:
        self.inner.check(text)

    def synthesize(self, text: str, voice: Voice, controls: SynthesisControls,
                   target_seconds: Fraction | None = None) -> Synthesis:
        key = synthesis_key(self.inner, voice, text, controls)
        target = Fraction(target_seconds) if target_seconds is not None else None
        hit = self.cache.get_synthesis(key, target)
        if hit is not None:
            with self._lock:
                self.hits += 1
                self.last_method = hit.method
            return hit
        if target is not None and self.refit and key not in self._fresh:
            base = self.cache.nearest_synthesis(key, target)
            if base is not None:
                syn = self._refit(base, target)
                with self._lock:
                    self.refits += 1
                    self.last_method = REFIT
                return syn
        with self._lock:
            self.model_calls += 1
            self._fresh.add(key)
        syn = self.inner.synthesize(text, voice, controls, target_seconds)
        self.cache.put_synthesis(key, target, syn)
        self.last_method = syn.method
        return syn

    @staticmethod
    def _refit(base: Synthesis, target: Fraction) -> Synthesis:
        base_len = Fraction(len(base.audio), base.sample_rate)
        # Scale what the engine made (silence included) by the ratio of the two targets, so
        # the speech inside lands where the engine's own duration control would put it.
        ref = base.target_seconds if base.target_seconds else Fraction(base.natural_seconds)
        want = base_len * target / ref if ref else target
        audio = stretch_to(base.audio, base.sample_rate, max(1, round(want * base.sample_rate)))
        return Synthesis(audio=audio, sample_rate=base.sample_rate,
                         natural_seconds=base.natural_seconds, method=REFIT,
                         target_seconds=target,
                         warnings=list(base.warnings) + [
                             f"re-fitted from cached synthesis by time-stretch "
                             f"(x{float(want / base_len):.3f}) without calling the model"])


@dataclass
class CacheStats:
    model_calls: int = 0  # syntheses that reached a model
    refits: int = 0  # syntheses made by stretching a cached one
    synthesis_hits: int = 0
    fitted_hits: int = 0  # lines whose fitted audio was reused whole

    def to_dict(self) -> dict:
        return asdict(self)


class DubCache:
    """The cache as a dub uses it: fitted audio first, else fit through a ``CachedEngine``."""

    def __init__(self, root: str | Path | None = None, refit: bool = True):
        self.audio = AudioCache(root if root is not None else default_audio_cache())
        self.refit = refit
        self._engines: dict[int, CachedEngine] = {}
        self.fitted_hits = 0

    def engine(self, inner: Engine) -> CachedEngine:
        if id(inner) not in self._engines:
            self._engines[id(inner)] = CachedEngine(inner, self.audio, self.refit)
        return self._engines[id(inner)]

    @property
    def stats(self) -> CacheStats:
        engines = self._engines.values()
        return CacheStats(sum(e.model_calls for e in engines), sum(e.refits for e in engines),
                          sum(e.hits for e in engines), self.fitted_hits)

    def fit(self, inner: Engine, voice: Voice, text: str, controls: SynthesisControls,
            target_samples: int, sample_rate: int, policy: FitPolicy, gap_samples: int) -> FitResult:
        engine = self.engine(inner)
        skey = synthesis_key(inner, voice, text, controls)
        fkey = fit_key(skey, target_samples, sample_rate, policy, gap_samples)
        hit = self.audio.get_fitted(fkey)
        if hit is not None and len(hit.audio) >= target_samples:
            self.fitted_hits += 1
            return hit
        refits = engine.refits
        fitted = fit_line(engine, voice, text, controls, target_samples, sample_rate, policy, gap_samples)
        if engine.refits > refits:
            fitted.method = fitted.method.replace("native", REFIT)
        self.audio.put_fitted(fkey, fitted)
        return fitted

    # -- the cluster's side: the coordinator asks and stores, workers only fit ---------------

    def _task_key(self, inner: Engine, task: FitTask) -> str:
        skey = synthesis_key(inner, task.voice, task.text, task.controls)
        return fit_key(skey, task.target_samples, task.sample_rate, task.policy, task.gap_samples)

    def lookup(self, inner: Engine, task: FitTask) -> FitResult | None:
        """The fitted audio a local run would reuse for ``task``, or None."""
        hit = self.audio.get_fitted(self._task_key(inner, task))
        if hit is not None and len(hit.audio) >= task.target_samples:
            self.fitted_hits += 1
            return hit
        return None

    def store(self, inner: Engine, task: FitTask, fitted: FitResult) -> None:
        """Keep a line fitted elsewhere (a cluster worker) as a local fit would be kept."""
        self.audio.put_fitted(self._task_key(inner, task), fitted)
