"""``--cluster`` on the dubbing commands, and ``dubline batch``: many jobs, one cluster.

The cluster itself lives in ``dubline.core.cluster`` (the only module that imports ray);
this module turns command-line arguments into its options and a catalog every worker can
rebuild on its own machine.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

from dubline.core.catalog_options import catalog_factory
from dubline.core.errors import InputError
from dubline.core.render import DubOptions

if TYPE_CHECKING:  # the cluster's module loads when --cluster is given
    from dubline.core.cluster import ClusterFitter, ClusterOptions


def add_cluster_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cluster", metavar="ADDRESS",
                   help="synthesize on a Ray cluster: auto (the one `ray start` made here), HOST:PORT, "
                        "ray://HOST:10001, or local:N (a private one of N CPUs); needs dubline[cluster]")
    p.add_argument("--cluster-workers", type=int, metavar="N",
                   help="workers to start on the cluster (default: one per GPU with --model-dir, "
                        "else one per CPU)")


def cluster_options(args: argparse.Namespace) -> ClusterOptions:
    from dubline.core.cluster import ClusterOptions

    gpu = bool(getattr(args, "model_dir", None)) and getattr(args, "device", "cpu") != "cpu"
    return ClusterOptions(address=args.cluster, actors=args.cluster_workers,
                          gpus_per_actor=1.0 if gpu else 0.0)


@contextlib.contextmanager
def cluster_session(args: argparse.Namespace) -> Iterator[ClusterFitter | None]:
    """Workers for the whole command when ``--cluster`` is given, else None."""
    if not getattr(args, "cluster", None) or getattr(args, "cluster_in_daemon", False):
        yield None
        return
    from dubline.bridge.cli import catalog_options
    from dubline.core.cluster import ClusterFitter

    with ClusterFitter(cluster_options(args), catalog_factory(catalog_options(args))) as fitter:
        yield fitter


# -- dubline batch ----------------------------------------------------------------------------

@dataclass(frozen=True)
class BatchJob:
    """One entry of a jobs file: what to dub, where to, with which voice."""

    input: Path
    out: Path
    voice: str | None = None
    fps: str | None = None


def read_jobs(path: Path) -> list[BatchJob]:
    """``[[job]]`` tables with ``input`` and ``out`` (relative to the jobs file), optional
    ``voice`` and ``fps``; a ``[defaults]`` table fills what a job leaves out."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise InputError(f"{path}: cannot read the jobs file ({e})") from None
    defaults = data.get("defaults", {})
    entries = data.get("job")
    if not isinstance(entries, list) or not entries:
        raise InputError(f"{path}: no [[job]] entries (each needs input = ... and out = ...)")
    jobs, known = [], {"input", "out", "voice", "fps"}
    for n, entry in enumerate(entries, 1):
        merged = {**defaults, **entry} if isinstance(entry, dict) else None
        if merged is None or not {"input", "out"} <= merged.keys():
            raise InputError(f"{path}: job {n} needs input = ... and out = ...")
        unknown = sorted(set(merged) - known)
        if unknown:
            raise InputError(f"{path}: job {n}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")
        jobs.append(BatchJob(input=path.parent / merged["input"], out=path.parent / merged["out"],
                             voice=merged.get("voice"), fps=merged.get("fps")))
    outs = [j.out.resolve() for j in jobs]
    if len(set(outs)) != len(outs):
        raise InputError(f"{path}: two jobs write to the same out folder")
    return jobs


def _job_lines(job: BatchJob, args: argparse.Namespace):
    from dubline.core.snap import snap_to_frames
    from dubline.core.subtitles import SubtitleOptions, read_lines
    from dubline.core.timebase import FrameRate

    if job.input.suffix.lower() in {".otio", ".xml", ".edl", ".otioz"}:
        from dubline.core.otio_read import OtioReadOptions, lines_from_timeline, load_timeline

        return lines_from_timeline(load_timeline(job.input), OtioReadOptions(), job.input).lines
    lines = read_lines(job.input, SubtitleOptions(on_error=args.on_error))
    return snap_to_frames(lines, FrameRate.parse(job.fps)) if job.fps else lines


def cmd_batch(args: argparse.Namespace) -> int:
    """Every job of the jobs file, on one set of workers, under one progress bar."""
    from tqdm import tqdm

    from dubline.bridge.cli import dub_catalog, dub_options
    from dubline.core.render import JobDone, LineDone, LineFailed, dub

    jobs = read_jobs(args.jobs)
    prepared = [(job, _job_lines(job, args)) for job in jobs]  # every input checked before any audio
    built = dub_catalog(args)
    base: DubOptions = replace(dub_options(args), fitter=getattr(args, "fitter", None))
    total = sum(len(lines) for _, lines in prepared)
    summary = []
    with tqdm(total=total, unit="line", disable=args.quiet or None, file=sys.stderr) as bar:
        for job, lines in prepared:
            lines, options = built.apply(lines, replace(base, out_dir=job.out, voice=job.voice or base.voice))
            for event in dub(lines, options, built.catalog):
                if isinstance(event, (LineDone, LineFailed)):
                    bar.update(1)
                    if isinstance(event, LineFailed):
                        tqdm.write(f"{job.input}: failed: {event.error}", file=sys.stderr)
                elif isinstance(event, JobDone):
                    summary.append((job, event.report.summary()))
    failed = 0
    for job, s in summary:
        failed += s["failed"]
        print(f"{job.input} -> {job.out}: {s['lines']} lines, flagged {s['flagged']}, failed {s['failed']}")
    print(f"{len(summary)} jobs, {sum(s['lines'] for _, s in summary)} lines, failed {failed}")
    return 1 if failed else 0


def add_batch_parser(sub, add_dub_options) -> None:
    p = sub.add_parser("batch", help="dub every job of a jobs file (TOML) with one progress view")
    p.add_argument("jobs", type=Path, help="jobs.toml: [[job]] tables with input, out, optional voice and fps")
    add_dub_options(p, output=False)
    p.add_argument("--on-error", choices=("error", "skip", "fix"), default="error",
                   help="bad cues stop the run (default), are skipped, or fixed where possible")
    add_cluster_options(p)
    p.set_defaults(func=cmd_batch)
