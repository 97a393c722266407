"""`dubline srt` on WebVTT, ASS/SSA and SubRip files as users download them: what is dubbed,
what is refused (with file, line and cue), and what report.json says was done."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from dubline.bridge.cli import main

CORPUS = Path(__file__).resolve().parent / "data" / "realworld" / "subtitles"


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "dubline.bridge.cli", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def mixed_dub(tmp_path_factory):
    """An English episode with a Spanish line, speaker traps, player markup and a blank line
    inside a cue, dubbed with --on-error skip."""
    folder = tmp_path_factory.mktemp("mixed")
    srt = folder / "episode.srt"
    srt.write_text(
        "1\n00:00:01,000 --> 00:00:03,500\nRule number one: never talk about the club.\n\n"
        "2\n00:00:04,000 --> 00:00:06,500\nANNA: {\\an8}Fish &amp; chips&nbsp;tonight?\n\n"
        "3\n00:00:07,000 --> 00:00:10,000\n¿Dónde está la biblioteca, por favor?\n\n"
        "4\n00:00:10,500 --> 00:00:13,500\nThe first half,\n\nand the second half.\n", encoding="utf-8")
    out = folder / "out"
    assert main(["-q", "srt", str(srt), "-o", str(out), "--on-error", "skip"]) == 0
    return json.loads((out / "report.json").read_text())


def test_unspeakable_line_is_skipped_and_reported(mixed_dub):
    assert [ln["id"] for ln in mixed_dub["lines"]] == ["1", "2", "4"]
    notes = mixed_dub["input"]["notes"]
    assert len(notes) == 1 and notes[0]["action"] == "skipped" and notes[0]["cue"] == "3"
    assert "Spanish (es)" in notes[0]["message"] and notes[0]["text"] == "¿Dónde está la biblioteca, por favor?"


def test_text_as_the_player_shows_it_and_speakers_listed(mixed_dub):
    by_id = {ln["id"]: ln for ln in mixed_dub["lines"]}
    assert by_id["1"]["text"] == "Rule number one: never talk about the club." and by_id["1"]["speaker"] is None
    assert (by_id["2"]["speaker"], by_id["2"]["text"]) == ("ANNA", "Fish & chips tonight?")
    assert by_id["4"]["text"] == "The first half, and the second half."
    assert all(ln["language"] == "en" for ln in mixed_dub["lines"])
    assert mixed_dub["input"]["speakers"] == [{"name": "ANNA", "rule": "caps", "cues": 1, "first_cue": "2"}]
    assert (mixed_dub["input"]["format"], mixed_dub["input"]["encoding"]) == ("srt", "utf-8")


def test_webvtt_dubs(tmp_path):
    """(ASS/SSA goes through the same reader pipeline: see test_subtitle_corpus.)"""
    out = tmp_path / "out"
    assert main(["-q", "srt", str(CORPUS / "authored_en_lecture.vtt"), "-o", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert [(ln["speaker"], ln["text"]) for ln in report["lines"]] == [
        ("Professor Lee", "Welcome & thanks for coming today."), (None, "Open your notes at page ten."),
        ("Student", "Is this on the exam?")]
    assert report["input"]["format"] == "vtt" and report["input"]["speakers"][0]["rule"] == "markup"
    assert (out / "track.wav").exists()


@pytest.mark.parametrize("name, args, message", [
    ("authored_hr_cp1250.srt", [], "authored_hr_cp1250.srt:1 cue 1: line is Croatian (hr) but voice en-joe speaks "
                                   "en; no installed voice speaks Croatian"),
    ("authored_damaged_utf8_bom.srt", [], "authored_damaged_utf8_bom.srt:11: the file starts with a UTF-8 "
                                          "byte-order mark, but bytes 43 61 66 e9"),
    ("authored_damaged_utf16_odd.srt", [], "odd number of bytes"),
    ("authored_en_cleaning.srt", ["--encoding", "punycode"], "'punycode' is not a character set of text files"),
    ("authored_en_cleaning.srt", ["--encoding", "no-such-codec"], "unknown text encoding 'no-such-codec'"),
])
def test_refused_with_one_clear_line(tmp_path, name, args, message):
    out = tmp_path / "out"
    r = run_cli("-q", "srt", str(CORPUS / name), "-o", str(out), *args)
    assert r.returncode == 1 and message in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and not out.exists()


def test_mixed_encodings_ask_for_the_encoding(tmp_path):
    """Two files joined: a UTF-8 cue, then a cp1251 one. No single code page reads it."""
    srt = tmp_path / "film.srt"
    srt.write_bytes("1\n00:00:01,000 --> 00:00:02,000\nПривет, как дела?\n\n".encode()
                    + "2\n00:00:03,000 --> 00:00:04,000\nВсё хорошо, спасибо.\n".encode("cp1251"))
    r = run_cli("-q", "srt", str(srt), "-o", str(tmp_path / "out"))
    assert r.returncode == 1 and "film.srt:3: cannot tell the text encoding" in r.stderr, r.stderr
    assert "give it with --encoding" in r.stderr and "Traceback" not in r.stderr
