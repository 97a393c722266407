"""The benchmark's inputs: bundled sample subtitles and a seeded stress set.

The stress set is written as an SRT file so it goes through the same reader as a user's
subtitles. Cue times are whole milliseconds, so at 48 kHz every boundary is an exact sample
and the expected lengths can be recomputed here without the project's time base.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

from dubline.core.files import atomic_path

SAMPLES = Path(__file__).resolve().parents[2] / "samples"

# Sentences for the stress set and the intelligibility sweep: everyday dialogue, no names,
# numbers or British spellings Whisper would write differently.
SENTENCES = (
    "Please remain seated until the car has come to a complete stop.",
    "We checked the engine twice before we left the harbor this morning.",
    "If the weather turns, we wait at the old station until morning.",
    "She told me the meeting was moved to Thursday afternoon.",
    "Bring a warm coat, the wind on the hill is very cold at night.",
    "The bridge was closed, so we had to drive around the lake.",
    "I never said that you were wrong, only that you were late.",
    "Turn off the lights when you leave the room.",
    "They found the old map hidden behind a loose brick in the wall.",
    "Nobody knows how long the storm will last.",
    "Can you hear me clearly, or should I speak up?",
    "The last train to the city leaves from the other platform.",
)
WORDS = ("Yes.", "No.", "Wait!", "Thanks.", "Run!", "Hello?", "Sorry.", "Listen.", "Now!", "Okay.")

# Speaking rates (characters of text per second of cue) for each stress kind; the embedded
# English voice speaks these sentences at about 18-20 characters per second unforced.
KINDS = {
    "fast": (21.0, 26.0),  # fast talkers: dense but inside native control
    "overlong": (30.0, 42.0),  # long lines in short cues: past the native range
    "oneword": None,  # one-word cues of 0.3-1.5 s
    "slow": (4.0, 7.0),  # a few words in a long cue
}


@dataclass(frozen=True)
class Cue:
    """A cue as the benchmark itself reads it: number and whole-millisecond times."""

    number: str
    start_ms: int
    end_ms: int
    kind: str = "sample"

    def samples(self, sample_rate: int) -> int:
        """Exact slot length in samples (half-up rounding of each boundary)."""
        first = (self.start_ms * sample_rate * 2 + 1000) // 2000
        end = (self.end_ms * sample_rate * 2 + 1000) // 2000
        return end - first


_TIMING = re.compile(r"(\d+):(\d\d):(\d\d)[,.](\d{3})\s*-->\s*(\d+):(\d\d):(\d\d)[,.](\d{3})")


def _ms(h: str, m: str, s: str, ms: str) -> int:
    return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(ms)


def read_cues(path: Path, kinds: dict[str, str] | None = None) -> dict[str, Cue]:
    """Cue number -> Cue, parsed with a plain regex independent of ``dubline.core.srt``."""
    cues: dict[str, Cue] = {}
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    for i, row in enumerate(lines):
        m = _TIMING.search(row)
        if m and i > 0 and lines[i - 1].strip().isdigit():
            number = lines[i - 1].strip()
            kind = (kinds or {}).get(number, "sample")
            cues[number] = Cue(number, _ms(*m.groups()[:4]), _ms(*m.groups()[4:]), kind)
    return cues


def _stamp(ms: int) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def stress_cues(seed: int, per_kind: int) -> list[tuple[str, str, int]]:
    """``(kind, text, duration_ms)`` for ``per_kind`` cues of each stress kind, seeded."""
    rng = random.Random(seed)
    out = []
    for kind, rate in KINDS.items():
        for _ in range(per_kind):
            if rate is None:
                text, ms = rng.choice(WORDS), rng.randint(300, 1500)
            else:
                text = rng.choice(SENTENCES)
                if kind == "slow":
                    text = " ".join(text.split()[: rng.randint(2, 4)]).rstrip(",") + "."
                ms = round(1000 * len(text) / rng.uniform(*rate))
            out.append((kind, text, ms))
    return out


def write_stress_srt(path: Path, seed: int, per_kind: int) -> dict[str, str]:
    """Write the stress set as SRT; returns cue number -> stress kind."""
    blocks, kinds, t = [], {}, 1000
    for number, (kind, text, ms) in enumerate(stress_cues(seed, per_kind), start=1):
        blocks.append(f"{number}\n{_stamp(t)} --> {_stamp(t + ms)}\n{text}\n")
        kinds[str(number)] = kind
        t += ms + 700
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(blocks), encoding="utf-8")
    return kinds


def sample_srts() -> list[Path]:
    return sorted(SAMPLES.glob("*.srt"))

# Mandarin sentences for the CER sweep (only when a Mandarin voice is available).
ZH_SENTENCES = (
    "请各位乘客在列车完全停稳之前不要离开座位。",
    "今天下午的会议改到明天上午举行。",
    "如果天气变坏，我们就在老车站等到天亮。",
    "晚上山上风很大，记得带一件厚外套。",
    "桥已经关了，我们只好绕着湖开过去。",
    "没有人知道这场暴风雨会持续多久。",
)
