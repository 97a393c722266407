import logging

import pytest

from dubline.core.errors import InputError
from dubline.core.srt import SrtOptions, clean_text, read_srt, split_speaker

GOOD = (
    "1\n00:00:01,000 --> 00:00:02,500\n<i>Hello</i> there,\nmy friend.\n\n"
    "2\n00:00:03,000 --> 00:00:04,000\n{\\an8}ANNA: Fine, thanks.\n\n"
    "3\n00:00:04,500 --> 00:00:06,000\n[BEN] Good.\n"
)


def write(tmp_path, data: bytes, name="in.srt"):
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_unicode_encodings(tmp_path, encoding):
    text = GOOD.replace("Hello", "Héllo")
    data = text.encode(encoding)
    if encoding == "utf-16-le":
        data = b"\xff\xfe" + data
    lines = read_srt(write(tmp_path, data))
    assert [ln.text for ln in lines] == ["Héllo there, my friend.", "Fine, thanks.", "Good."]


def test_cp1252_detected(tmp_path):
    lines = read_srt(write(tmp_path, GOOD.replace("Hello", "Ça va, café").encode("cp1252")))
    assert lines[0].text.startswith("Ça va, café")


def test_gb18030_detected(tmp_path):
    srt = "1\n00:00:01,000 --> 00:00:03,000\n他重新开始了工作。\n\n2\n00:00:03,500 --> 00:00:05,000\n张三：你好，世界！\n"
    lines = read_srt(write(tmp_path, srt.encode("gb18030")))
    assert lines[0].text == "他重新开始了工作。"
    assert (lines[1].speaker, lines[1].text) == ("张三", "你好，世界！")


def test_crlf_tags_speakers_and_ids(tmp_path):
    lines = read_srt(write(tmp_path, GOOD.replace("\n", "\r\n").encode()))
    assert [ln.id for ln in lines] == ["1", "2", "3"]
    assert [ln.speaker for ln in lines] == [None, "ANNA", "BEN"]
    assert lines[0].range.start_seconds == 1 and lines[0].range.end_seconds == 2.5
    assert lines[2].source.line == 10


def test_speaker_detection_leaves_times_and_sentences_alone():
    assert split_speaker("At 10:30 we leave.") == (None, "At 10:30 we leave.")
    assert split_speaker("- Dr. Who: hello") == ("Dr. Who", "hello")  # dialogue style
    assert split_speaker("DR. WHO: hello") == ("DR. WHO", "hello")
    assert split_speaker("Dr. Who: hello") == (None, "Dr. Who: hello")  # could be a sentence
    assert clean_text("- Hi.\n- Hello.") == "Hi. Hello."
    assert clean_text("重{chong2}新开始") == "重{chong2}新开始"  # reading overrides survive


def test_short_milliseconds_are_fractions(tmp_path):
    lines = read_srt(write(tmp_path, b"1\n00:00:01.5 --> 00:00:02.25\nHi there.\n"))
    assert (lines[0].range.start, lines[0].range.end) == (1500, 2250)


BAD = (
    "1\n00:00:01,000 --> 00:00:03,000\nOverlapping line.\n\n"
    "2\n00:00:02,500 --> 00:00:04,000\nSecond line.\n\n"
    "3\n00:00:05,000 --> 00:00:05,000\nZero length.\n\n"
    "4\n00:00:06,000 --> 00:00:07,000\n<i></i>\n\n"
    "5\n00:00:08,000 -> 00:00:09,000\nBroken arrow.\n\n"
    "6\n00:00:10,000 --> 00:00:11,000\nFine.\n"
)


def test_validation_reports_every_problem_with_cue_and_line(tmp_path):
    path = write(tmp_path, BAD.encode())
    with pytest.raises(InputError) as err:
        read_srt(path)
    got = {(p.cue, p.line): p.message for p in err.value.problems}
    assert "overlaps cue 2" in got[("1", 1)]
    assert "zero or negative" in got[("3", 9)]
    assert "empty text" in got[("4", 13)]
    assert "unparseable timing '00:00:08,000 -> 00:00:09,000'" in got[("5", 18)]  # the timing line itself
    assert str(path) in str(err.value)


def test_skip_and_fix(tmp_path, caplog):
    path = write(tmp_path, BAD.encode())
    with caplog.at_level(logging.WARNING):
        skipped = read_srt(path, SrtOptions(on_error="skip"))
    assert [ln.id for ln in skipped] == ["2", "6"]
    assert "skipped" in caplog.text
    fixed = read_srt(path, SrtOptions(on_error="fix"))
    assert [ln.id for ln in fixed] == ["1", "2", "6"]
    assert fixed[0].range.end == 2500  # trimmed to the next start


def test_too_short_cue_and_missing_file(tmp_path):
    with pytest.raises(InputError, match="too short to say anything"):
        read_srt(write(tmp_path, b"1\n00:00:01,000 --> 00:00:01,050\nHello there.\n"))
    with pytest.raises(InputError, match="cannot read"):
        read_srt(tmp_path / "missing.srt")
    with pytest.raises(InputError, match="no cues"):
        read_srt(write(tmp_path, b"\n\n"))


def test_duplicate_and_missing_numbers_get_unique_ids(tmp_path):
    data = b"1\n00:00:01,000 --> 00:00:02,000\nA line.\n\n1\n00:00:03,000 --> 00:00:04,000\nB line.\n\n00:00:05,000 --> 00:00:06,000\nC line.\n"
    ids = [ln.id for ln in read_srt(write(tmp_path, data))]
    assert len(set(ids)) == 3 and ids[0] == "1"
