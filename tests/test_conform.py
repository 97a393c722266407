"""Cache and conform with the real Piper engine: only what changed reaches the model.

One cold dub of fifty short lines is shared (copied per test); a counting wrapper around the
real engine records every synthesis that reaches it.
"""
import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from dubline.core.bwf import read_time_reference
from dubline.core.catalog import Catalog
from dubline.core.conform import compare, conform_pass
from dubline.core.engines.base import Engine
from dubline.core.lines import Line
from dubline.core.fit import FitPolicy
from dubline.core.render import DubOptions, JobDone, dub
from dubline.core.timebase import FrameRate, TimeRange
from dubline.core.timeline_info import TimelineInfo

RATE = FrameRate(25)
WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
TEXTS = [f"{a.capitalize()} {b}." for a in ("red", "blue", "green", "gray", "gold") for b in WORDS]


class Counting:
    """The real engine, with a record of the texts that reached it."""

    def __init__(self, inner: Engine):
        self.inner = inner
        self.name, self.model_version, self.capabilities = inner.name, inner.model_version, inner.capabilities
        self.texts: list[str] = []

    def voices(self):
        return self.inner.voices()

    def check(self, text):
        self.inner.check(text)

    def prepare(self, requests):
        self.inner.prepare(requests)

    def synthesize(self, text, voice, controls, target_seconds=None):
        self.texts.append(text)
        return self.inner.synthesize(text, voice, controls, target_seconds)


def fifty() -> list[Line]:
    # 0.56 s slots (each text speaks in about 0.5 s), 1.6 s apart: the lines fit natively.
    return [Line(f"L{i:02d}", TEXTS[i], TimeRange(i * 40, i * 40 + 14, RATE.fps)) for i in range(50)]


# The voice's own pacing throughout: what is reused or re-rendered is the point here, not
# where the pacing table would stretch (tests/test_fit_pacing.py).
FIT = FitPolicy(pacing="native")


def run(lines, out: Path, cache: Path, piper):
    engine = Counting(piper)
    catalog = Catalog(engines={"piper": lambda: engine})
    info = TimelineInfo.at("fifty", RATE, "01:00:00:00")
    options = DubOptions(out, cache_dir=cache, timeline=info, fit=FIT)
    report = next(e.report for e in dub(lines, options, catalog) if isinstance(e, JobDone))
    return report, engine


@pytest.fixture(scope="module")
def cold(tmp_path_factory, piper):
    root = tmp_path_factory.mktemp("cold")
    report, engine = run(fifty(), root / "out", root / "cache", piper)
    assert set(engine.texts) == set(TEXTS)
    assert report.cache["model_calls"] == len(engine.texts)
    return root, report


@pytest.fixture()
def warm(cold, tmp_path):
    root, report = cold
    shutil.copytree(root / "out", tmp_path / "out")
    shutil.copytree(root / "cache", tmp_path / "cache")
    return tmp_path, report


def _samples(path) -> np.ndarray:
    return sf.read(str(path), dtype="int16")[0]


def test_edit_one_line_calls_the_engine_for_that_line_only(warm, piper):
    root, before = warm
    new = fifty()
    new[17] = replace(new[17], text="Purple seventeen.")
    changes = compare(fifty(), new)
    assert changes.ids("changed") == ["L17"] and changes.counts()["unchanged"] == 49
    report, engine = run(new, root / "out", root / "cache", piper)
    assert set(engine.texts) == {"Purple seventeen."}  # one line reached the model
    assert report.cache["fitted_hits"] == 49
    old = {r.id: r for r in before.lines}
    for r in report.lines:
        same = np.array_equal(_samples(r.file), _samples(old[r.id].file)) if r.id != "L17" else None
        assert same in (True, None)
    assert report.lines[17].text == "Purple seventeen."


def test_retime_one_line_synthesizes_that_line_natively_as_a_cold_run_would(warm, piper, tmp_path):
    root, before = warm
    # Pick a line the cold run fitted natively, and shorten its slot by two frames.
    i = next(n for n, r in enumerate(before.lines) if r.method == "native" and 0.9 < r.factor < 1.25)
    new = fifty()
    rng = new[i].range
    new[i] = replace(new[i], range=TimeRange(rng.start, rng.end - 2, rng.rate))
    changes = compare(fifty(), new)
    assert changes.ids("retimed") == [new[i].id] and changes.counts()["unchanged"] == 49
    report, engine = run(new, root / "out", root / "cache", piper)
    assert engine.texts == [new[i].text]  # one synthesis, for the re-timed line only
    line = report.lines[i]
    assert line.method == "native"
    first, end = new[i].range.samples(48000)
    assert sf.info(str(line.file)).frames == end - first == line.end_sample - line.start_sample
    assert report.cache == {"model_calls": 1, "fitted_hits": 49}
    # The same samples as a run with no cache at all (an older take is never stretched).
    fresh, _ = run([new[i]], tmp_path / "fresh", None, piper)
    assert np.array_equal(_samples(line.file), _samples(fresh.lines[0].file))


def test_moving_lines_calls_the_engine_zero_times(warm, piper):
    root, before = warm
    new = [replace(l, range=TimeRange(l.range.start + 7, l.range.end + 7, l.range.rate)) if n % 3 == 0 else l
           for n, l in enumerate(fifty())]
    changes = compare(fifty(), new)
    assert len(changes.ids("moved")) == 17 and changes.counts()["unchanged"] == 33
    report, engine = run(new, root / "out", root / "cache", piper)
    assert engine.texts == []
    assert report.cache["fitted_hits"] == 50
    old = {r.id: r for r in before.lines}
    for r in report.lines:
        assert np.array_equal(_samples(r.file), _samples(old[r.id].file))
    moved = report.lines[3]
    assert moved.start_sample == old["L03"].start_sample + 7 * 1920
    # The stem's timecode moved with it: 01:00:00:00 at 25 fps is 172,800,000 samples.
    assert read_time_reference(moved.file) == 172_800_000 + moved.start_sample


def test_removed_line_disappears_and_added_line_is_made(warm, piper):
    root, before = warm
    new = [l for l in fifty() if l.id != "L05"]
    new.append(Line("L50", "Extra line.", TimeRange(50 * 40, 50 * 40 + 14, RATE.fps)))
    engine = Counting(piper)
    options = DubOptions(root / "out", cache_dir=root / "cache", fit=FIT)
    events = list(conform_pass(fifty(), new, options, Catalog(engines={"piper": lambda: engine})))
    changes, report = events[0], events[-1].report
    assert changes.ids("removed") == ["L05"] and changes.ids("added") == ["L50"]
    assert set(engine.texts) == {"Extra line."}
    assert report.cache["fitted_hits"] == 49
    assert not (root / "out" / "lines" / "L05.wav").exists()
    assert sorted(p.name for p in (root / "out" / "lines").iterdir()) == sorted(
        f"{l.id}.wav" for l in new)
    assert json.loads((root / "out" / "conform.json").read_text())["counts"]["removed"] == 1
