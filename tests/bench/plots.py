"""PNG plots of a benchmark run (matplotlib, Agg: no screen needed)."""
from __future__ import annotations

from pathlib import Path

from dubline.core.audio import atomic_path


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
    ax.hist(data, bins=24, stacked=True, label=[s["summary"]["set"] for s in sets])
    policy = results["fit"]["policy"]
    for f, label in ((policy["min_factor"], "native min"), (policy["max_factor"], "native max")):
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
    engines = results["speed"]["engines"]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    names = [e["engine"] for e in engines]
    ax.bar(names, [e["rtf"] for e in engines], label="synthesis only")
    dub = {s["set"]: s["rtf"] for s in (x["summary"] for x in results["fit"]["sets"])}
    ax.set_ylabel("real-time factor (lower is faster)")
    ax.set_title("RTF per engine, 2-core CPU" if len(names) else "RTF")
    for i, e in enumerate(engines):
        ax.text(i, e["rtf"], f"{e['rtf']:.3f}", ha="center", va="bottom", fontsize=8)
    if dub:
        ax.text(0.99, 0.98, "dub (synth + fit + write):\n" + "\n".join(f"{k}: {v:.3f}" for k, v in dub.items()),
                transform=ax.transAxes, ha="right", va="top", fontsize=7)
    return _save(fig, path)
