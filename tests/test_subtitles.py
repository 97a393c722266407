"""The subtitle readers' rules one at a time: speaker prefixes, player-style cleaning, cue
boundaries, format by content, notes for every skipped or fixed cue."""
from pathlib import Path

import pytest

from dubline.core.errors import InputError
from dubline.core.subtitles import SpeakerRules, SubtitleOptions, clean_text, read_subtitles, split_speaker

NO_LANG = SubtitleOptions(languages=False)


def write(tmp_path: Path, text: str, name: str = "in.srt", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("text, speaker, rest", [
    ("Rule number one: never talk about it.", None, "Rule number one: never talk about it."),
    ("We're here: the final episode!", None, "We're here: the final episode!"),
    ("Listen: this is important.", None, "Listen: this is important."),
    ("- Look: it's fine.", None, "- Look: it's fine."),
    ("Paris, 1942: the war goes on.", None, "Paris, 1942: the war goes on."),
    ("ANNA: Hello.", "ANNA", "Hello."),
    ("DR. WHO: Run!", "DR. WHO", "Run!"),
    ("GUARD 2: Halt!", "GUARD 2", "Halt!"),
    ("[BEN] Morning.", "BEN", "Morning."),
    ("[laughs] Morning.", None, "[laughs] Morning."),
    ("- Anna: Hi there.", "Anna", "Hi there."),
    ("张三：你好，世界！", "张三", "你好，世界！"),
    ("他说：你好。", None, "他说：你好。"),
])
def test_speaker_prefix_only_when_it_looks_like_a_name(text, speaker, rest):
    assert split_speaker(text) == (speaker, rest)


def test_given_names_are_speakers_in_any_style_and_no_speakers_turns_it_off():
    rules = SpeakerRules(names=frozenset({"Narrator"}))
    assert split_speaker("narrator: Long ago...", rules) == ("Narrator", "Long ago...")
    assert split_speaker("ANNA: Hi.", SpeakerRules(enabled=False)) == (None, "ANNA: Hi.")


def test_no_speakers_keeps_prefixes_and_markup_speakers(tmp_path):
    path = write(tmp_path, "WEBVTT\n\n00:01.000 --> 00:03.000\n<v Bob>BOB: Hi there.\n", "a.vtt")
    assert [(ln.speaker, ln.text) for ln in read_subtitles(path, NO_LANG).lines] == [("Bob", "BOB: Hi there.")]
    off = SubtitleOptions(speakers=False, languages=False)
    assert [(ln.speaker, ln.text) for ln in read_subtitles(path, off).lines] == [(None, "BOB: Hi there.")]


@pytest.mark.parametrize("raw, fmt, shown", [
    ("{\\an8}Fish &amp; chips&nbsp;tonight?", "srt", "Fish & chips tonight?"),
    ("She said\\Nhello,\\hthen left.", "srt", "She said hello, then left."),
    ("<font color=\"red\">Red</font> &lt;i&gt; text", "srt", "Red <i> text"),
    ("重{chong2}新开始", "srt", "重{chong2}新开始"),  # a reading override in SubRip stays
    ("old{TN: keep}fisherman{\\i1}", "ass", "oldfisherman"),  # every {...} is hidden in ASS
    ("<c.loud>Open</c> at <00:05.000>ten", "vtt", "Open at ten"),
    ("- Hi.\n- Hello.", "srt", "Hi. Hello."),
    ("Null\x00 byte and\u200b zero\u200f width", "srt", "Null byte and zero width"),
    ("\u200b", "srt", ""),
])
def test_text_as_players_show_it(raw, fmt, shown):
    assert clean_text(raw, fmt) == shown


def test_blank_line_inside_a_cue_is_kept_unless_a_cue_follows(tmp_path):
    text = ("1\n00:00:01,000 --> 00:00:03,000\nFirst half,\n\nsecond half.\n\n"
            "2\n00:00:04,000 --> 00:00:06,000\nNext cue.\n\n\n"
            "00:00:07,000 --> 00:00:09,000\nA cue without its number.\n\n"
            "4\n00:00:10,000 -> 00:00:11,000\nBroken arrow.\n")
    path = write(tmp_path, text)
    with pytest.raises(InputError) as err:
        read_subtitles(path, NO_LANG)
    assert [(p.line, p.cue) for p in err.value.problems] == [(16, "4")]  # the damaged timing, not cue 2's text
    subs = read_subtitles(path, SubtitleOptions(on_error="skip", languages=False))
    assert [ln.text for ln in subs.lines] == ["First half, second half.", "Next cue.", "A cue without its number."]
    assert [(n.action, n.cue, n.line, n.text) for n in subs.notes] == [("skipped", "4", 16, "Broken arrow.")]


def test_format_by_content_not_suffix(tmp_path):
    vtt_named_srt = write(tmp_path, "WEBVTT\n\n00:01.000 --> 00:03.000\nHello there.\n", "film.srt")
    assert read_subtitles(vtt_named_srt, NO_LANG).format == "vtt"
    with pytest.raises(InputError, match="not a subtitle file"):
        read_subtitles(write(tmp_path, "just some notes\nno timings\n", "notes.srt"), NO_LANG)


def test_fix_and_skip_write_down_every_change(tmp_path):
    text = ("1\n00:00:01,000 --> 00:00:03,000\nOverlapping line.\n\n"
            "2\n00:00:02,500 --> 00:00:04,000\nSecond line.\n\n"
            "3\n00:00:05,000 --> 00:00:05,000\nZero length.\n")
    path = write(tmp_path, text)
    fixed = read_subtitles(path, SubtitleOptions(on_error="fix", languages=False))
    assert [(n.action, n.cue) for n in fixed.notes] == [("fixed", "1"), ("skipped", "3")]
    assert "end moved from 3.000s to 2.500s" in fixed.notes[0].message
    assert fixed.notes[1].text == "Zero length."
    skipped = read_subtitles(path, SubtitleOptions(on_error="skip", languages=False))
    assert [(n.action, n.cue) for n in skipped.notes] == [("skipped", "1"), ("skipped", "3")]
    assert skipped.report()["notes"][0]["text"] == "Overlapping line."


def test_file_name_language_claim_picks_only_among_readable_decodings(tmp_path):
    hebrew = "1\n00:00:01,000 --> 00:00:03,000\nשלום, מה שלומך?\n"
    subs = read_subtitles(write(tmp_path, hebrew, "film.he.srt", "iso-8859-8"), NO_LANG)
    assert subs.lines[0].text == "שלום, מה שלומך?" and "claims he" in subs.encoding_reason
    # The corpus file misnamed as Greek or Russian: Greek or Cyrillic letters can be had
    # from its bytes ('ωμεν, ξδ ωμεξκ?') but they read as no language, so the claim is set
    # aside, and the report says so.
    data = (Path(__file__).parent / "data/realworld/subtitles/authored_he_iso-8859-8.he.srt").read_bytes()
    for claim in ("el", "ru"):
        (tmp_path / f"film.{claim}.srt").write_bytes(data)
        misnamed = read_subtitles(tmp_path / f"film.{claim}.srt", NO_LANG)
        assert misnamed.lines[0].text == "שלום, מה שלומך?"
        assert f"claims {claim}, but no decoding reads as it" in misnamed.encoding_reason


def test_each_line_gets_its_language(tmp_path):
    text = ("1\n00:00:01,000 --> 00:00:03,000\nWhere are you going tonight?\n\n"
            "2\n00:00:04,000 --> 00:00:06,000\nOK.\n\n"
            "3\n00:00:07,000 --> 00:00:09,000\nJe ne sais pas ce que tu veux dire.\n\n"
            "4\n00:00:10,000 --> 00:00:12,000\n你好，世界！\n\n"
            "5\n00:00:13,000 --> 00:00:15,000\nПривет, как дела?\n")
    subs = read_subtitles(write(tmp_path, text))
    assert [ln.language for ln in subs.lines] == ["en", "en", "fr", "zh", "ru"]


def test_cloned_voice_speaks_what_its_engine_speaks_preset_voice_only_its_language(tmp_path):
    from types import SimpleNamespace

    from dubline.core.catalog import Catalog
    from dubline.core.engines.base import Voice
    from dubline.core.subtitles.routing import route

    loads = []

    def bilingual():  # stands for IndexTTS2's declaration: zh and en
        loads.append(1)
        return SimpleNamespace(capabilities=SimpleNamespace(languages=("zh", "en")))

    cloned = Voice(name="guanyu", engine="clone", language="zh", reference=tmp_path / "ref.wav")
    preset = Voice(name="zh-preset", engine="clone", language="zh")
    catalog = Catalog(voices=[cloned, preset], engines={"clone": bilingual})
    path = write(tmp_path, "1\n00:00:01,000 --> 00:00:03,000\nWhere are you going tonight?\n")
    lines = read_subtitles(path).lines
    assert route(lines, catalog, default="guanyu").lines == lines and loads == [1]
    with pytest.raises(InputError, match="line is English \\(en\\) but voice zh-preset speaks zh"):
        route(lines, catalog, default="zh-preset")


def test_mandarin_voice_reads_english_lines_through_its_english_reader_but_not_russian(tmp_path):
    from dubline.core.catalog import Catalog
    from dubline.core.subtitles.routing import route

    path = write(tmp_path, "1\n00:00:01,000 --> 00:00:03,000\nThe forecast says snow tomorrow.\n\n"
                           "2\n00:00:04,000 --> 00:00:06,000\nПривет, как дела?\n")
    lines = read_subtitles(path).lines
    routed = route(lines, Catalog(), default="zh-baker", on_error="skip")
    assert [ln.id for ln in routed.lines] == ["1"]
    assert [(n.action, n.cue) for n in routed.notes] == [("skipped", "2")]
    assert "line is Russian (ru) but voice zh-baker speaks zh" in routed.notes[0].message
