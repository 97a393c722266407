"""CLI subcommands for timelines: ``otio``, ``conform``, ``mux``, and the timeline/delivery
options ``srt`` shares with them. Registered from ``cli.build_parser``."""
from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from dubline.core.cache import default_audio_cache
from dubline.core.deliver import ENCODINGS, DeliveryOptions, deliver
from dubline.core.errors import InputError
from dubline.core.loudness import LoudnessOptions
from dubline.core.mux import MODES, MuxOptions, mux
from dubline.core.otio_write import FORMATS, PlacedStem, check_formats, dub_timeline, write_timeline
from dubline.core.outputs import OutputRun
from dubline.core.render import DubOptions
from dubline.core.report import DubReport
from dubline.core.timebase import FrameRate
from dubline.core.timeline_info import TimelineInfo
from dubline.bridge.usage import DELIVERY_NAMES, SUBTITLE_SUFFIXES, check_rendering, format_list

if TYPE_CHECKING:
    from dubline.core.otio_read import OtioReadOptions

log = logging.getLogger("dubline")


def add_output_options(p: argparse.ArgumentParser, timeline_default: str | None,
                       timeline_note: str = "") -> None:
    """Cache, timeline export and delivery options for every rendering subcommand."""
    p.add_argument("--timeline", default=timeline_default,
                   help=f"timeline files to write, comma-separated from {','.join(FORMATS)} "
                        f"(default: {timeline_note or timeline_default or 'none'})")
    p.add_argument("--cache-dir", type=Path, default=None,
                   help=f"synthesis cache (default: {default_audio_cache()})")
    p.add_argument("--no-cache", action="store_true", help="synthesize everything afresh")
    p.add_argument("--deliver", default="",
                   help=f"also write loudness-normalised delivery files: comma-separated from "
                        f"{','.join(ENCODINGS)} (dialogue.wav is always written with them)")
    p.add_argument("--loudness", type=float, default=-23.0,
                   help="integrated loudness target for --deliver in LUFS (-23 EBU R128, -16 web)")


def _formats(text: str, known) -> list[str]:
    names = [f.strip() for f in (text or "").split(",") if f.strip()]
    unknown = [f for f in names if f not in known]
    if unknown:
        raise InputError(f"unknown format(s) {', '.join(unknown)} (known: {', '.join(known)})")
    return names


def cache_folder(args: argparse.Namespace) -> Path | None:
    """The synthesis cache every rendering subcommand uses unless told --no-cache."""
    return None if args.no_cache else (args.cache_dir or default_audio_cache())


def with_cache(options: DubOptions, args: argparse.Namespace, info: TimelineInfo) -> DubOptions:
    return replace(options, cache_dir=cache_folder(args), timeline=replace(info, sample_rate=options.sample_rate))


def check_exports(lines, info: TimelineInfo | None, args, source_timeline=None) -> None:
    """Before any audio: every --timeline format can hold this dub (OutputError if not);
    a format that holds less than the whole timeline is a warning now, not after the render."""
    formats = _formats(args.timeline, FORMATS)
    if formats and info is None:
        raise InputError("--timeline needs the timeline's frame rate: give --fps")
    if formats and info is not None:
        for warning in check_formats(lines, info, "dub", formats, source_timeline):
            log.warning("%s", warning)


def _first(lines: list, args) -> list:
    """``--first N``: the first N lines in timeline order, to try a long timeline quickly."""
    n = getattr(args, "first", None)
    if n is None:
        return lines
    if n < 1:
        raise InputError(f"--first needs a positive number of lines, got {n}")
    return lines[:n]


@dataclass
class Exports:
    """The --timeline and --deliver files of one run (``DubOptions.exports``).

    Made inside the run's output transaction, after the lines and the track: written staged
    beside them, listed in report.json, switched in with them. So an interrupted re-run leaves
    the previous complete set (stems, track, timelines, delivery, report) as it was.
    """

    lines: list
    info: TimelineInfo | None
    formats: list[str]
    deliveries: tuple[str, ...] | None  # None: no delivery asked; () dialogue.wav alone
    loudness: float
    source_timeline: object | None = None
    said: list[str] = field(default_factory=list)  # printed once the run is committed

    @classmethod
    def asked(cls, args, lines, info: TimelineInfo | None, source_timeline=None) -> "Exports | None":
        formats = _formats(args.timeline, FORMATS)
        if formats and info is None:
            raise InputError("--timeline needs the timeline's frame rate: give --fps")
        asked = format_list("--deliver", args.deliver, DELIVERY_NAMES)
        deliveries = tuple(f for f in asked if f in ENCODINGS) if asked else None  # "wav": dialogue.wav only
        if not formats and deliveries is None:
            return None
        return cls(lines, info, formats, deliveries, args.loudness, source_timeline)

    def __call__(self, report: DubReport, run: OutputRun) -> list[Path]:
        return self._timelines(report, run) + self._delivery(report, run)

    def _timelines(self, report: DubReport, run: OutputRun) -> list[Path]:
        if not self.formats or self.info is None:
            return []
        by_id = {r.id: r for r in report.lines}
        stems = [PlacedStem(line, by_id[line.id].file) for line in self.lines if line.id in by_id]
        voices = sorted({r.voice for r in report.lines})
        label = voices[0] if len(voices) == 1 else "mixed voices"
        timeline = dub_timeline(stems, self.info, label, self.source_timeline)
        written = [run.final(f) for f in write_timeline(timeline, run.folder(run.out_dir), "dub", self.formats,
                                                        root=run.root)]
        self.said += [f"timeline -> {f}" for f in written]
        return written

    def _delivery(self, report: DubReport, run: OutputRun) -> list[Path]:
        if self.deliveries is None:
            return []
        options = DeliveryOptions(LoudnessOptions(target_lufs=self.loudness), self.deliveries)
        done = deliver(run.current(report.track), run.folder(run.out_dir / "delivery"), options, root=run.root)
        files = [run.final(f) for f in done.files]
        n = done.normalised
        if n is not None:
            self.said.append(f"delivery: {n.after.integrated_lufs:.1f} LUFS, {n.after.true_peak_dbtp:.1f} dBTP "
                             f"-> {', '.join(f.name for f in files)}")
        return files


def with_exports(options: DubOptions, args, lines, source_timeline=None) -> tuple[DubOptions, Exports | None]:
    """``options`` that make the asked timeline and delivery files in the run; checked first."""
    check_exports(lines, options.timeline, args, source_timeline)
    exports = Exports.asked(args, lines, options.timeline, source_timeline)
    return replace(options, exports=exports), exports


def tell(exports: Exports | None) -> None:
    for said in exports.said if exports is not None else ():
        print(said)


def _read_options(args) -> OtioReadOptions:
    from dubline.core.otio_read import OtioReadOptions

    return OtioReadOptions(track=args.track, markers=args.markers,
                           rate=FrameRate.parse(args.fps) if args.fps else None,
                           sample_rate=args.sample_rate)


def cmd_otio(args: argparse.Namespace) -> int:
    # Timeline reading loads only for the commands that read one (a quicker `dubline srt`).
    from dubline.bridge.cli import dub_catalog, dub_options, run_dub
    from dubline.core.otio_read import lines_from_timeline, load_timeline

    read = _read_options(args)
    timeline = load_timeline(args.file, read.rate)
    found = lines_from_timeline(timeline, read, Path(args.file))
    for warning in found.warnings:
        log.warning("%s: %s", args.file, warning)
    lines = _first(found.lines, args)
    print(f"{len(lines)} lines from {', '.join(found.tracks_read) or 'markers'} "
          f"({found.info.rate} fps, starts {found.info.start_timecode})")
    built = dub_catalog(args)
    lines, options = built.apply(lines, with_cache(dub_options(args), args, found.info))
    options, exports = with_exports(options, args, lines, timeline)
    run_dub(lines, options, built.catalog, quiet=args.quiet)
    tell(exports)
    return 0


@dataclass
class ConformInput:
    """One side of a conform: its lines, its clock, and the OTIO timeline it came from."""

    lines: list
    info: TimelineInfo | None  # None: a subtitle file read without --fps
    timeline: object | None


def read_conform_input(path: Path, args: argparse.Namespace) -> ConformInput:
    """Lines from any input Dubline reads: a subtitle file or a timeline."""
    from dubline.core.otio_read import lines_from_timeline, load_timeline
    from dubline.core.sniff import require_text
    from dubline.core.snap import snap_to_frames
    from dubline.core.subtitles import SubtitleOptions, read_subtitles

    if Path(path).suffix.lower() in SUBTITLE_SUFFIXES:
        require_text(path)
        lines = read_subtitles(path, SubtitleOptions()).lines
        if not args.fps:
            return ConformInput(lines, None, None)
        rate = FrameRate.parse(args.fps)
        return ConformInput(snap_to_frames(lines, rate),
                            TimelineInfo.at(Path(path).stem, rate, "00:00:00:00", args.sample_rate), None)
    read = _read_options(args)
    timeline = load_timeline(path, read.rate)
    found = lines_from_timeline(timeline, read, Path(path))
    for warning in found.warnings:
        log.warning("%s: %s", path, warning)
    return ConformInput(found.lines, found.info, timeline)


def cmd_conform(args: argparse.Namespace) -> int:
    from dubline.bridge.cli import dub_catalog, dub_options, run_dub
    from dubline.core.conform import conform_pass, previous_stems

    subtitles_only = Path(args.new).suffix.lower() in SUBTITLE_SUFFIXES
    if args.timeline is None:  # timelines of a timeline; none of subtitles unless asked (needs --fps)
        args.timeline = "" if subtitles_only else "otio,fcp7"
    old = read_conform_input(args.old, args)
    new = read_conform_input(args.new, args)
    built = dub_catalog(args)
    old_lines, _ = built.apply(old.lines, dub_options(args))
    options = dub_options(args)
    options = (with_cache(options, args, new.info) if new.info is not None
               else replace(options, cache_dir=cache_folder(args)))
    new_lines, options = built.apply(new.lines, options)
    options, exports = with_exports(options, args, new_lines, new.timeline)
    passes = conform_pass(old_lines, new_lines, options, built.catalog)
    changes = next(passes)
    print(f"conform {args.old} -> {args.new}")
    print(changes.summary())
    before = {Path(p).name for p in previous_stems(args.out)}
    report = run_dub(new_lines, options, quiet=args.quiet, events=passes)
    if report.cache:
        print(f"model calls {report.cache['model_calls']}, reused {report.cache['fitted_hits']}")
    for name in sorted(before - {Path(r.file).name for r in report.lines}):
        print(f"removed lines/{name}")
    tell(exports)
    return 0


def cmd_mux(args: argparse.Namespace) -> int:
    out = mux(args.video, args.dub, args.output,
              MuxOptions(mode=args.mode, original_gain_db=args.original_gain))
    print(f"muxed -> {out}")
    return 0


def add_timeline_read_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--track", help="dialogue track: its name, or kind and index (A2 = second audio "
                                   "track, V1; Premiere's tracks have no names) (default: tracks "
                                   "named like Dialogue/Subtitles)")
    p.add_argument("--markers", action="store_true", help="also read markers as lines")
    p.add_argument("--fps", help="the timeline rate: overrides the file's (e.g. '29.97 NDF'); "
                                 "required for EDL, which has none")


def add_parsers(sub, add_dub_options, add_cluster_options) -> None:
    from dubline.bridge.cli import add_cloning_options

    p = sub.add_parser("otio", help="dub dialogue read from a timeline (.otio, FCP 7 .xml, .edl)")
    p.add_argument("file", type=Path, help="the timeline: .otio, FCP 7 .xml, .edl, or any format OpenTimelineIO reads")
    add_dub_options(p)
    add_timeline_read_options(p)
    p.add_argument("--first", type=int, metavar="N",
                   help="dub only the first N lines in timeline order (a quick try of a long cut)")
    add_output_options(p, "otio,fcp7")
    add_cloning_options(p)
    add_cluster_options(p)
    p.set_defaults(func=cmd_otio, check=check_rendering)

    p = sub.add_parser("conform", help="re-dub only what changed between two cuts")
    p.add_argument("old", type=Path, help="the cut dubbed before: a timeline (.otio, FCP 7 .xml, .edl) or an .srt")
    p.add_argument("new", type=Path, help="the new cut, in any of the same forms")
    add_dub_options(p)
    add_timeline_read_options(p)
    add_output_options(p, None, "otio,fcp7 for a timeline; none for subtitles")
    add_cloning_options(p)
    add_cluster_options(p)
    p.set_defaults(func=cmd_conform, check=check_rendering)

    p = sub.add_parser("mux", help="put the dub into a video without re-encoding the picture")
    p.add_argument("video", type=Path, help="the video whose picture is kept (copied, never re-encoded)")
    p.add_argument("dub", type=Path, help="an output folder (its track.wav) or an audio file")
    p.add_argument("-o", "--output", type=Path, required=True,
                   help="the video file to write (.mp4, .mov, .mkv); not the input video")
    p.add_argument("--mode", choices=MODES, default="add",
                   help="add a new audio stream (default), replace the original, or mix with it")
    p.add_argument("--original-gain", type=float, default=-12.0,
                   help="original audio level under the dub in --mode mix (dB, default -12)")
    p.set_defaults(func=cmd_mux)


def srt_timeline(args: argparse.Namespace, lines, options: DubOptions):
    """For ``dubline srt``: the timeline clock from --fps/--start, or None when not asked."""
    if not (args.timeline or args.start or args.deliver):
        return None
    if (args.timeline or args.start) and not args.fps:
        raise InputError("--timeline and --start need --fps (the timeline's frame rate)")
    rate = FrameRate.parse(args.fps) if args.fps else FrameRate(25)
    return TimelineInfo.at(Path(args.file).stem, rate, args.start or "00:00:00:00", options.sample_rate)


def add_srt_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--start", help="timeline start timecode, e.g. 01:00:00:00 (needs --fps)")
    add_output_options(p, "")


def run_srt(args, lines, options: DubOptions, catalog) -> None:
    from dubline.bridge.cli import run_dub

    info = srt_timeline(args, lines, options)
    if info is None:
        run_dub(lines, replace(options, cache_dir=cache_folder(args)), catalog, quiet=args.quiet)
        return
    options, exports = with_exports(with_cache(options, args, info), args, lines)
    run_dub(lines, options, catalog, quiet=args.quiet)
    tell(exports)

