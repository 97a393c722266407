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
from collections import Counter
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

CLAIM_SECONDS = 10.0
FINISHED = frozenset({pb.JOB_STATE_DONE, pb.JOB_STATE_FAILED, pb.JOB_STATE_CANCELLED, pb.JOB_STATE_INTERRUPTED})


def derive_job_id(spec: pb.SubmitJobRequest) -> str:
    """Identical requests get the same id, so resubmitting after a crash resumes the job."""
    body = pb.SubmitJobRequest()
    body.CopyFrom(spec)
    body.job_id = ""
    body.detached = False
    body.owner = ""  # a new client (new owner) resubmitting after a crash resumes the job
    return "j" + hashlib.sha256(body.SerializeToString(deterministic=True)).hexdigest()[:20]


class Holders:
    """Who keeps a non-detached job alive: the owners that submitted it (issue 14).

    A job's lifetime belongs to its submitters. An owner's open watches hold the job; a
    submit (first or repeated) whose owner has not started watching yet holds it too, for
    CLAIM_SECONDS, so a client that drops its stream and resubmits at once keeps the job it
    resubmitted. Watches of other owners only observe: they neither hold the job nor cancel
    it by leaving, so dropping someone else's watch cannot cancel their job.
    """

    def __init__(self) -> None:
        self.owners: set[str] = set()
        self.watches: Counter[str] = Counter()
        self.claims: dict[str, list[float]] = {}  # owner -> deadlines (time.monotonic())

    def submitted(self, owner: str) -> None:
        self.owners.add(owner)
        self.claims.setdefault(owner, []).append(time.monotonic() + CLAIM_SECONDS)

    def new_run(self) -> None:
        """A resubmit after the job ended: the previous run's submitters hold nothing now."""
        self.owners.clear()
        self.claims.clear()

    def watch(self, owner: str) -> None:
        self.watches[owner] += 1
        if self.claims.get(owner):
            self.claims[owner].pop(0)  # the submitter is watching now

    def unwatch(self, owner: str) -> bool:
        """One watch ended; True when it was one of the submitters' (so it held the job)."""
        self.watches[owner] -= 1
        if self.watches[owner] <= 0:
            del self.watches[owner]
        return owner in self.owners

    @property
    def watched(self) -> bool:
        """A submitter still watches."""
        return any(self.watches[o] > 0 for o in self.owners)

    def claimed_for(self) -> float:
        """Seconds until the last outstanding claim lapses; 0 when none is outstanding."""
        now = time.monotonic()
        live = [c for owner in self.owners for c in self.claims.get(owner, ()) if c > now]
        return max(live, default=now) - now


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
    holders: Holders = field(default_factory=Holders)
    # Which run of this record is current: a run that was cancelled or superseded by a
    # resubmit finishes its line in the background and must then touch nothing.
    run: int = 0
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
        self.holders.new_run()
        self.run += 1


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
