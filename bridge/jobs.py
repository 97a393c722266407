"""Jobs in memory (state, events, watchers) and on disk (spec, per-line results).

On disk, under ``<state dir>/jobs/<job id>/``: ``job.json`` (the request in protobuf JSON,
state, output dir) and ``lines/<hash of line id>.json`` (one finished line's result and the
key of everything that determined it). A restarted daemon reads these back; a resubmitted
job reuses each finished line whose key and stem sha256 still match.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from dubline.core.cache import digest
from dubline.core.files import atomic_path
from dubline.core.outputs import intact
from dubline.core.render import DubOptions, Slot
from dubline.core.report import LineResult
from google.protobuf import json_format

from ._proto import dubline_pb2 as pb

log = logging.getLogger(__name__)

FINISHED = frozenset({pb.JOB_STATE_DONE, pb.JOB_STATE_FAILED, pb.JOB_STATE_CANCELLED, pb.JOB_STATE_INTERRUPTED})


def derive_job_id(spec: pb.SubmitJobRequest) -> str:
    """Identical requests get the same id, so resubmitting after a crash resumes the job."""
    body = pb.SubmitJobRequest()
    body.CopyFrom(spec)
    body.job_id = ""
    body.detached = False
    return "j" + hashlib.sha256(body.SerializeToString(deterministic=True)).hexdigest()[:20]


@dataclass
class JobRecord:
    id: str
    spec: pb.SubmitJobRequest
    out_dir: Path
    device: str
    created_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    state: pb.JobState = pb.JOB_STATE_QUEUED
    results: dict[int, pb.LineResult] = field(default_factory=dict)
    errors: list[pb.LineError] = field(default_factory=list)
    reused: int = 0
    error: str = ""
    track_file: str = ""
    report_file: str = ""
    events: list[pb.JobEvent] = field(default_factory=list)
    watchers: int = 0
    cancel: threading.Event = field(default_factory=threading.Event)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    def message(self, with_results: bool = False) -> pb.Job:
        job = pb.Job(
            id=self.id, name=self.spec.name, state=self.state, total_lines=len(self.spec.lines),
            done_lines=len(self.results), failed_lines=len(self.errors), output_dir=str(self.out_dir),
            created_unix_ms=self.created_ms, errors=self.errors, error=self.error,
            track_file=self.track_file, report_file=self.report_file, reused_lines=self.reused,
        )
        if with_results:
            job.results.extend(self.results[i] for i in sorted(self.results))
        return job

    async def emit(self, **event) -> None:
        """Append an event (on the event loop) and wake every watcher."""
        self.events.append(pb.JobEvent(job_id=self.id, sequence=len(self.events), unix_ms=int(time.time() * 1000),
                                       **event))
        async with self.changed:
            self.changed.notify_all()

    def reset_run(self) -> None:
        self.state = pb.JOB_STATE_QUEUED
        self.results.clear()
        self.errors.clear()
        self.reused = 0
        self.error = self.track_file = self.report_file = ""
        self.events = []
        self.cancel = threading.Event()


def line_key(slot: Slot, options: DubOptions) -> str:
    """Everything that determines a line's stem, hashed; reference clips by their content."""
    ln = slot.line
    return digest({"id": ln.id, "text": ln.text, "voice": slot.voice, "emotion": ln.emotion,
                   "samples": [slot.start, slot.end], "gap": slot.gap if options.fit.borrow_gap else 0,
                   "file": str(slot.file), "rate": options.sample_rate, "bits": options.bit_depth,
                   "fit": options.fit, "seed": options.seed})


class JobStore:
    """The jobs directory under the state dir."""

    def __init__(self, state_dir: Path):
        self.root = Path(state_dir) / "jobs"
        self.root.mkdir(parents=True, exist_ok=True)

    def _dir(self, job_id: str) -> Path:
        return self.root / job_id

    def save_job(self, job: JobRecord) -> None:
        data = {
            "id": job.id, "state": pb.JobState.Name(job.state), "out_dir": str(job.out_dir),
            "device": job.device, "created_ms": job.created_ms, "error": job.error,
            "track_file": job.track_file, "report_file": job.report_file,
            "spec": json_format.MessageToDict(job.spec),
        }
        with atomic_path(self._dir(job.id) / "job.json") as tmp:
            tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")

    def load_jobs(self) -> list[JobRecord]:
        """Every job on disk; ones that were queued or running are marked interrupted."""
        jobs = []
        for path in sorted(self.root.glob("*/job.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                spec = json_format.ParseDict(data["spec"], pb.SubmitJobRequest())
            except (OSError, ValueError, KeyError, json_format.ParseError) as e:
                log.warning("skipping unreadable job state %s: %s", path, e)
                continue
            job = JobRecord(id=data["id"], spec=spec, out_dir=Path(data["out_dir"]), device=data["device"],
                            created_ms=data["created_ms"], state=pb.JobState.Value(data["state"]),
                            error=data.get("error", ""), track_file=data.get("track_file", ""),
                            report_file=data.get("report_file", ""))
            if not job.finished:
                job.state = pb.JOB_STATE_INTERRUPTED
                job.error = "the server stopped while this job ran; resubmit it to resume"
            jobs.append(job)
        return jobs

    def _line_path(self, job_id: str, line_id: str) -> Path:
        return self._dir(job_id) / "lines" / (hashlib.sha256(line_id.encode()).hexdigest()[:24] + ".json")

    def save_line(self, job_id: str, key: str, result: LineResult) -> None:
        with atomic_path(self._line_path(job_id, result.id)) as tmp:
            tmp.write_text(json.dumps({"key": key, "result": result.to_dict()}), encoding="utf-8")

    def reusable(self, job_id: str, slot: Slot, key: str) -> LineResult | None:
        """The stored result for ``slot`` if its ``line_key`` is unchanged and its stem is intact."""
        path = self._line_path(job_id, slot.line.id)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        r = data["result"]
        if data.get("key") != key:
            return None
        stem = Path(r["file"])
        if stem != slot.file.resolve() or not intact(stem, r["sha256"]):  # in place, or staged
            return None
        r = dict(r, file=stem, warnings=tuple(r["warnings"]))
        return LineResult(**r)
