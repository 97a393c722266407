"""Voice store, `dubline voices add` and the --voices speaker map."""
from fractions import Fraction

import pytest

from dubline.bridge.cli import main
from dubline.core.lines import Emotion, Line
from dubline.core.timebase import TimeRange
from dubline.core.voices import VoiceStore, read_voice_map
from tests.test_reference import clip


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DUBLINE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_voices_add_prints_report_and_stores_by_content(tmp_path, data_dir, capsys):
    ref = clip(tmp_path / "guanyu_5s.wav", 6)
    assert main(["voices", "add", "guanyu", str(ref), "--language", "zh"]) == 0
    out = capsys.readouterr().out
    assert "speech 6.0 s" in out and "added voice 'guanyu'" in out
    (voice,) = VoiceStore().voices()
    assert voice.engine == "indextts2" and voice.language == "zh"
    assert voice.reference.parent == data_dir / "voices" and voice.reference.read_bytes() == ref.read_bytes()
    assert main(["voices"]) == 0 and "guanyu" in capsys.readouterr().out


def test_voices_add_refuses_a_short_clip(tmp_path, data_dir, capsys):
    assert main(["voices", "add", "short", str(clip(tmp_path / "s.wav", 2))]) == 1
    captured = capsys.readouterr()
    assert "error: only 2.0 s of speech" in captured.out and "not added" in captured.err
    assert VoiceStore().voices() == []


def test_voice_map_speakers_and_emotions(tmp_path, data_dir):
    VoiceStore().add("guanyu", clip(tmp_path / "g.wav", 6))
    vm = tmp_path / "voices.toml"
    vm.write_text(
        '[speakers.GUANYU]\nvoice = "guanyu"\nemotion = "angry"\nintensity = 0.7\n\n'
        '[speakers.ZHANGFEI]\nreference = "z.wav"\nemotion_vector = [0, 0, 0, 0.5, 0, 0, 0, 0]\n', encoding="utf-8")
    m = read_voice_map(vm)
    assert m.speakers == {"GUANYU": "guanyu", "ZHANGFEI": "ZHANGFEI@voices"}
    assert {v.name: v.reference for v in m.voices}["ZHANGFEI@voices"] == tmp_path / "z.wav"
    rng = TimeRange(0, 24, Fraction(24))
    own = Emotion(preset="sad")
    lines = m.apply([Line("1", "a", rng, speaker="GUANYU"), Line("2", "b", rng, speaker="GUANYU", emotion=own)])
    assert lines[0].emotion == Emotion(preset="angry", intensity=0.7) and lines[1].emotion is own


def test_srt_with_cloned_voices_needs_a_model_dir(tmp_path, data_dir, capsys):
    srt = tmp_path / "a.srt"
    srt.write_text("1\n00:00:01,000 --> 00:00:02,000\nGUANYU: hello\n", encoding="utf-8")
    vm = tmp_path / "voices.toml"
    vm.write_text('[speakers.GUANYU]\nreference = "g.wav"\n', encoding="utf-8")
    assert main(["srt", str(srt), "-o", str(tmp_path / "out"), "--voices", str(vm)]) == 1
    assert "--model-dir" in capsys.readouterr().err
