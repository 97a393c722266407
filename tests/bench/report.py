"""The benchmark's outputs: one markdown table file and the same figures as JSON."""
from __future__ import annotations

import json
from pathlib import Path

from dubline.core.files import atomic_path

from .realworld_counts import markdown as corpus_markdown
from .sweep import FACTORS


def write_text(path: Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def write_json(path: Path, results: dict) -> Path:
    return write_text(path, json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")


def _cell(value, fmt: str = "{:.3f}") -> str:
    return "–" if value is None else fmt.format(value)


def _fit_table(fit: dict) -> list[str]:
    rows = ["| set | lines | max \\|err\\| (samples) | native/natural % | stretched % | flagged % "
            "| fit factor min / median / max | dub RTF (CPU) |", "|---|---|---|---|---|---|---|---|"]
    for s in (x["summary"] for x in fit["sets"]):
        rows.append(f"| {s['set']} | {s['lines']} | {s['max_abs_error_samples']} | {s['native_pct']:.0f} "
                    f"| {s['stretched_pct']:.0f} | {s['flagged_pct']:.0f} | {s['factor_min']:.2f} / "
                    f"{s['factor_median']:.2f} / {s['factor_max']:.2f} | {s['rtf']:.3f} ({_cell(s.get('cpu_rtf'))}) |")
    return rows


def _kind_table(fit: dict) -> list[str]:
    """The stress set broken down by kind: how each kind of hard line was handled."""
    lines = [x for s in fit["sets"] for x in s["lines"] if x["kind"] != "sample"]
    if not lines:
        return []
    rows = ["| stress kind | lines | native/natural | stretched | flagged | fit factor range |", "|---|---|---|---|---|---|"]
    for kind in dict.fromkeys(x["kind"] for x in lines):
        group = [x for x in lines if x["kind"] == kind]
        count = lambda b: sum(1 for x in group if x["bucket"] == b)  # noqa: E731
        factors = [x["factor"] for x in group]
        rows.append(f"| {kind} | {len(group)} | {count('native')} | {count('stretched')} | {count('flagged')} "
                    f"| {min(factors):.2f}–{max(factors):.2f} |")
    return ["", *rows]


def _factor_table(title: str, by_variant: dict, metric: str) -> list[str]:
    labels = [f"{f:.2f}" for f in FACTORS]
    rows = [f"| {title} ({metric}) | unfitted | " + " | ".join(f"×{x}" for x in labels) + " |",
            "|---|---|" + "---|" * len(labels)]
    unfitted = by_variant.get("unfitted", {}).get("natural")
    for variant in ("native", "stretched"):
        values = by_variant.get(variant, {})
        rows.append(f"| {variant} | {_cell(unfitted)} | " + " | ".join(_cell(values.get(x)) for x in labels) + " |")
    return rows


def _speed_table(speed: dict) -> list[str]:
    rows = ["| engine | cold start, first use (s) | cold start (s) | first line (s) | RTF (CPU) | peak RSS (MB) |",
            "|---|---|---|---|---|---|"]
    for e in speed["engines"]:
        rows.append(f"| {e['engine']} ({e['voice']}) | {e['first_use_cold_start_seconds']:.2f} "
                    f"| {e['cold_start_seconds']:.2f} | {e['first_line_seconds']:.3f} | {e['rtf']:.3f} ({_cell(e.get('cpu_rtf'))}) "
                    f"| {e['peak_rss_mb']:.0f} |")
    for name, m in speed.get("measuring", {}).items():
        rows.append(f"| measuring: {name} | – | {m['load_seconds']:.2f} | – | – | – |")
    c = speed["conform"]
    if c.get("available"):
        rows.append(f"| conform pass ({c['lines']} lines, all re-timed, one text edited) | – | – | – "
                    f"| {c['retimed_vs_cold']:.2f}× cold run ({c['retimed_seconds']:.2f}s vs "
                    f"{c['cold_seconds']:.2f}s); unchanged {c['unchanged_vs_cold']:.2f}× | – |")
    else:
        rows.append(f"| conform pass | not available: {c.get('reason', '')} | | | | |")
    return rows


def markdown(results: dict) -> str:
    m = results["machine"]
    out = [f"# Dubline benchmark ({results['generated_at']})", "",
           f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']:.0f} GiB, no GPU used; "
           f"Python {m['python']}. Seed {results['options']['seed']}, {results['options']['sample_rate']} Hz. "
           f"Load average at start / end: {_cell(m.get('load_start'), '{:.1f}')} / {_cell(m.get('load_end'), '{:.1f}')}"
           " (above the core count, wall-clock times are inflated by other work; the CPU-time "
           "figures in brackets much less).", "",
           "## Fit", "", *_fit_table(results["fit"]), *_kind_table(results["fit"]), "",
           "|err| is each stem file's length against its cue's sample range, recomputed from the "
           "subtitle text independently.",
           *[f"- {name}: not dubbed, {why}" for name, why in results["fit"].get("skipped", {}).items()], "",
           "## Intelligibility after fitting", ""]
    intel = results["intelligibility"]
    if not intel["summary"]:
        out.append(f"not measured: {intel.get('reason', 'no Whisper model installed')}")
    for key, by_variant in intel["summary"].items():
        out += [*_factor_table(key, by_variant, "CER" if key.startswith("zh") else "WER"), ""]
    counts = {}
    for take in intel.get("takes", []):
        counts.setdefault(take["language"], set()).add(take["sentence"])
    sizes = ", ".join(f"{len(v)} {k}" for k, v in counts.items())
    out += ["native = the engine's own duration control (fit_line); stretched = the unforced take "
            f"time-stretched to the same length (stretch_to). Lower is better. Sentences: {sizes}; "
            "one sentence error is about 0.01 WER here, so differences of that size are noise.", ""]
    for note in intel.get("notes", []):
        out += [f"- {note}"]
    out += ["", "## Voice similarity", ""]
    sim = results["similarity"]
    if sim.get("summary"):
        out += [*_factor_table("cosine vs " + sim["reference"], sim["summary"], "resemblyzer"), "",
                sim["note"], ""]
    else:
        out += [f"not measured: {sim.get('reason', '')}", ""]
    out += ["## Speed", "", *_speed_table(results["speed"]), "",
            "RTF = wall seconds of synthesis / audio seconds (warm); (CPU) = CPU seconds of all threads / "
            "audio seconds. Dub RTF above includes fitting and writing. Cold start = import and model "
            "load in a new process; first use = the same with an empty model cache.", ""]
    out += corpus_markdown(results.get("realworld") or {})
    return "\n".join(out)
