"""What ``dubline srt --server`` hands a daemon besides the lines.

A daemon holds its own model and catalog, so a job can only carry what the wire carries:
the ``--voices`` map's cloned voices go up with RegisterVoice, its speaker emotions ride
on the lines, and an emotion clip is placed under the daemon's output root (the only place
the daemon reads from). Options a daemon fixes when it starts (``--model-dir``,
``--device``, ...) are refused by name: none is ever dropped in silence.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from dubline.core.errors import InputError, Problem, VoiceError
from dubline.core.lines import Line
from dubline.core.voices import VoiceMap, VoiceStore, read_voice_map

from ._proto import dubline_pb2 as pb
from .client import Client

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
REFERENCES = "references"  # under the daemon's output root: emotion clips sent by clients


def refused_options(args: argparse.Namespace, address: str) -> list[Problem]:
    """One problem per option a daemon cannot take from a job."""
    held = f"the daemon at {address} holds its own model"
    checks = [
        ("--model-dir", getattr(args, "model_dir", None) is not None,
         f"{held}; start it with `dubline serve --model-dir DIR` and drop --model-dir here"),
        ("--device", getattr(args, "device", None) is not None,
         f"{held}; give --device to `dubline serve` and drop it here"),
        ("--fp16/--no-fp16", getattr(args, "fp16", None) is not None,
         f"{held}; give --fp16/--no-fp16 to `dubline serve` and drop it here"),
        ("--diffusion-steps", getattr(args, "diffusion_steps", None) is not None,
         f"{held}; give --diffusion-steps to `dubline serve` and drop it here"),
        ("--beams", getattr(args, "beams", None) is not None,
         f"{held}; give --beams to `dubline serve` and drop it here"),
        ("--s2-batch", getattr(args, "s2_batch", None) is not None,
         f"{held}; give --s2-batch to `dubline serve` and drop it here"),
        ("--readings", getattr(args, "readings", None) is not None,
         f"the daemon at {address} reads Mandarin with its own settings; drop --readings or dub locally"),
        ("--latin", getattr(args, "latin", "english") != "english",
         f"the daemon at {address} reads Latin words in Mandarin lines its own way (english); "
         "drop --latin or dub locally"),
    ]
    return [Problem(f"{option}: {why}") for option, given, why in checks if given]


def remote_name(name: str) -> str:
    """A voice name the daemon accepts (letters, digits, '.', '_', '-'; 64 at most)."""
    return _UNSAFE.sub("-", name).strip("-._")[:64] or "voice"


@dataclass
class SentVoices:
    lines: list[Line]  # with their speakers' emotions, clips as paths under the daemon's root
    speakers: dict[str, str]  # speaker -> voice name on the daemon
    registered: list[str]  # voices registered for this job


def send_voices(client: Client, voices_file: Path | None, lines: list[Line], speakers: dict[str, str],
                info: pb.ServerInfo) -> SentVoices:
    """Register the ``--voices`` map's cloned voices on the daemon and put its emotions on the lines.

    ``speakers`` (``--speaker``) win over the file's speaker map, as they do locally.
    """
    if voices_file is None:
        return SentVoices(lines, dict(speakers), [])
    store = VoiceStore()
    voice_map = read_voice_map(voices_file, store)
    root = Path(info.output_root)
    known = {v.name for v in info.voices}
    cloning = any(e.capabilities.cloning for e in info.engines)
    renamed: dict[str, str] = {}
    registered: list[str] = []
    for v in voice_map.voices:
        if v.name in known:  # a voice the daemon already has by that name (stored on both sides)
            renamed[v.name] = v.name
            continue
        if v.reference is None:
            continue
        if not cloning:
            raise VoiceError(f"--voices {voices_file}: voice {v.name!r} is cloned from {v.reference}, and the "
                             f"daemon at {client.address} has no cloning engine; start it with "
                             "`dubline serve --model-dir DIR`")
        try:
            audio = Path(v.reference).read_bytes()
        except OSError as e:
            raise InputError(f"--voices {voices_file}: voice {v.name!r}: cannot read {v.reference} ({e.strerror})") from e
        name = remote_name(v.name)
        client.register_voice(name, audio, language=v.language, description=f"from {voices_file.name}")
        renamed[v.name] = name
        registered.append(name)
    mapped = {speaker: renamed.get(voice, voice) for speaker, voice in voice_map.speakers.items()}
    emotions = {speaker: replace(e, reference=_place_clip(e.reference, root, voices_file, client.address))
                if e.reference is not None else e for speaker, e in voice_map.emotions.items()}
    lines = VoiceMap(emotions=emotions).apply(lines)
    return SentVoices(lines, {**mapped, **speakers}, registered)


def _place_clip(clip: Path, root: Path, voices_file: Path, address: str) -> Path:
    """The emotion clip as a path relative to the daemon's output root, copying it there
    when the daemon shares this machine's files (a loopback daemon does)."""
    clip = Path(clip).resolve()
    try:
        return clip.relative_to(root.resolve())
    except ValueError:
        pass
    if not (root.is_dir() and os.access(root, os.W_OK)):
        raise InputError(f"--voices {voices_file}: emotion clip {clip} is outside the output root {root} of the "
                         f"daemon at {address}, which reads clips only from there; copy the clip under it")
    if not clip.is_file():
        raise InputError(f"--voices {voices_file}: emotion clip {clip} does not exist")
    digest = hashlib.sha256(clip.read_bytes()).hexdigest()[:16]
    rel = Path(REFERENCES) / f"{digest}{clip.suffix.lower() or '.wav'}"
    if not (root / rel).is_file():
        (root / REFERENCES).mkdir(exist_ok=True)
        tmp = root / rel.with_suffix(rel.suffix + ".part")
        shutil.copyfile(clip, tmp)
        os.replace(tmp, root / rel)
    return rel
