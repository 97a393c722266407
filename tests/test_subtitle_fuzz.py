"""Property-based fuzz of the SubRip, WebVTT and ASS/SSA readers: whatever the bytes, a
read returns valid lines or raises a DublineError (the CLI prints those as one line);
any other exception is a crash a user would see as a traceback. Each property is bounded
to about two seconds (max_examples), enough to walk the readers' branches on every run."""
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dubline.core.errors import DublineError
from dubline.core.subtitles import SubtitleOptions, read_subtitles

# DUBLINE_FUZZ_EXAMPLES raises the bound for a longer local hunt.
FUZZ = settings(max_examples=int(os.environ.get("DUBLINE_FUZZ_EXAMPLES", "60")), deadline=None, suppress_health_check=list(HealthCheck), database=None)

digits = st.integers(0, 99).map(str)
stamp = st.builds(lambda h, m, s, ms, sep: f"{h}:{m}:{s}{sep}{ms}", st.sampled_from(["00", "0", "1", "99", "123"]),
                  st.sampled_from(["00", "59", "7", "60"]), st.sampled_from(["00", "01", "59", "9"]),
                  st.sampled_from(["000", "5", "50", "999", "1234", ""]), st.sampled_from([",", ".", ":", ""]))
arrow = st.sampled_from([" --> ", "-->", " -> ", " —> ", " --> ", "  -->  "])
settings_tail = st.sampled_from(["", " align:start", " X1:10 X2:20", " position:10% line:0"])
text_piece = st.sampled_from([
    "Hello", "ANNA:", "[BEN]", "- Rule number one:", "{\\an8}", "{\\i1}", "{", "}", "\\N", "\\h", "&amp;", "&nbsp;",
    "&#0;", "&#x110000;", "<i>", "</i>", "<v Bob>", "<c.loud>", "<00:00:01.000>", "张三：", "你好", "Привет", "שלום",
    "こんにちは", "é", "\ufeff", "\x00", "\u202e", " ", ":", "-->", "WEBVTT", "Dialogue:", "[Events]", "1", "\t",
])
text_line = st.lists(text_piece, max_size=6).map(" ".join) | st.text(max_size=20)
newline = st.sampled_from(["\n", "\r\n", "\r", "\n\n"])


def cue(separator: str):
    return st.builds(lambda n, a, ar, b, tail, lines, nl: f"{n}{nl}{a}{ar}{b}{tail}{nl}" + nl.join(lines),
                     digits | st.just(""), stamp, arrow, stamp, settings_tail,
                     st.lists(text_line, max_size=3), newline)


def document(header: str):
    return st.builds(lambda cues, gap: header + gap.join(cues), st.lists(cue(""), max_size=6),
                     st.sampled_from(["\n\n", "\n", "\r\n\r\n", "\n\n\n"]))


ass_line = st.builds(
    lambda kind, start, end, name, text: f"{kind}: 0,{start},{end},Default,{name},0,0,0,,{text}",
    st.sampled_from(["Dialogue", "Comment", "Dialogue", "Marked=0"]), stamp, stamp,
    st.sampled_from(["", "Anna", "BEN", ",", "x" * 50]), text_line)
ass_doc = st.builds(
    lambda events, fmt: "[Script Info]\nScriptType: v4.00+\n\n[Events]\n" + fmt + "\n".join(events),
    st.lists(ass_line, max_size=6),
    st.sampled_from(["Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n",
                     "Format: Start, End, Text\n", ""]))
encoding = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "gb18030", "koi8-r"])
options = st.builds(SubtitleOptions, on_error=st.sampled_from(["error", "skip", "fix"]), speakers=st.booleans())


def read(data: bytes, suffix: str, opts: SubtitleOptions) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        try:
            subs = read_subtitles(path, opts)
        except DublineError as e:
            assert str(e)  # a message the CLI can print
            return
    assert subs.lines
    for line in subs.lines:
        assert line.text.strip() and line.range.duration > 0


def encoded(text: str, enc: str) -> bytes:
    return text.encode(enc, errors="replace")


@FUZZ
@given(document(""), encoding, options, st.sampled_from([".srt", ".txt", ".vtt"]))
def test_srt_reader_never_crashes(text, enc, opts, suffix):
    read(encoded(text, enc), suffix, opts)


@FUZZ
@given(document("WEBVTT\n\n") | document("WEBVTT - x\nKind: captions\n\nNOTE hi\n\nSTYLE\n::cue {}\n\n"),
       encoding, options)
def test_vtt_reader_never_crashes(text, enc, opts):
    read(encoded(text, enc), ".vtt", opts)


@FUZZ
@given(ass_doc, encoding, options)
def test_ass_reader_never_crashes(text, enc, opts):
    read(encoded(text, enc), ".ass", opts)


@FUZZ
@given(st.binary(max_size=400), st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"WEBVTT\n\n",
                                                  b"[Script Info]\n", b"1\n00:00:01,000 --> 00:00:02,000\n"]),
       options, st.sampled_from([".srt", ".vtt", ".ass"]))
def test_any_bytes_never_crash(data, prefix, opts, suffix):
    read(prefix + data, suffix, opts)
