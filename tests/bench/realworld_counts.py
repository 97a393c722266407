"""The real-world corpus (tests/data/realworld/) in the bench: every file, every line, counted."""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from tests import realworld


def corpus_counts(first: int | None = None, limit: int | None = None) -> dict:
    """Run the corpus (``first``: lines per timeline, None = all; ``limit``: entries, None =
    all) and return per-format counts, per-file rows and the wall time."""
    entries = realworld.entries()[:limit]
    rows = []
    t0 = time.perf_counter()
    with realworld.one_voice_model(), tempfile.TemporaryDirectory(prefix="dubline-corpus-") as tmp:
        outcomes = [realworld.run(e, Path(tmp) / f"run{i}", first=first) for i, e in enumerate(entries)]
    for o in outcomes:
        rows.append({"file": o.entry.path.name, "args": " ".join(o.entry.args), "format": o.entry.kind,
                     "verdict": o.verdict, "lines": o.lines, "seconds": round(o.seconds, 2),
                     "detail": o.detail})
    return {"counts": realworld.counts(outcomes), "rows": rows, "seconds": time.perf_counter() - t0,
            "first": first}


def markdown(result: dict) -> list[str]:
    if not result:
        return []
    out = ["## Real-world corpus", "",
           "Every file in tests/data/realworld/ through the CLI (tests/realworld.py classifies: "
           "dubbed exactly, clear error, or wrong). Lines per timeline: "
           f"{result['first'] or 'all'}; {result['seconds']:.0f} s in all.", "",
           "| format | dubbed | error | wrong |", "|---|---:|---:|---:|"]
    for kind, c in sorted(result["counts"].items()):
        out.append(f"| {kind} | {c['dubbed']} | {c['error']} | {c['wrong']} |")
    wrong = [r for r in result["rows"] if r["verdict"] == "wrong"]
    out += ["", *[f"- WRONG {r['file']} {r['args']}: {r['detail']}" for r in wrong], ""]
    return out
