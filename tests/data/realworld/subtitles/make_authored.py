"""Rebuilds the authored_* files of this folder (written for Dubline, CC0): real-looking
dialogue in the languages and legacy encodings users' downloads come in, and the damaged
shapes seen in the wild. Run from anywhere: python make_authored.py"""
from pathlib import Path

HERE = Path(__file__).resolve().parent


def srt(lines: list[str], start: float = 1.0, step: float = 3.0) -> str:
    def stamp(t: float) -> str:
        ms = round(t * 1000)
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    return "".join(f"{i}\n{stamp(start + (i - 1) * step)} --> {stamp(start + (i - 1) * step + 2.5)}\n{text}\n\n"
                   for i, text in enumerate(lines, 1))


FILES = {
    "authored_hr_cp1250.srt": ("cp1250", srt([
        "Dobar dan, kako ste?", "Hvala, dobro sam. Što radiš večeras?", "Idemo kući, već je kasno.",
        "Čekaj! Zaboravio si ključeve.", "Đuro, dođi ovamo odmah."])),
    "authored_ru_koi8-r.srt": ("koi8-r", srt([
        "Привет, как дела?", "Всё хорошо, спасибо.", "Пойдём домой, уже поздно.", "Подожди! Ты забыл ключи."])),
    "authored_he_iso-8859-8.he.srt": ("iso-8859-8", srt([
        "שלום, מה שלומך?", "אני בסדר, תודה רבה.", "בוא נלך הביתה, כבר מאוחר."])),
    "authored_zh-Hant_big5.srt": ("big5", srt([
        "我們走吧，時間不多了。", "你確定嗎？", "當然，我從來不說謊。"])),
    "authored_el_iso-8859-7.srt": ("iso-8859-7", srt([
        "Καλημέρα, τι κάνεις;", "Είμαι καλά, ευχαριστώ.", "Πάμε σπίτι, είναι αργά."])),
    "authored_ja_shift_jis.srt": ("shift_jis", srt([
        "こんにちは、元気ですか？", "はい、ありがとう。", "行きましょう。"])),
    "authored_en_speaker_traps.srt": ("utf-8", srt([
        "Rule number one: never talk about the club.", "We're here: the final episode!",
        "ANNA: Welcome back, everyone.", "- Ben: Did you bring the maps?\n- ANNA: Of course.",
        "[MARCUS] Then we leave at dawn.", "At 10:30 we leave: be ready.", "Note: the bridge is out."])),
    "authored_en_cleaning.srt": ("utf-8", srt([
        "{\\an8}Fish &amp; chips&nbsp;tonight?", "She said\\Nhello,\\hthen left.",
        "<i>The first half of the cue.</i>\n\nThe second half after a blank line.",
        "Last &quot;line&quot; &lt;really&gt;."])),
    "authored_en_es_mixed.srt": ("utf-8", srt([
        "Where are you going tonight?", "I told you already, it is over.",
        "¿Dónde está la biblioteca, por favor?", "Thanks a lot, my friend."])),
    "authored_en_cp1252_late_accent.srt": ("cp1252", srt(
        [f"Line number {i} of the briefing." for i in range(1, 10)] + ["We meet at the café, naïve as it sounds."],
        step=2.8)),
}


def main() -> None:
    for name, (encoding, text) in FILES.items():
        (HERE / name).write_bytes(text.encode(encoding))
    vtt = ("WEBVTT - Lecture 3\n\nSTYLE\n::cue(.loud) { color: yellow }\n\nNOTE Exported from the course player;\n"
           "the next cue has settings.\n\nintro\n00:00:01.000 --> 00:00:03.500 align:start position:10%\n"
           "<v Professor Lee>Welcome &amp; thanks for coming&nbsp;today.</v>\n\n"
           "00:04.000 --> 00:06.500\n<c.loud>Open</c> your notes at <00:05.000>page ten.\n\n"
           "3\n00:00:07.000 --> 00:00:09.500\n<v.first Student>Is this on the exam?\n")
    (HERE / "authored_en_lecture.vtt").write_text(vtt, encoding="utf-8")
    ssa = ("[Script Info]\nScriptType: v4.00\nTitle: SSA v4 sample\n\n[V4 Styles]\nFormat: Name, Fontname, Fontsize, "
           "PrimaryColour, SecondaryColour, TertiaryColour, BackColour, Bold, Italic, BorderStyle, Outline, Shadow, "
           "Alignment, MarginL, MarginR, MarginV, AlphaLevel, Encoding\nStyle: Default,Arial,20,16777215,65535,"
           "65535,0,0,0,1,2,0,2,10,10,10,0,0\n\n[Events]\nFormat: Marked, Start, End, Style, Name, MarginL, "
           "MarginR, MarginV, Effect, Text\nDialogue: Marked=0,0:00:01.00,0:00:03.50,Default,Narrator,0,0,0,,"
           "{\\i1}Long ago{\\i0}, in a quiet town\\Nby the sea,\nComment: Marked=0,0:00:02.00,0:00:03.00,Default,,"
           "0,0,0,,timing note for the editor\nDialogue: Marked=0,0:00:04.00,0:00:06.50,Default,,0,0,0,,"
           "there lived an old{TN: keep this} fisherman.\n")
    (HERE / "authored_en_story.ssa").write_text(ssa, encoding="utf-8")
    # Damaged shapes: a UTF-8 BOM then a cp1252 byte; a UTF-16 file cut mid-character.
    good = srt(["The first line is fine.", "The second line is fine."])
    (HERE / "authored_damaged_utf8_bom.srt").write_bytes(b"\xef\xbb\xbf" + good.encode() + b"3\n00:00:08,000 --> "
                                                         b"00:00:10,000\nCaf\xe9 au lait.\n")
    (HERE / "authored_damaged_utf16_odd.srt").write_bytes(good.encode("utf-16")[:-1])


if __name__ == "__main__":
    main()
