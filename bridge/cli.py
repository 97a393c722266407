"""The ``dubline`` command line. Each subcommand is a small function over the library."""
from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import replace
from pathlib import Path

from dubline.core.catalog import AUTO, Catalog
from dubline.core.catalog_options import BuiltCatalog, CatalogOptions, build_catalog
from dubline.core.errors import DublineError, InputError, VoiceError
from dubline.core.fit import PACINGS, FitPolicy
from dubline.core.render import DubOptions, JobDone, LineDone, LineFailed, dub
from dubline.core.sniff import require_text
from dubline.core.snap import snap_to_frames
from dubline.core.subtitles import SubtitleOptions, read_subtitles
from dubline.core.timebase import FrameRate
from dubline.bridge import timeline_cmds
from dubline.bridge.cluster_cmds import add_batch_parser, add_cluster_options, cluster_session
from dubline.bridge.usage import UsageError, check_rendering

log = logging.getLogger("dubline")


def _speaker_map(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, voice = pair.partition("=")
        if not sep or not name or not voice:
            raise InputError(f"--speaker expects NAME=VOICE, got {pair!r}")
        out[name] = voice
    return out


def add_dub_options(p: argparse.ArgumentParser, output: bool = True) -> None:
    """Options shared by every subcommand that renders audio (``output``: it takes -o)."""
    if output:
        p.add_argument("-o", "--out", type=Path, required=True, help="output directory")
    else:
        p.set_defaults(out=Path())
    p.add_argument("--voice", default=AUTO, help="voice for lines without a speaker mapping (default: auto)")
    p.add_argument("--speaker", action="append", default=[], metavar="NAME=VOICE",
                   help="voice for one speaker; repeatable")
    p.add_argument("--sample-rate", type=int, default=48000,
                   help="output sample rate in Hz (default %(default)s; 8000-192000)")
    p.add_argument("--bit-depth", type=int, choices=(16, 24), default=16,
                   help="output sample size in bits (default %(default)s)")
    p.add_argument("--min-factor", type=float, default=FitPolicy.min_factor,
                   help="shortest native fit, as a share of natural length (default %(default)s)")
    p.add_argument("--max-factor", type=float, default=FitPolicy.max_factor,
                   help="longest native fit (default %(default)s)")
    p.add_argument("--max-stretch", type=float, default=FitPolicy.max_stretch,
                   help="bound of the time-stretch applied past the native range (default %(default)s)")
    p.add_argument("--pacing", choices=PACINGS, default=FitPolicy.pacing,
                   help="how a line reaches its slot: the voice's own pacing or a stretch of its natural "
                        "take, chosen per voice and factor from measured intelligibility (auto, the "
                        "default), or one of them everywhere")
    p.add_argument("--borrow-gap", action="store_true", help="let a long line run into the silence after it")
    p.add_argument("--no-squeeze", action="store_true",
                   help="cut lines that are still too long instead of compressing them")
    p.add_argument("--seed", type=int, default=0,
                   help="synthesis seed: the same text, voice and seed give the same audio (default %(default)s)")
    p.add_argument("--keep-going", action="store_true", help="report a failed line and go on")
    p.add_argument("--latin", choices=("english", "spell", "error"), default="english",
                   help="Latin words in Chinese lines: read by the English voice and stitched in "
                        "(default), spelled with letter names, or an error")
    p.add_argument("--readings", type=Path, metavar="TOML",
                   help="reading dictionary for names and terms ([readings] / [words] tables)")


def catalog_options(args: argparse.Namespace) -> CatalogOptions:
    """The catalog options of ``srt``/``otio``/``conform`` (and ``serve``) from the command line."""
    fit = FitPolicy()
    return CatalogOptions(
        model_dir=getattr(args, "model_dir", None), voices=getattr(args, "voices", None),
        device=getattr(args, "device", None) or "cuda", fp16=getattr(args, "fp16", None),
        latin=getattr(args, "latin", "english"), readings=getattr(args, "readings", None),
        diffusion_steps=getattr(args, "diffusion_steps", None), num_beams=getattr(args, "beams", None),
        s2_batch=getattr(args, "s2_batch", None),
        min_factor=getattr(args, "min_factor", fit.min_factor), max_factor=getattr(args, "max_factor", fit.max_factor))


def dub_catalog(args: argparse.Namespace) -> BuiltCatalog:
    """The voice catalog the command line asks for (engines, stored voices, the --voices map).

    With ``--cluster`` this process only plans and checks lines: its cloning engine is the
    checkpoint's tokenizer, and the model loads on the workers alone (``serve --cluster``
    builds its catalog elsewhere and keeps the model: the daemon answers Synthesize itself).
    """
    options = catalog_options(args)
    if getattr(args, "cluster", None):
        options = replace(options, check_only=True)
    return build_catalog(options)


def dub_options(args: argparse.Namespace) -> DubOptions:
    policy = FitPolicy(min_factor=args.min_factor, max_factor=args.max_factor, max_stretch=args.max_stretch,
                       borrow_gap=args.borrow_gap, squeeze=not args.no_squeeze, pacing=args.pacing)
    return DubOptions(out_dir=args.out, sample_rate=args.sample_rate, bit_depth=args.bit_depth,
                      voice=args.voice, speakers=_speaker_map(args.speaker), fit=policy,
                      seed=args.seed, keep_going=args.keep_going, fitter=getattr(args, "fitter", None))


class _NoBar:
    """What ``-q`` shows instead of a bar: nothing, and no tqdm to load (~15 ms a run)."""

    def __enter__(self) -> "_NoBar":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int = 1) -> None:
        return None

    @staticmethod
    def write(text: str, file=None) -> None:
        print(text, file=file)


def _progress(total: int, quiet: bool):
    """A progress bar on stderr (shown when it is a terminal), or none with ``quiet``."""
    if quiet:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="line", disable=None, file=sys.stderr)


def run_dub(lines, options: DubOptions, catalog: Catalog | None = None, quiet: bool = False, events=None):
    """Consume ``dub()`` (or ``events``, a pass that yields its events) with a progress bar;
    print a one-line summary."""
    report = None
    with _progress(len(lines), quiet) as bar:
        for event in events if events is not None else dub(lines, options, catalog):
            if isinstance(event, (LineDone, LineFailed)):
                bar.update(1)
                if isinstance(event, LineFailed):
                    bar.write(f"failed: {event.error}", file=sys.stderr)
            elif isinstance(event, JobDone):
                report = event.report
    if report is None:  # dub() always ends with JobDone unless it raised
        raise RuntimeError("the dub ended without a report")
    s = report.summary()
    methods = ", ".join(f"{k} {v}" for k, v in sorted(s["methods"].items()))
    print(f"{s['lines']} lines -> {report.track} ({methods}; padded {s['padded']}, failed {s['failed']})")
    listen = s["listen"]
    if listen:
        shown = ", ".join(f"{item['id']} ({item['reason'].replace('_', ' ')})" for item in listen[:20])
        more = f", ... (+{len(listen) - 20}; all in report.json)" if len(listen) > 20 else ""
        print(f"{len(listen)} line{'s' * (len(listen) > 1)} need{'s' * (len(listen) == 1)} a listen: {shown}{more}")
    else:
        print("no line needs a listen")
    return report


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number of at least 1")
    return int(text)


def add_cloning_options(p: argparse.ArgumentParser) -> None:
    """IndexTTS2 (GPU) cloning: a checkpoint directory and a speaker -> voice map."""
    p.add_argument("--voices", type=Path, help="voices.toml: speaker -> cloned voice (and emotion)")
    p.add_argument("--model-dir", type=Path, help="IndexTTS-2 checkpoint directory (enables engine indextts2)")
    p.add_argument("--device", default=None, help="indextts2 device (default cuda; falls back to cpu)")
    p.add_argument("--fp16", action=argparse.BooleanOptionalAction, default=None,
                   help="indextts2 half precision (default: on for CUDA)")
    p.add_argument("--diffusion-steps", type=_positive, metavar="N",
                   help="indextts2 second-stage steps (default 25; fewer is faster and rougher)")
    p.add_argument("--beams", type=_positive, metavar="N",
                   help="indextts2 GPT beam search width (default 3; 1 is fastest)")
    p.add_argument("--s2-batch", type=_positive, metavar="N",
                   help="indextts2 second-stage segments of one voice rendered at once (default 8 on CUDA, 1 on "
                        "the CPU, where a batched line differs from a lone one in the last bits)")


def cmd_srt(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from dubline.core.subtitles.routing import route

    read = SubtitleOptions(encoding=args.encoding, on_error=args.on_error, speakers=not args.no_speakers,
                           speaker_names=frozenset(_speaker_map(args.speaker)))
    require_text(args.file)
    subs = read_subtitles(args.file, read)
    lines = subs.lines
    if args.fps:
        lines = snap_to_frames(lines, FrameRate.parse(args.fps))
    if args.server:
        from .remote import run_remote

        return run_remote(lines, args, args.server)
    built = dub_catalog(args)
    lines, options = built.apply(lines, dub_options(args))
    routed = route(lines, built.catalog, options.voice, options.speakers, args.on_error)
    record = subs.report()
    record["notes"] += [n.to_dict() for n in routed.notes]
    timeline_cmds.run_srt(args, routed.lines, replace(options, input=record), built.catalog)
    return 0


def cmd_voices(args: argparse.Namespace) -> int:
    from dubline.core.voices import VoiceStore

    for v in Catalog().voices() + VoiceStore().voices():
        print(f"{v.name:12} {v.engine:10} {v.language:4} {v.description}")
    return 0


def cmd_voices_add(args: argparse.Namespace) -> int:
    """Check a reference clip, print its quality report, store it as a cloned voice."""
    from dubline.core.reference import check_reference
    from dubline.core.voices import VoiceStore

    store = VoiceStore()
    try:  # a name that cannot be used is a mistake in the command, found before any reading
        store.check_name(args.name, replace=args.force)
    except VoiceError as e:
        raise UsageError(str(e)) from None
    report = check_reference(args.file)
    print(report.summary())
    if report.errors and not args.force:
        print(f"voice {args.name!r} not added (fix the errors above, or --force)", file=sys.stderr)
        return 1
    voice, _ = store.add(args.name, args.file, language=args.language, force=args.force)
    print(f"added voice {voice.name!r} ({voice.engine}) -> {voice.reference}")
    return 0


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dubline")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


class _VersionAction(argparse.Action):
    """``--version``, looked up only when asked (importlib.metadata costs every run ~10 ms)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"{parser.prog} {_version()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dubline", description="Dub timed dialogue to sample-exact audio.")
    parser.add_argument("--version", action=_VersionAction, help="show the version and exit")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log what happens (INFO), including the speech runtimes' own messages")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("srt", help="dub a subtitle file: SubRip (.srt), WebVTT (.vtt) or ASS/SSA (.ass/.ssa)")
    p.add_argument("file", type=Path, help="the subtitle file (.srt, .vtt, .ass, .ssa)")
    add_dub_options(p)
    p.add_argument("--fps", help="snap cues to this frame rate's grid (e.g. 24000/1001, 25, 29.97 DF)")
    p.add_argument("--encoding", help="subtitle text encoding (default: detect)")
    p.add_argument("--on-error", choices=("error", "skip", "fix"), default="error",
                   help="bad cues, and lines no voice speaks the language of, stop the run (default), are "
                        "skipped, or fixed where possible; report.json lists each one")
    p.add_argument("--no-speakers", action="store_true",
                   help="do not read NAME: / [NAME] prefixes as speakers (the report lists the ones read)")
    timeline_cmds.add_srt_options(p)
    add_cloning_options(p)
    p.add_argument("--server", nargs="?", const="127.0.0.1:50151", metavar="ADDRESS",
                   help="dub through a running `dubline serve` (-o is then relative to its output root)")
    p.set_defaults(func=cmd_srt, check=check_rendering)

    add_cluster_options(p)
    timeline_cmds.add_parsers(sub, add_dub_options, add_cluster_options)
    add_batch_parser(sub, add_dub_options)

    p = sub.add_parser("voices", help="list the available voices; 'voices add' stores a cloned one")
    p.set_defaults(func=cmd_voices)
    voices_sub = p.add_subparsers(dest="voices_command")
    a = voices_sub.add_parser("add", help="check a 5-15 s reference clip and store it as a cloned voice")
    a.add_argument("name", help="the new voice's name (letters, digits, '-', '_'; not a built-in voice)")
    a.add_argument("file", type=Path, help="5-15 s of one speaker (WAV or FLAC, 16 kHz or more)")
    a.add_argument("--language", default="", help="language of the voice (zh, en, ...)")
    a.add_argument("--force", action="store_true",
                   help="replace a stored voice of the same name, and store the clip even if the check finds errors")
    a.set_defaults(func=cmd_voices_add)

    from .cache_cmds import add_parser as add_cache_parser
    from .remote import add_serve_parser

    add_cache_parser(sub)

    add_serve_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="dubline: %(levelname)s: %(message)s")
    try:
        if getattr(args, "check", None) is not None:
            args.check(args)  # every option, before any input is read or worker started (bridge/usage.py)
        with cluster_session(args) as args.fitter:
            return args.func(args)
    except DublineError as e:
        problems = getattr(e, "problems", None) or [e]
        for problem in problems:
            print(f"dubline: error: {problem}", file=sys.stderr)
        return 2 if isinstance(e, UsageError) else 1
    except KeyboardInterrupt:
        print("dubline: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `dubline ... | head`: the reader left; not an error of ours
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
