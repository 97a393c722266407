"""Fit measures: dub subtitle files and check every stem against its cue, independently.

Each stem's length is read from the WAV file on disk and compared with the cue's sample
range recomputed from the subtitle text by ``inputs.read_cues`` (not by the project's SRT
reader or time base), so a bug in either shows up as a non-zero error.
"""
from __future__ import annotations

import resource
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import soundfile as sf

from dubline.core.catalog import Catalog
from dubline.core.render import DubOptions, JobDone, dub
from dubline.core.srt import read_srt

from .inputs import read_cues


@dataclass(frozen=True)
class LineFit:
    set: str
    id: str
    kind: str
    voice: str
    expected_samples: int
    stem_samples: int
    error_samples: int  # |stem - expected|
    factor: float
    method: str
    flag: str | None

    @property
    def bucket(self) -> str:
        """natural/native, stretched or flagged: the three shares the table reports."""
        if self.flag:
            return "flagged"
        return "stretched" if "stretch" in self.method or "squeeze" in self.method else "native"


@dataclass(frozen=True)
class SetFit:
    set: str
    lines: list[LineFit]
    wall_seconds: float
    audio_seconds: float
    cpu_seconds: float  # user + system, all threads of this process

    def summary(self) -> dict:
        n = len(self.lines)
        share = lambda b: round(100.0 * sum(1 for x in self.lines if x.bucket == b) / n, 1)  # noqa: E731
        errors = [x.error_samples for x in self.lines]
        factors = sorted(x.factor for x in self.lines)
        return {
            "set": self.set,
            "lines": n,
            "max_abs_error_samples": max(errors),
            "mean_abs_error_samples": sum(errors) / n,
            "native_pct": share("native"),
            "stretched_pct": share("stretched"),
            "flagged_pct": share("flagged"),
            "factor_min": factors[0],
            "factor_median": factors[n // 2],
            "factor_max": factors[-1],
            "audio_seconds": self.audio_seconds,
            "wall_seconds": self.wall_seconds,
            "rtf": self.wall_seconds / self.audio_seconds,
            "cpu_rtf": self.cpu_seconds / self.audio_seconds,
        }

    def to_dict(self) -> dict:
        return {"summary": self.summary(), "lines": [asdict(x) | {"bucket": x.bucket} for x in self.lines]}


def fit_set(name: str, srt: Path, out_dir: Path, catalog: Catalog, sample_rate: int = 48000,
            kinds: dict[str, str] | None = None, limit: int | None = None) -> SetFit:
    """Dub ``srt`` (its first ``limit`` lines) into ``out_dir`` and measure every stem."""
    lines = read_srt(srt)[:limit]
    cues = read_cues(srt, kinds)
    for line in lines:  # engines load outside the timed dub: RTF is for warm work
        catalog.engine(catalog.for_line(line).engine)
    t0, cpu0 = time.perf_counter(), _cpu()
    report = next(e.report for e in dub(lines, DubOptions(out_dir, sample_rate), catalog) if isinstance(e, JobDone))
    wall, cpu = time.perf_counter() - t0, _cpu() - cpu0
    fits = []
    for r in report.lines:
        cue = cues[r.id]
        expected = cue.samples(sample_rate)
        got = sf.info(str(r.file)).frames
        fits.append(LineFit(name, r.id, cue.kind, r.voice, expected, got, abs(got - expected),
                            r.factor, r.method, r.flag))
    audio = sum(x.expected_samples for x in fits) / sample_rate
    return SetFit(name, fits, wall, audio, cpu)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
