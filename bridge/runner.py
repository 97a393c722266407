"""One work queue per device: jobs run one at a time, lines in order, through ``dub()``.

Every engine call for a device goes through that device's single worker thread, so a job and
an ad-hoc Synthesize never race for the same GPU; Synthesize calls slip in between lines.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from dubline.core.catalog import Catalog
from dubline.core.cluster import ClusterFitter
from dubline.core.errors import DublineError
from dubline.core.lines import Line
from dubline.core.render import DubOptions, JobDone, LineDone, LineFailed, LineStarted, dub

from . import convert
from ._proto import dubline_pb2 as pb
from .errors import status_for
from .jobs import JobRecord, JobStore, line_key

log = logging.getLogger(__name__)
_END = object()


class DeviceQueue:
    """A device's worker thread and its queue of jobs."""

    def __init__(self, device: str):
        self.device = device
        self.executor = ThreadPoolExecutor(1, thread_name_prefix=f"dubline-{device}")
        self.jobs: asyncio.Queue[tuple[JobRecord, list[Line], DubOptions]] = asyncio.Queue()
        self.waiting: list[JobRecord] = []
        self.current: JobRecord | None = None
        self._task: asyncio.Task | None = None

    async def call(self, fn: Callable, *args):
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def start(self, run: Callable) -> None:
        self._task = asyncio.create_task(self._work(run), name=f"dubline-queue-{self.device}")

    def put(self, job: JobRecord, lines: list[Line], options: DubOptions) -> int:
        """Queue a job; returns how many jobs are ahead of it."""
        ahead = len(self.waiting) + (self.current is not None)
        self.waiting.append(job)
        self.jobs.put_nowait((job, lines, options))
        return ahead

    async def _work(self, run: Callable) -> None:
        while True:
            job, lines, options = await self.jobs.get()
            self.waiting.remove(job)
            if job.finished:  # cancelled while queued
                continue
            self.current = job
            try:
                await run(self, job, lines, options)
            except Exception:  # a bug must not kill the queue
                log.exception("job %s crashed", job.id)
            finally:
                self.current = None

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self.executor.shutdown(wait=False, cancel_futures=True)


class JobRunner:
    """Runs one job's ``dub()`` generator a step at a time on its device's thread."""

    def __init__(self, catalog: Catalog, store: JobStore, fitter: ClusterFitter | None = None):
        self.catalog = catalog
        self.store = store
        self.fitter = fitter  # serve --cluster: lines are fitted on the cluster's workers

    async def run(self, queue: DeviceQueue, job: JobRecord, lines: list[Line], options: DubOptions) -> None:
        job.state = pb.JOB_STATE_RUNNING
        await queue.call(self.store.save_job, job)
        rate = options.sample_rate

        keys: dict[str, str] = {}  # line id -> line_key, filled as dub() offers each slot

        def reuse(slot):
            keys[slot.line.id] = key = line_key(slot, options)
            return self.store.reusable(job.id, slot, key)

        def step(gen):
            return next(gen, _END)

        gen = dub(lines, replace(options, reuse=reuse, keep_going=True, fitter=self.fitter), self.catalog)
        try:
            while True:
                if job.cancel.is_set():
                    await queue.call(gen.close)
                    await self._finish(queue, job, job.state if job.finished else pb.JOB_STATE_CANCELLED)
                    return
                event = await queue.call(step, gen)
                if event is _END:
                    break
                if isinstance(event, LineStarted):
                    await job.emit(line_started=pb.LineStarted(line_id=event.line.id, index=event.index))
                elif isinstance(event, LineDone):
                    result = convert.line_result(event.result, rate)
                    job.results[event.index] = result
                    if event.reused:
                        job.reused += 1
                    else:
                        await queue.call(self.store.save_line, job.id, keys[event.result.id], event.result)
                    await job.emit(line_done=pb.LineDone(index=event.index, result=result, reused=event.reused))
                elif isinstance(event, LineFailed):
                    err = pb.LineError(line_id=event.line.id, index=event.index, code="INTERNAL", message=event.error)
                    job.errors.append(err)
                    await job.emit(line_error=err)
                elif isinstance(event, JobDone):
                    job.track_file = str(event.report.track)
                    job.report_file = str(options.out_dir.resolve() / "report.json")
        except (DublineError, OSError) as e:
            code, message = status_for(e)
            job.error = f"{code.name}: {message}"
            await self._finish(queue, job, pb.JOB_STATE_FAILED)
            return
        await self._finish(queue, job, pb.JOB_STATE_FAILED if job.errors else pb.JOB_STATE_DONE)

    async def _finish(self, queue: DeviceQueue, job: JobRecord, state: pb.JobState) -> None:
        job.state = state
        await queue.call(self.store.save_job, job)
        await job.emit(job_done=pb.JobDone(job=job.message()))
        log.info("job %s %s: %d done (%d reused), %d failed", job.id, pb.JobState.Name(state),
                 len(job.results), job.reused, len(job.errors))

