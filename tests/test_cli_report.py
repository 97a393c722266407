"""The report's flags mean "a person should listen" (issue 16), through the console script.

A one-word cue in a long slot is padded, not flagged; a line too long for its slot is
flagged and listed in the CLI summary. (What --on-error fix dropped or trimmed is the
subtitle reader's report.json ``input`` record, issue 13.)
"""
import importlib.util
import json

import pytest

from cli_door import dubline

SRT = """1
00:00:01,000 --> 00:00:03,000
Yes.

2
00:00:03,500 --> 00:00:05,000
We should go now, before the light fails.

3
00:00:04,800 --> 00:00:06,000
Agreed.

4
00:00:06,500 --> 00:00:06,550
No.

5
00:00:07,000 --> 00:00:07,600
This line has far too many words to fit in the tiny slot it was given here.
"""


@pytest.fixture(scope="module")
def fixed_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    (root / "scene.srt").write_text(SRT)
    r = dubline("-q", "srt", "scene.srt", "-o", "out", "--on-error", "fix", cwd=root)
    assert r.returncode == 0, r.stderr
    return r, json.loads((root / "out" / "report.json").read_text())


def test_flags_and_padding_are_reported_for_what_they_are(fixed_run):
    r, report = fixed_run
    by_id = {ln["id"]: ln for ln in report["lines"]}

    # padded, not flagged
    assert by_id["1"]["padded"] is True and by_id["1"]["flag"] is None
    # too long: flagged, and the summary names it as the one line to listen to
    assert by_id["5"]["flag"] == "too_long"
    assert report["summary"]["listen"] == [{"id": "5", "reason": "too_long"}]
    assert "1 line needs a listen: 5 (too long)" in r.stdout

    # cue 4 (50 ms) could not be fixed: it is not dubbed, and not reported as a dubbed line
    assert "4" not in by_id
    assert report["summary"]["padded"] == sum(1 for ln in report["lines"] if ln["padded"])


@pytest.mark.skipif(importlib.util.find_spec("dubline.core.subtitles") is None,
                    reason="the subtitle reader's input record (issue 13) has not landed")
def test_on_error_fix_says_what_it_dropped_and_what_it_fixed(fixed_run):
    r, report = fixed_run
    cue4 = [ln for ln in r.stderr.splitlines() if "cue 4" in ln]
    assert cue4 and all("fixed" not in ln for ln in cue4)  # dropped, never "(fixed)"
    actions = {n["cue"]: n["action"] for n in report["input"]["notes"]}
    assert actions["4"] == "skipped" and actions["2"] == "fixed"
