"""GetPlan: a finished job's stems as placements on an editor's timeline (core.placement on the wire)."""
from __future__ import annotations

from pathlib import Path

import grpc

from dubline.core.placement import CLIP_PREFIX, TAG_PREFIX, TICKS_PER_SECOND, PlanOptions, plan_placements
from dubline.core.report import LineResult

from . import convert
from ._proto import dubline_pb2 as pb
from .errors import ServiceError
from .jobs import JobRecord


def _line_result(msg: pb.LineResult) -> LineResult:
    return LineResult(id=msg.line_id, text=msg.text, voice=msg.voice, start_sample=msg.start_sample,
                      end_sample=msg.end_sample, file=Path(msg.file), natural_seconds=0.0, target_seconds=0.0,
                      factor=msg.factor, method=msg.method, warnings=tuple(msg.warnings), sha256=msg.sha256)


def plan_message(job: JobRecord, req: pb.GetPlanRequest) -> pb.Plan:
    """The plan for ``job`` at the request's timeline rate and start; the job must be finished."""
    if not job.finished:
        raise ServiceError(grpc.StatusCode.FAILED_PRECONDITION,
                           f"job {job.id!r} is still running: ask for its plan after its jobDone event")
    if job.state == pb.JOB_STATE_CANCELLED:
        raise ServiceError(grpc.StatusCode.FAILED_PRECONDITION, f"job {job.id!r} was cancelled: nothing to place")
    rate = convert.frame_rate(req.rate, "GetPlan.rate")
    results = [job.results[i] for i in sorted(job.results)]
    if not results:
        raise ServiceError(grpc.StatusCode.FAILED_PRECONDITION,
                           f"job {job.id!r} has no finished lines to place ({len(job.errors)} failed)")
    sample_rate = results[0].sample_rate or job.spec.output.sample_rate or 48000
    plan = plan_placements([_line_result(r) for r in results], sample_rate,
                           PlanOptions(rate, req.timeline_start_frame, req.track_name))
    return pb.Plan(
        job_id=job.id,
        rate=pb.FrameRate(num=rate.num, den=rate.den, drop_frame=rate.drop_frame),
        timeline_start_frame=plan.timeline_start_frame,
        placements=[pb.Placement(**vars(p)) for p in plan.placements],
        tracks=plan.tracks,
        warnings=plan.warnings,
        errors=job.errors,
        clip_prefix=CLIP_PREFIX,
        tag_prefix=TAG_PREFIX,
        ticks_per_second=TICKS_PER_SECOND,
    )
