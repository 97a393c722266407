"""Checks of a rendering command's options, made before any line is read or synthesized.

A mistyped option must cost the user nothing: every value the CLI can check on its own
(format names, rates, timecodes, the output folder, the fit range) is checked here, so a
run that would fail at its end fails in its first second instead. Mistakes in the command
line are ``UsageError`` (exit code 2, like argparse's own); mistakes in the files it names
stay ``InputError`` (exit code 1).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from dubline.core.deliver import ENCODINGS
from dubline.core.errors import DublineError, InputError, ModelMissingError, Problem
from dubline.core.fit import FitPolicy
from dubline.core.otio_write import FORMATS
from dubline.core.timebase import FrameRate
from dubline.core.timeline_info import check_rate

# Inputs read as subtitles; anything else goes to OpenTimelineIO's adapters (.otio, FCP 7
# .xml, .edl, ...).
SUBTITLE_SUFFIXES = (".srt", ".vtt", ".ass", ".ssa")

# ``--deliver wav`` asks for dialogue.wav alone, which every delivery writes anyway.
DELIVERY_NAMES = ("wav", *ENCODINGS)


class UsageError(InputError):
    """The command line itself is wrong: an unknown name, a bad value, options that clash.

    An ``InputError`` whose input is the command line; the CLI exits with 2 for it."""


def format_list(option: str, text: str | None, known) -> list[str]:
    """Comma-separated names of ``option``, each one of ``known``."""
    names = [f.strip() for f in (text or "").split(",") if f.strip()]
    unknown = [f for f in names if f not in known]
    if unknown:
        raise UsageError(f"{option}: unknown format{'s' * (len(unknown) > 1)} {', '.join(unknown)} "
                         f"(known: {', '.join(known)})")
    return names


def frame_rate(option: str, text: str) -> FrameRate:
    """A supported frame rate given on the command line."""
    try:
        rate = FrameRate.parse(text)
        check_rate(rate.fps, option)
    except InputError as e:
        raise UsageError(f"{option} {text!r}: {e}" if option not in str(e) else str(e)) from None
    return rate


def output_folder(out: Path) -> None:
    """``-o`` must be a folder or not exist yet (no file on the way to it)."""
    for p in (out, *out.parents):
        if p.exists():
            if not p.is_dir():
                what = "is a file" if p == out else f"is inside {p}, which is a file"
                raise UsageError(f"-o {out} {what}; give a folder for the outputs")
            return


def check_render_args(args: argparse.Namespace, remote: bool = False, clock_from_fps: bool | None = None) -> None:
    """Every option of ``srt``/``otio``/``conform`` that can be checked without reading input.

    Raises one ``UsageError`` listing every mistake found (one line each), or an
    ``InputError`` for a file an option names that is not there. ``remote``: the outputs
    are written by a daemon, relative to its output root, so the local file system says
    nothing about ``-o``. ``clock_from_fps``: the input has no frame rate of its own
    (subtitles), so writing timelines needs ``--fps`` (default: for ``srt``).
    """
    if clock_from_fps is None:
        clock_from_fps = getattr(args, "command", "") == "srt"
    problems: list[str] = []

    def check(fn, *a):
        try:
            return fn(*a)
        except UsageError as e:
            problems.extend(str(p) for p in e.problems)
            return None

    if not remote:
        check(output_folder, Path(args.out))
    if not 8000 <= args.sample_rate <= 192000:
        problems.append(f"--sample-rate {args.sample_rate}: use 8000-192000 Hz (48000 for video)")
    try:
        FitPolicy(min_factor=args.min_factor, max_factor=args.max_factor, max_stretch=args.max_stretch)
    except InputError as e:
        problems.append(f"--min-factor/--max-factor/--max-stretch: {e}")
    for pair in args.speaker:
        name, sep, voice = pair.partition("=")
        if not sep or not name or not voice:
            problems.append(f"--speaker expects NAME=VOICE, got {pair!r}")
    fps_text = getattr(args, "fps", None)
    fps = check(frame_rate, "--fps", fps_text) if fps_text else None
    timeline = check(format_list, "--timeline", getattr(args, "timeline", ""), FORMATS)
    check(format_list, "--deliver", getattr(args, "deliver", ""), DELIVERY_NAMES)
    start = getattr(args, "start", None)
    if start is not None and fps_text is None:
        problems.append("--start needs --fps (the timeline's frame rate)")
    elif start is not None and fps is not None:
        try:
            fps.frames(start)
        except InputError as e:
            problems.append(f"--start {start!r}: {e}")
    if timeline and fps_text is None and clock_from_fps:
        problems.append("--timeline needs --fps (the timeline's frame rate)")
    loudness = getattr(args, "loudness", None)
    if loudness is not None and not -70 <= loudness <= -5:
        problems.append(f"--loudness {loudness}: give a target in LUFS between -70 and -5 "
                        "(-23 broadcast, -16 web)")
    cache_dir = getattr(args, "cache_dir", None)
    if cache_dir is not None and Path(cache_dir).exists() and not Path(cache_dir).is_dir():
        problems.append(f"--cache-dir {cache_dir} is a file; give a folder")
    if problems:
        raise UsageError([Problem(p) for p in problems])
    for option in ("readings", "voices"):
        path = getattr(args, option, None)
        if path is not None and not Path(path).is_file():
            raise InputError(f"--{option} {path}: no such file")
    model_dir = getattr(args, "model_dir", None)
    if model_dir is not None and not remote:
        if not Path(model_dir).is_dir():
            raise InputError(f"--model-dir {model_dir}: no such folder (the IndexTTS-2 checkpoint folder)")
        try:  # the CPU install has no torch: say so before the checkpoint or any line is read
            import torch  # noqa: F401
        except ImportError as e:
            from dubline.core.catalog import GPU_INSTALL

            raise ModelMissingError(f"--model-dir needs the GPU extra, which is not installed ({e}): "
                                    f"{GPU_INSTALL}") from None


def known_voice_names(args: argparse.Namespace) -> set[str]:
    """Voice names a local run can use: built-in, stored (``voices add``), and --voices'."""
    from dubline.core.catalog import AUTO, BUILTIN_VOICES
    from dubline.core.voices import VoiceStore, read_voice_map

    store = VoiceStore()
    names = {AUTO, *(v.name for v in BUILTIN_VOICES), *(v.name for v in store.voices())}
    if getattr(args, "voices", None) is not None:
        names |= {v.name for v in read_voice_map(args.voices, store).voices}
    return names


def check_voices(args: argparse.Namespace) -> None:
    """``--voice`` and ``--speaker`` name voices that exist (one error, not one per line)."""
    named = [("--voice", args.voice)] + [("--speaker", pair.partition("=")[2]) for pair in args.speaker]
    known = known_voice_names(args)
    listed = ", ".join(sorted(known - {"auto"}))
    problems = [Problem(f"{option} {name}: unknown voice {name!r} (known voices: {listed}, or 'auto')")
                for option, name in named if name not in known]
    if problems:
        raise UsageError(problems)


def check_rendering(args: argparse.Namespace) -> None:
    """Every check of a rendering subcommand, run by ``cli.main`` before the command."""
    server = getattr(args, "server", None)
    clock_from_fps = args.command == "srt" or (
        args.command == "conform" and Path(args.new).suffix.lower() in SUBTITLE_SUFFIXES)
    check_render_args(args, remote=bool(server), clock_from_fps=clock_from_fps)
    if server:
        check_remote_args(args)  # the daemon knows its own voices
    else:
        check_voices(args)


# Output options of ``srt`` that a daemon job cannot carry (the daemon writes stems, track
# and report only): option dest, flag, its default, and what to do instead. Each one given
# with --server is refused by name rather than silently dropped. (Model and voice options
# are the catalog's to send or refuse: bridge/remote.py.)
_LOCAL_ONLY: tuple[tuple[str, str, object, str], ...] = (
    ("timeline", "--timeline", "", "write timelines with a local run"),
    ("start", "--start", None, "write timelines with a local run"),
    ("deliver", "--deliver", "", "deliver from a local run"),
    ("cache_dir", "--cache-dir", None, "the daemon keeps its own cache"),
    ("no_cache", "--no-cache", False, "the daemon keeps its own cache"),
)


def check_remote_args(args: argparse.Namespace) -> None:
    """Refuse, by name, every option given with ``--server`` that the daemon would ignore."""
    problems = [Problem(f"{flag} does not work with --server ({instead})")
                for dest, flag, default, instead in _LOCAL_ONLY
                if getattr(args, dest, default) != default]
    if problems:
        raise UsageError(problems)
