"""PNG plots of a benchmark run (matplotlib, Agg: no screen needed)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from dubline.core.files import atomic_path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    _pyplot().close(fig)
    return path


def fit_factor_histogram(results: dict, path: Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    sets = results["fit"]["sets"]
    data = [[x["factor"] for x in s["lines"]] for s in sets]
    every = [f for d in data for f in d]
    # Log-spaced: a factor of 0.5 is as far from 1 as 2 is.
    bins = np.geomspace(min(every + [0.5]) * 0.98, max(every + [2.0]) * 1.02, 28)
    ax.hist(data, bins=bins, stacked=True, label=[s["summary"]["set"] for s in sets])
    ax.set_xscale("log")
    ax.set_xticks([0.5, 0.75, 1, 1.35, 2, 3, 4], labels=["0.5", "0.75", "1", "1.35", "2", "3", "4"])
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    policy = results["fit"]["policy"]
    for f, label in ((policy["min_factor"], "policy min"), (policy["max_factor"], "policy max")):
        ax.axvline(f, color="k", ls="--", lw=1)
        ax.text(f, ax.get_ylim()[1] * 0.95, f" {label}", fontsize=8, va="top")
    ax.set_xlabel("fit factor (slot length / natural speech length)")
    ax.set_ylabel("lines")
    ax.set_title("Fit factors of dubbed lines")
    ax.legend()
    return _save(fig, path)


def error_vs_factor(results: dict, path: Path) -> Path:
    plt = _pyplot()
    summary = results["intelligibility"]["summary"]
    fig, ax = plt.subplots(figsize=(7, 4))
    for key, by_variant in summary.items():  # key: "en/tiny.en" etc.
        metric = "CER" if key.startswith("zh") else "WER"
        for variant, style in (("native", "-o"), ("stretched", "--s")):
            points = sorted((float(f), v) for f, v in by_variant.get(variant, {}).items())
            if points:
                ax.plot([p[0] for p in points], [p[1] for p in points], style, label=f"{key} {variant} ({metric})")
        if "natural" in by_variant.get("unfitted", {}):
            ax.axhline(by_variant["unfitted"]["natural"], ls=":", lw=1, color="grey")
    ax.set_xlabel("fit factor (target / natural length)")
    ax.set_ylabel("error rate (WER English, CER Mandarin)")
    ax.set_title("Intelligibility after fitting: native duration vs time-stretch\n(dotted: unfitted take)")
    ax.legend(fontsize=7)
    return _save(fig, path)


def rtf_per_engine(results: dict, path: Path) -> Path:
    plt = _pyplot()
    bars = [(f"{e['engine']}\nsynthesis", e["rtf"], "C0") for e in results["speed"]["engines"]]
    bars += [(f"dub\n{s['set']}", s["rtf"], "C1") for s in (x["summary"] for x in results["fit"]["sets"])]
    fig, ax = plt.subplots(figsize=(max(6, 1.3 * len(bars)), 3.8))
    ax.bar(range(len(bars)), [b[1] for b in bars], color=[b[2] for b in bars])
    ax.set_xticks(range(len(bars)), labels=[b[0] for b in bars], fontsize=8)
    for i, (_, value, _) in enumerate(bars):
        ax.text(i, value, f"{value:.3f}", ha="center", va="bottom", fontsize=8)
    ax.axhline(1.0, ls=":", color="grey", lw=1)
    m = results["machine"]
    ax.set_ylabel("real-time factor (lower is faster)")
    ax.set_title(f"RTF per engine (synthesis) and per dub (synthesis + fit + write)\n"
                 f"{m['cores']}-core CPU, no GPU")
    return _save(fig, path)
