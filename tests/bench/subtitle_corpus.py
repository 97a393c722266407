"""The subtitle corpus (tests/data/realworld/subtitles) through `dubline srt`, each file
classified: dubbed exactly (exit 0, every expected line's text, speaker and language in
report.json), a clear error (exit 1, the expected message naming file and line, nothing
written), or wrong. ``python -m tests.bench.subtitle_corpus`` runs it alone; the bench
report carries its counts."""
from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

from dubline.bridge.cli import main as dubline

from ..test_subtitle_corpus import EXPECT, corpus_files


def classify(path: Path, work: Path) -> tuple[str, str]:
    """('exact' | 'clear error' | 'wrong', why) for one file."""
    want = EXPECT.get(path.name)
    out = work / path.stem
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = dubline(["-q", "srt", str(path), "-o", str(out)])
    stderr = err.getvalue()
    if want is None:
        return "wrong", "not in EXPECT"
    if want[0] == "error":
        named = f"{path}:{want[2]}" if want[2] else str(path)
        if code == 1 and want[1] in stderr and named in stderr and not (out / "track.wav").exists():
            return "clear error", stderr.strip().splitlines()[0][:160]
        return "wrong", f"exit {code}: {stderr.strip()[:160]}"
    if code != 0:
        return "wrong", f"exit {code}: {stderr.strip()[:160]}"
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    by_id = {ln["id"]: ln for ln in report["lines"]}
    for ident, (speaker, text) in want[3].items():
        got = by_id.get(ident)
        if got is None or (got["speaker"], got["text"]) != (speaker, text):
            return "wrong", f"line {ident}: {got and (got['speaker'], got['text'])}"
    if {ln["language"] for ln in report["lines"]} != want[4]:
        return "wrong", "languages differ"
    return "exact", f"{len(report['lines'])} lines, {report['input']['encoding']}"


def measure() -> dict:
    rows = []
    with tempfile.TemporaryDirectory(prefix="dubline-subs-") as tmp:
        for path in corpus_files():
            start = time.perf_counter()
            kind, why = classify(path, Path(tmp))
            rows.append({"file": path.name, "result": kind, "detail": why,
                         "seconds": round(time.perf_counter() - start, 2)})
    counts = {k: sum(1 for r in rows if r["result"] == k) for k in ("exact", "clear error", "wrong")}
    return {"files": len(rows), "counts": counts, "rows": rows}


def markdown(result: dict) -> list[str]:
    c = result["counts"]
    out = ["## Subtitle corpus", "",
           f"{result['files']} files through `dubline srt`: {c['exact']} dubbed exactly, "
           f"{c['clear error']} refused with a clear error, {c['wrong']} wrong.", "",
           "| file | result | s | detail |", "|---|---|---|---|"]
    out += [f"| {r['file']} | {r['result']} | {r['seconds']} | {r['detail'].replace('|', '/')} |"
            for r in result["rows"]]
    return out + [""]


if __name__ == "__main__":
    measured = measure()
    print("\n".join(markdown(measured)))
    sys.exit(1 if measured["counts"]["wrong"] else 0)
