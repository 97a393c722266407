"""Every file of tests/data/realworld/subtitles read as `dubline srt` reads it (reader, then
the language check against the built-in voices) and classified: read exactly as expected,
or refused with a clear error naming file and line. A file missing from EXPECT fails, so
the corpus cannot grow untested; see SOURCES.md there for where each file comes from."""
import functools
from pathlib import Path

import pytest

from dubline.core.catalog import Catalog
from dubline.core.errors import InputError
from dubline.core.subtitles import SubtitleOptions, read_subtitles
from dubline.core.subtitles.routing import route

CORPUS = Path(__file__).resolve().parent / "data" / "realworld" / "subtitles"
SUFFIXES = {".srt", ".vtt", ".ass", ".ssa"}

# name -> ("ok", format, encoding, {line id: (speaker, text)}, languages)
#      | ("error", message part, line in the file or None)
EXPECT = {
    "authored_damaged_utf16_odd.srt": ("error", "UTF-16 byte-order mark but has an odd number of bytes", None),
    "authored_damaged_utf8_bom.srt": ("error", "UTF-8 byte-order mark, but bytes 43 61 66 e9", 11),
    "authored_el_iso-8859-7.srt": ("error", "line is Greek (el) but voice en-joe speaks en", 1),
    "authored_en_cleaning.srt": ("ok", "srt", "utf-8", {
        "1": (None, "Fish & chips tonight?"), "2": (None, "She said hello, then left."),
        "3": (None, "The first half of the cue. The second half after a blank line."),
        "4": (None, 'Last "line" <really>.')}, {"en"}),
    "authored_en_cp1252_late_accent.srt": ("ok", "srt", "cp1252", {
        "10": (None, "We meet at the café, naïve as it sounds.")}, {"en"}),
    "authored_en_es_mixed.srt": ("error", "authored_en_es_mixed.srt:9 cue 3: line is Spanish (es)", 9),
    "authored_en_lecture.vtt": ("ok", "vtt", "utf-8", {
        "L10": ("Professor Lee", "Welcome & thanks for coming today."),
        "2": (None, "Open your notes at page ten."), "3": ("Student", "Is this on the exam?")}, {"en"}),
    "authored_en_speaker_traps.srt": ("ok", "srt", "utf-8", {
        "1": (None, "Rule number one: never talk about the club."), "2": (None, "We're here: the final episode!"),
        "3": ("ANNA", "Welcome back, everyone."), "4": ("Ben", "Did you bring the maps? Of course."),
        "5": ("MARCUS", "Then we leave at dawn."), "6": (None, "At 10:30 we leave: be ready."),
        "7": (None, "Note: the bridge is out.")}, {"en"}),
    "authored_en_story.ssa": ("ok", "ass", "utf-8", {
        "1": ("Narrator", "Long ago, in a quiet town by the sea,"), "2": (None, "there lived an old fisherman.")},
        {"en"}),
    "authored_he_iso-8859-8.he.srt": ("error", "line is Hebrew (he) but voice en-joe speaks en", 1),
    "authored_hr_cp1250.srt": ("error", "line is Croatian (hr) but voice en-joe speaks en", 1),
    "authored_ja_shift_jis.srt": ("error", "line is Japanese (ja) but voice zh-baker speaks zh", 1),
    "authored_ru_koi8-r.srt": ("error", "line is Russian (ru) but voice en-joe speaks en", 1),
    "authored_zh-Hant_big5.srt": ("ok", "srt", "big5", {
        "1": (None, "我們走吧，時間不多了。"), "3": (None, "當然，我從來不說謊。")}, {"zh"}),
    "pysrt_bom-utf-16-le.srt": ("ok", "srt", "utf-16", {
        "1": (None, "About 2 months ago I found myself on the comment section of YouTube")}, {"en"}),
    "pysrt_bom-utf-32-be.srt": ("ok", "srt", "utf-32", {
        "1": (None, "About 2 months ago I found myself on the comment section of YouTube")}, {"en"}),
    "pysrt_capability_tester.srt": ("error", "zero or negative duration", 1),
    "pysrt_empty.srt": ("error", "cue 3: empty text", 12),
    "pysrt_invalid.srt": ("ok", "srt", "utf-8", {"1": (None, "This subtitle is invalid")}, {"en"}),
    "pysrt_no-indexes.srt": ("ok", "srt", "utf-8-sig", {
        "L5": (None, "And I was commenting, unfortunately I was commenting, on a video about the famous Ayn Rand")},
        {"en"}),
    "pysrt_utf-8.srt": ("error", "line is French (fr) but voice en-joe speaks en", 5),
    "pysrt_windows-1252.srt": ("error", "line is French (fr) but voice en-joe speaks en", 5),
    "pysubs2_attached_images_aegisub.ass": ("error", "cue 1: empty text", 52),
    "pysubs2_ttml_example2.ass": ("ok", "ass", "utf-8", {
        "6": (None, "Did he tell you what it was about? He did"),
        "7": (None, "In 1992, a shipping container fell overboard")}, {"en"}),
}


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.suffix in SUFFIXES)


@functools.lru_cache(maxsize=1)
def catalog() -> Catalog:
    """One catalog for the corpus: the language check may load an engine to ask which
    languages it speaks, and once is enough."""
    return Catalog()


def classify(path: Path):
    """('ok', Subtitles) or ('error', InputError), reading as `dubline srt` does by default."""
    try:
        subs = read_subtitles(path)
        route(subs.lines, catalog())
        return "ok", subs
    except InputError as e:
        return "error", e


def test_every_file_is_expected():
    assert sorted(p.name for p in corpus_files()) == sorted(EXPECT)


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_corpus_file(name):
    path = CORPUS / name
    want = EXPECT[name]
    kind, got = classify(path)
    assert kind == want[0], f"{name}: {got}"
    if kind == "error":
        first = got.problems[0]
        assert want[1] in str(got) and first.file == path
        assert first.line == want[2], str(got)
        return
    _, fmt, encoding, lines, languages = want
    assert (got.format, got.encoding) == (fmt, encoding)
    by_id = {ln.id: ln for ln in got.lines}
    for ident, (speaker, text) in lines.items():
        assert (by_id[ident].speaker, by_id[ident].text) == (speaker, text)
    assert {ln.language for ln in got.lines} == languages


def test_the_same_real_film_in_cp1252_reads_exactly_as_in_utf8():
    utf8 = read_subtitles(CORPUS / "pysrt_utf-8.srt")
    legacy = read_subtitles(CORPUS / "pysrt_windows-1252.srt")
    assert legacy.encoding == "cp1252" and len(legacy.lines) == len(utf8.lines) == 1332
    assert [ln.text for ln in legacy.lines] == [ln.text for ln in utf8.lines]
    assert any("é" in ln.text for ln in legacy.lines)


@pytest.mark.parametrize("name", sorted(n for n in EXPECT if n.startswith("authored_") and "damaged" not in n))
def test_detected_encoding_reads_as_the_encoding_it_was_written_in(name):
    """The authored files were written in known code pages (make_authored.py): detection
    must give the same text as naming the encoding, with the language check left out."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_authored", CORPUS / "make_authored.py")
    assert spec and spec.loader
    made = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(made)
    encoding = made.FILES[name][0] if name in made.FILES else "utf-8"
    detected = read_subtitles(CORPUS / name, SubtitleOptions(languages=False))
    given = read_subtitles(CORPUS / name, SubtitleOptions(encoding=encoding, languages=False))
    assert [ln.text for ln in detected.lines] == [ln.text for ln in given.lines]
