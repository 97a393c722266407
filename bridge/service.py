"""The Dubline service, transport-free: request messages in, reply messages out.

The gRPC servicer (``server``) and the HTTP/JSON gateway (``gateway``) are thin adapters over
this class, so both speak exactly the same semantics; errors leave as ``ServiceError`` or
library exceptions and each transport maps them with ``errors.status_for``.
"""
from __future__ import annotations

import asyncio
import io
import logging
import platform
import re
import unicodedata
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import soundfile as sf
from dubline.core.audio import resample, subtype
from dubline.core.catalog import AUTO, Catalog
from dubline.core.cluster import ClusterFitter, ClusterOptions
from dubline.core.engines.base import SynthesisControls
from dubline.core.fit import fit_line
from dubline.core.render import DubOptions, plan
from dubline.core.timebase import ticks_to_samples
from dubline.core.voices import VoiceMap

from . import convert
from ._proto import dubline_pb2 as pb
from .confine import confine
from .errors import ServiceError, invalid, not_found
from .jobs import JobRecord, JobStore, derive_job_id
from .plans import plan_message
from .runner import DeviceQueue, JobRunner
from .voices import VoiceRegistry, check_emotion_reference

log = logging.getLogger(__name__)
_JOB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
API = "dubline.v1"


@dataclass(frozen=True)
class ServiceOptions:
    output_root: Path
    state_dir: Path
    engines: tuple[str, ...] = ("piper",)  # loaded at start, once
    max_lines_per_job: int = 5000
    max_text_chars: int = 1000
    max_message_bytes: int = 32 * 1024 * 1024
    max_target_samples: int = 48000 * 600  # ten minutes at 48 kHz (Synthesize)
    max_line_seconds: int = 600  # one job line's slot; longer is refused at submit
    max_timeline_seconds: int = 6 * 3600  # a job's last line must end by then (the track's length)
    max_id_chars: int = 128  # line ids, speakers, voice names
    max_path_chars: int = 1024  # output_dir and other relative paths
    extra_versions: dict[str, str] = field(default_factory=dict)
    # Jobs' lines synthesized on a Ray cluster (``serve --cluster``); None: on this machine.
    cluster: ClusterOptions | None = None
    worker_catalog: Callable[[], Catalog] = Catalog  # what each cluster worker loads
    # ``serve --voices``: speaker voices and emotions for jobs that do not set their own
    voice_map: VoiceMap = field(default_factory=VoiceMap)


class DublineService:
    def __init__(self, options: ServiceOptions, catalog: Catalog | None = None):
        self.options = options
        self.catalog = catalog or Catalog()
        self.root = Path(options.output_root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.store = JobStore(options.state_dir)
        self.voices = VoiceRegistry(options.state_dir, self.catalog)
        self.runner = JobRunner(self.catalog, self.store)
        self.queues: dict[str, DeviceQueue] = {}
        self.jobs: dict[str, JobRecord] = {}
        self.ready = asyncio.Event()

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Load the models once (on their devices' threads) and read back jobs from disk."""
        for job in self.store.load_jobs():
            self.jobs[job.id] = job
        for name in self.options.engines:
            engine = await asyncio.get_running_loop().run_in_executor(None, self.catalog.engine, name)
            self._queue(engine.capabilities.device)
            log.info("loaded engine %s (%s) on %s", name, engine.model_version, engine.capabilities.device)
        if self.options.cluster is not None:
            self.runner.fitter = await asyncio.get_running_loop().run_in_executor(
                None, ClusterFitter, self.options.cluster, self.options.worker_catalog)
        self.ready.set()

    async def close(self) -> None:
        """Stop running jobs as interrupted (resumable) and stop the device threads."""
        for job in self.jobs.values():
            if not job.finished:
                job.state = pb.JOB_STATE_INTERRUPTED
                job.error = "the server shut down; resubmit the job to resume it"
                job.cancel.set()
                self.store.save_job(job)
                await job.emit(job_done=pb.JobDone(job=job.message()))
        for q in self.queues.values():
            await q.close()
        if self.runner.fitter is not None:
            self.runner.fitter.close()

    def _queue(self, device: str) -> DeviceQueue:
        if device not in self.queues:
            q = DeviceQueue(device)
            q.start(self.runner.run)
            self.queues[device] = q
        return self.queues[device]

    async def _ready(self) -> None:
        if not self.ready.is_set():
            try:
                await asyncio.wait_for(self.ready.wait(), 120)
            except asyncio.TimeoutError:
                raise ServiceError(grpc.StatusCode.UNAVAILABLE, "the daemon is still loading its models") from None

    # -- info and voices ---------------------------------------------------------------

    async def get_server_info(self, req: pb.GetServerInfoRequest) -> pb.ServerInfo:
        await self._ready()
        import google.protobuf
        import onnxruntime


        versions = {"python": platform.python_version(), "grpcio": grpc.__version__,
                    "protobuf": google.protobuf.__version__, "onnxruntime": onnxruntime.__version__,
                    **self.options.extra_versions}
        engines = []
        for name in self.options.engines:
            engines.append(convert.engine_info(name, self.catalog.engine(name)))
        return pb.ServerInfo(
            server_version=_version(), api=API, engines=engines,
            voices=(await self.list_voices(pb.ListVoicesRequest())).voices,
            devices=sorted(self.queues), versions=versions, output_root=str(self.root),
            limits=pb.Limits(max_lines_per_job=self.options.max_lines_per_job,
                             max_text_chars=self.options.max_text_chars,
                             max_message_bytes=self.options.max_message_bytes),
        )

    async def list_voices(self, req: pb.ListVoicesRequest) -> pb.ListVoicesResponse:
        return pb.ListVoicesResponse(voices=[convert.voice_info(v, v.name in self.voices.builtin)
                                             for v in self.catalog.voices()])

    async def register_voice(self, req: pb.RegisterVoiceRequest) -> pb.RegisterVoiceResponse:
        await self._ready()
        kind = req.WhichOneof("reference")
        if kind is None:
            raise invalid("RegisterVoice needs reference audio: set audio (bytes) or path (under the output root)")
        if kind == "path":
            src = confine(self.root, req.path)
            if not src.is_file():
                raise not_found(f"reference audio {src} does not exist")
            data = src.read_bytes()
        else:
            data = req.audio
        name = req.engine or self._cloning_engine() or self.options.engines[0]
        if name not in self.options.engines:
            raise not_found(f"engine {name!r} is not loaded (loaded: {', '.join(self.options.engines)})")
        engine = self.catalog.engine(name)
        preset = next((v.preset for v in engine.voices()), None)
        return self.voices.register(req, data, name, engine.capabilities.cloning, preset)

    def _cloning_engine(self) -> str | None:
        for name in self.options.engines:
            if self.catalog.engine(name).capabilities.cloning:
                return name
        return None

    async def delete_voice(self, req: pb.DeleteVoiceRequest) -> pb.DeleteVoiceResponse:
        self.voices.delete(req.name)
        return pb.DeleteVoiceResponse()

    # -- one line ----------------------------------------------------------------------

    async def synthesize(self, req: pb.SynthesizeRequest) -> pb.SynthesizeResponse:
        await self._ready()
        self._check_text(req.text, "request")
        sr = req.sample_rate or 48000
        bit_depth = req.bit_depth or 16
        self._check_bit_depth(bit_depth)
        self._check_name(req.voice, "voice")
        DubOptions(out_dir=self.root, sample_rate=sr)  # validates the rate
        voice = self.catalog.voice(req.voice) if req.voice and req.voice != AUTO else self.catalog.auto_voice(req.text)
        target = self._target_samples(req.target, sr) if req.HasField("target") else None
        engine = self.catalog.engine(voice.engine)
        controls = SynthesisControls(seed=req.seed, emotion=convert.emotion(req.emotion, "request", self.root)
                                     if req.HasField("emotion") else None)
        if controls.emotion is not None and controls.emotion.reference is not None:
            check_emotion_reference(Path(controls.emotion.reference), "request")
        policy = convert.fit_policy(req.fit if req.HasField("fit") else None)

        def work():
            if target is None:
                take = engine.synthesize(req.text, voice, controls)
                audio = resample(take.audio, take.sample_rate, sr)
                return audio, len(audio), 1.0, take.method, list(take.warnings)
            fitted = fit_line(engine, voice, req.text, controls, target, sr, policy)
            natural = round(fitted.natural_seconds * sr)
            return fitted.audio, natural, fitted.factor, fitted.method, list(fitted.warnings)

        audio, natural, factor, method, warnings = await self._queue(engine.capabilities.device).call(work)
        buf = io.BytesIO()
        sf.write(buf, audio, sr, subtype=subtype(bit_depth), format="WAV")
        return pb.SynthesizeResponse(wav=buf.getvalue(), sample_rate=sr, samples=len(audio), natural_samples=natural,
                                     factor=factor, method=method, warnings=warnings, voice=voice.name)

    def _target_samples(self, msg: pb.Duration, sr: int) -> int:
        kind = msg.WhichOneof("kind")
        if kind == "samples":
            n = msg.samples
        elif kind == "frames":
            rate = convert.frame_rate(msg.frames.rate, "target")
            n = ticks_to_samples(msg.frames.frames, rate.fps, sr)
        else:
            raise invalid("target is set but empty: give target.samples or target.frames")
        if n <= 0:
            raise invalid(f"impossible target: {n} samples; a line needs a positive length")
        if n > self.options.max_target_samples * sr // 48000:
            limit = self.options.max_target_samples // 48000
            raise invalid(f"impossible target: {n} samples is longer than the {limit} s a single line may last")
        return n

    def _check_text(self, text: str, where: str) -> None:
        if len(text) > self.options.max_text_chars:
            raise invalid(f"{where}: text is {len(text)} characters; the limit is {self.options.max_text_chars}")
        bad = next((c for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n\r"), None)
        if bad is not None:
            raise invalid(f"{where}: text holds the control character U+{ord(bad):04X}; remove it")
        if not any(unicodedata.category(c)[0] in "LN" for c in text):
            raise invalid(f"{where}: empty text (no letter or digit to say); every line needs something to say")

    def _check_name(self, value: str, what: str, limit: int | None = None) -> None:
        limit = limit or self.options.max_id_chars
        if len(value) > limit:
            raise invalid(f"{what} {value[:40]!r}... is {len(value)} characters; the limit is {limit}")
        if any(unicodedata.category(c) == "Cc" for c in value):
            raise invalid(f"{what} {value[:40]!r} holds a control character")

    def _check_path(self, value: str, what: str) -> None:
        self._check_name(value, what, self.options.max_path_chars)
        long = next((part for part in value.replace("\\", "/").split("/") if len(part.encode()) > 255), None)
        if long is not None:
            raise invalid(f"{what}: the folder name {long[:40]!r}... is over 255 bytes")

    @staticmethod
    def _check_bit_depth(bit_depth: int) -> None:
        if bit_depth not in (16, 24, 32):
            raise invalid(f"bit depth {bit_depth} is not supported (use 16, 24 or 32)")

    # -- jobs --------------------------------------------------------------------------

    async def submit_job(self, req: pb.SubmitJobRequest) -> pb.SubmitJobResponse:
        await self._ready()
        # Validation and planning of up to max_lines_per_job lines take seconds: off the event
        # loop, so health checks and other clients are answered meanwhile.
        prepared = await asyncio.to_thread(self._prepare_job, req)
        job_id, lines, options, device = prepared
        existing = self.jobs.get(job_id)
        if existing is not None and not existing.finished:
            existing.holders.submitted(req.owner)
            return pb.SubmitJobResponse(job=existing.message(), resumed=True)
        job = existing or JobRecord(id=job_id, spec=req, out_dir=options.out_dir, device=device)
        if existing is not None:
            job.reset_run()
            job.spec, job.out_dir, job.device = req, options.out_dir, device
        job.holders.submitted(req.owner)
        self.jobs[job_id] = job
        queue = self._queue(device)
        ahead = queue.put(job, lines, options)
        await job.emit(queued=pb.JobQueued(position=ahead, total_lines=len(lines), device=device))
        reply = pb.SubmitJobResponse(job=job.message(), resumed=existing is not None)
        await asyncio.to_thread(self.store.save_job, job)
        return reply

    def _prepare_job(self, req: pb.SubmitJobRequest) -> tuple[str, list, DubOptions, str]:
        """Everything about a submit that needs no daemon state: checks, lines, plan (a worker thread)."""
        o = self.options
        n = len(req.lines)
        if n == 0:
            raise invalid("SubmitJob has no lines")
        if n > o.max_lines_per_job:
            raise invalid(f"SubmitJob has {n} lines; the limit is {o.max_lines_per_job} per job: split it")
        if req.job_id and not _JOB_ID.fullmatch(req.job_id):
            raise invalid(f"job_id {req.job_id[:80]!r}: use 1-64 letters, digits, '_' or '-'")
        self._check_name(req.name, "job name", 256)
        self._check_name(req.default_voice, "default_voice")
        self._check_name(req.owner, "owner")
        for speaker, voice in req.speakers.items():
            self._check_name(speaker, "speaker")
            self._check_name(voice, f"voice of speaker {speaker!r}")
        out = req.output
        self._check_path(out.output_dir, "output_dir")
        job_id = req.job_id or derive_job_id(req)
        sr = out.sample_rate or 48000
        bit_depth = out.bit_depth or 16
        self._check_bit_depth(bit_depth)
        DubOptions(out_dir=self.root, sample_rate=sr)  # validates the rate
        lines = []
        checked: set[Path] = set()  # emotion reference clips, each read once per submit
        for i, msg in enumerate(req.lines):
            if not msg.id:
                raise invalid(f"line {i + 1} has no id; give every line the stable id of its source")
            self._check_name(msg.id, f"line {i + 1}'s id")
            where = f"line {msg.id!r}"
            self._check_text(msg.text, where)
            self._check_name(msg.speaker, f"{where}: speaker")
            self._check_name(msg.voice, f"{where}: voice")
            ln = convert.line(msg, sr, self.root)
            self._check_extent(ln, where)
            clip = ln.emotion.reference if ln.emotion is not None else None
            if clip is not None and Path(clip) not in checked:
                check_emotion_reference(Path(clip), where)
                checked.add(Path(clip))
            lines.append(ln)
        defaults = self.options.voice_map
        speakers = {**defaults.speakers, **dict(req.speakers)}
        lines = defaults.apply(lines)
        default_voice = req.default_voice or AUTO
        for ln in lines:
            self.catalog.for_line(ln, default_voice, speakers)  # VoiceError -> NOT_FOUND
        out_dir = confine(self.root, out.output_dir or f"jobs/{job_id}")
        options = DubOptions(out_dir=out_dir, sample_rate=sr, bit_depth=bit_depth, voice=default_voice,
                             speakers=speakers, fit=convert.fit_policy(req.fit if req.HasField("fit") else None),
                             seed=req.seed, keep_going=True, output_root=self.root)
        slots = plan(lines, options, self.catalog)  # InputError -> INVALID_ARGUMENT, before any audio
        device = self.catalog.engine(slots[0].voice.engine).capabilities.device
        return job_id, lines, options, device

    def _check_extent(self, ln, where: str) -> None:
        """A line's slot and end are bounded: they decide how much audio (and memory) a job makes."""
        o = self.options
        if ln.range.duration_seconds > o.max_line_seconds:
            raise invalid(f"{where}: its slot lasts {float(ln.range.duration_seconds):.1f} s; "
                          f"the limit is {o.max_line_seconds} s per line")
        if ln.range.end_seconds > o.max_timeline_seconds:
            raise invalid(f"{where}: it ends at {float(ln.range.end_seconds):.0f} s; the timeline may last "
                          f"{o.max_timeline_seconds} s ({o.max_timeline_seconds / 3600:g} h) at most")

    def _job(self, job_id: str) -> JobRecord:
        try:
            return self.jobs[job_id]
        except KeyError:
            raise not_found(f"no job {job_id!r} (ListJobs shows the jobs this daemon knows)") from None

    async def watch_job(self, req: pb.WatchJobRequest) -> AsyncGenerator[pb.JobEvent, None]:
        """Replay the job's events, then follow it until JobDone.

        A job not submitted ``detached`` is cancelled when the last watch of an owner that
        submitted it goes away (``Holders``); other owners' watches only observe.
        """
        self._check_name(req.owner, "owner")
        job = self._job(req.job_id)
        if job.finished and not job.events:  # read back from disk after a restart
            yield pb.JobEvent(job_id=job.id, sequence=0, job_done=pb.JobDone(job=job.message()))
            return
        owner = req.owner
        job.holders.watch(owner)
        run, seen = job.run, 0
        try:
            while True:
                async with job.changed:
                    await job.changed.wait_for(lambda: len(job.events) > seen or job.run != run)
                if job.run != run:  # resubmitted after it ended: this watch followed the old run
                    return
                events = job.events[seen:]
                seen += len(events)
                for event in events:
                    yield event
                    if event.HasField("job_done"):
                        return
        finally:
            held = job.holders.unwatch(owner)
            if held and not job.holders.watched and job.run == run and not job.spec.detached:
                await self._orphaned(job, run)

    async def _orphaned(self, job: JobRecord, run: int) -> None:
        """The submitters' last watch left: cancel, unless one resubmitted and has yet to watch."""
        wait = job.holders.claimed_for()
        if wait > 0:
            asyncio.get_running_loop().call_later(wait + 0.05, lambda: asyncio.ensure_future(self._recheck(job, run)))
            return
        if not job.finished:
            log.info("the submitter's last watch of job %s left; cancelling it", job.id)
        await self._cancel(job, "its submitter stopped watching it (submit with detached: true to keep it running)")

    async def _recheck(self, job: JobRecord, run: int) -> None:
        if not job.holders.watched and job.run == run and not job.finished:
            await self._orphaned(job, run)

    async def cancel_job(self, req: pb.CancelJobRequest) -> pb.CancelJobResponse:
        """Ends the job now; a line being synthesized finishes in the background, kept for a resume."""
        job = self._job(req.job_id)
        await self._cancel(job, "cancelled by CancelJob")
        return pb.CancelJobResponse(job=job.message())

    async def _cancel(self, job: JobRecord, why: str) -> None:
        if job.finished:
            return
        job.cancel.set()
        job.state = pb.JOB_STATE_CANCELLED
        job.error = why
        # The end event goes out before anything awaits: a resubmit may reset the record
        # at the next await, and this run's end must not land in the new run's events.
        await job.emit(job_done=pb.JobDone(job=job.message()))
        try:
            await asyncio.to_thread(self.store.save_job, job)
        except Exception as e:  # the state dir is unwritable: the cancel still stands
            log.error("job %s: cannot save its state: %s", job.id, e)

    async def get_job(self, req: pb.GetJobRequest) -> pb.Job:
        return self._job(req.job_id).message(with_results=True)

    async def get_plan(self, req: pb.GetPlanRequest) -> pb.Plan:
        if not 0 <= req.timeline_start_frame <= convert.MAX_FRAME:
            raise invalid(f"timeline_start_frame {req.timeline_start_frame} is outside 0-{convert.MAX_FRAME}")
        self._check_name(req.track_name, "track_name")
        return await asyncio.to_thread(plan_message, self._job(req.job_id), req)

    async def list_jobs(self, req: pb.ListJobsRequest) -> pb.ListJobsResponse:
        jobs = sorted(self.jobs.values(), key=lambda j: j.created_ms)
        return pb.ListJobsResponse(jobs=[j.message() for j in jobs])


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dubline")
    except PackageNotFoundError:
        return "0+unknown"
