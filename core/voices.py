"""Cloned voices: a small store of reference clips, and the speaker -> voice map of a job.

The store is a directory (``$DUBLINE_DATA_DIR/voices``, else
``$XDG_DATA_HOME/dubline/voices``) holding each reference clip under its content hash and a
``voices.toml`` manifest::

    [guanyu]
    engine = "indextts2"
    language = "zh"
    reference = "3f2a...e1.wav"

A job's voice map (``dubline srt --voices voices.toml``) maps speakers to voices, with an
optional default emotion per speaker; a line's own emotion wins over it::

    [speakers.GUANYU]
    voice = "guanyu"              # a stored voice, or
    reference = "guanyu_5s.wav"   # a clip, relative to this file
    emotion = "angry"             # preset; or emotion_vector = [8 values]
    intensity = 0.7               # or emotion_reference = "clip.wav"; emotion_text = "冷笑一声"
"""
from __future__ import annotations

import hashlib
import os
import shutil
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

from .engines.base import Voice
from .errors import InputError, VoiceError
from .files import atomic_path
from .lines import EMOTIONS, Emotion, Line
from .reference import QualityReport, check_reference

MANIFEST = "voices.toml"


def data_dir() -> Path:
    if os.environ.get("DUBLINE_DATA_DIR"):
        return Path(os.environ["DUBLINE_DATA_DIR"])
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "dubline"


def _toml_value(v) -> str:
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(v)


class VoiceStore:
    """Reference clips by content hash plus a TOML manifest; writes are atomic."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else data_dir() / "voices"

    def _manifest(self) -> dict:
        path = self.root / MANIFEST
        if not path.is_file():
            return {}
        try:
            return tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise InputError(f"{path}: {e}") from e

    def voices(self) -> list[Voice]:
        return [Voice(name=name, engine=e.get("engine", "indextts2"), language=e.get("language", ""),
                      reference=self.root / e["reference"], description=e.get("description", ""))
                for name, e in self._manifest().items()]

    def add(self, name: str, reference: Path, engine: str = "indextts2", language: str = "",
            force: bool = False) -> tuple[Voice, QualityReport]:
        """Check the clip, copy it in, record it; a clip with errors is refused unless ``force``."""
        if not name or not name.replace("-", "").replace("_", "").isalnum():
            raise VoiceError(f"voice name {name!r}: use letters, digits, '-' and '_'")
        report = check_reference(reference)
        if report.errors and not force:
            raise VoiceError(f"reference {reference} is not usable: " + "; ".join(report.errors))
        digest = hashlib.sha256(Path(reference).read_bytes()).hexdigest()[:16]
        stored = f"{digest}{Path(reference).suffix.lower() or '.wav'}"
        self.root.mkdir(parents=True, exist_ok=True)
        if not (self.root / stored).exists():
            _atomic_copy(Path(reference), self.root / stored)
        manifest = self._manifest()
        manifest[name] = {"engine": engine, "language": language, "reference": stored,
                          "description": f"cloned from {Path(reference).name}"}
        text = "".join(f"[{n}]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in e.items()) + "\n"
                       for n, e in sorted(manifest.items()))
        _atomic_write(self.root / MANIFEST, text)
        return Voice(name=name, engine=engine, language=language, reference=self.root / stored), report


@dataclass
class VoiceMap:
    """What a ``--voices`` file adds to a job: voices, speaker -> voice, speaker emotions."""

    voices: list[Voice] = field(default_factory=list)
    speakers: dict[str, str] = field(default_factory=dict)
    emotions: dict[str, Emotion] = field(default_factory=dict)

    def apply(self, lines: list[Line]) -> list[Line]:
        """Give lines without an emotion their speaker's default one."""
        return [replace(ln, emotion=self.emotions[ln.speaker])
                if ln.emotion is None and ln.speaker in self.emotions else ln for ln in lines]


def read_voice_map(path: Path, store: VoiceStore | None = None, engine: str = "indextts2") -> VoiceMap:
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise InputError(f"{path}: {e}") from e
    stored = {v.name: v for v in (store or VoiceStore()).voices()}
    out = VoiceMap()
    for speaker, entry in doc.get("speakers", {}).items():
        where = f"{path} [speakers.{speaker}]"
        if "reference" in entry:
            name = f"{speaker}@{path.stem}"
            out.voices.append(Voice(name=name, engine=entry.get("engine", engine),
                                    language=entry.get("language", ""), reference=path.parent / entry["reference"]))
        elif "voice" in entry:
            name = entry["voice"]
            if name in stored:
                out.voices.append(stored[name])
        else:
            raise InputError(f"{where}: give voice = NAME or reference = FILE")
        out.speakers[speaker] = name
        emotion = _emotion(entry, path.parent, where)
        if emotion is not None:
            out.emotions[speaker] = emotion
    return out


def _emotion(entry: dict, base: Path, where: str) -> Emotion | None:
    preset = entry.get("emotion")
    if preset is not None and preset not in EMOTIONS:
        raise InputError(f"{where}: emotion {preset!r} is not one of {', '.join(EMOTIONS)}")
    vector = entry.get("emotion_vector")
    if vector is not None and len(vector) != len(EMOTIONS):
        raise InputError(f"{where}: emotion_vector needs {len(EMOTIONS)} values ({', '.join(EMOTIONS)})")
    ref = entry.get("emotion_reference")
    emotion = Emotion(preset=preset, intensity=float(entry["intensity"]) if "intensity" in entry else None,
                      vector=tuple(float(v) for v in vector) if vector is not None else None,
                      reference=base / ref if ref else None, description=entry.get("emotion_text"))
    return None if emotion.is_neutral() else emotion


def _atomic_write(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _atomic_copy(src: Path, dst: Path) -> None:
    with atomic_path(dst) as tmp:
        shutil.copyfile(src, tmp)
