"""Fan a job's lines out over a Ray cluster; the only module that imports ray.

The coordinator (the ``dubline`` process or the daemon) plans the job and writes every
file; Ray actors each hold the models once and return fitted audio for a slot. Because a
worker runs the same ``fit_line`` with the same seed as a local run, the stems are the
same to the sample.

Scheduling: lines are handed out a few at a time (``in_flight`` per actor) and an actor
that asks for work gets the earliest pending line of the voice it spoke last, so a
voice's conditioning stays warm on one actor while no actor idles. Before a run of lines
of one voice an actor gets ``Engine.prepare`` with them, which is how the GPU engine
batches. A dead actor (node lost, OOM, ``ray.kill``) has its unfinished lines re-run on
the others; when none is left the job fails with ``ClusterError``.
"""
from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .catalog import Catalog
from . import errors
from .errors import ClusterError, DublineError, InputError
from .fit import FitResult, FitTask

log = logging.getLogger(__name__)

INSTALL = "pip install 'dubline[cluster]'"


@dataclass(frozen=True)
class ClusterOptions:
    """Where the cluster is and how many workers to run on it.

    ``address``: ``auto`` (the cluster ``ray start`` made on this machine), ``HOST:PORT``,
    ``ray://HOST:10001`` (Ray Client), or ``local`` / ``local:N`` (start a private cluster of
    N CPUs inside this process, for a laptop or the tests).
    ``actors``: workers to start (default: one per GPU when ``gpus_per_actor`` > 0, else
    one per CPU of the cluster). ``in_flight``: lines queued on each actor at a time.
    """

    address: str = "auto"
    actors: int | None = None
    gpus_per_actor: float = 0.0
    cpus_per_actor: float = 1.0
    in_flight: int = 2

    def __post_init__(self) -> None:
        if self.actors is not None and self.actors < 1:
            raise InputError(f"--cluster-actors must be at least 1, got {self.actors}")
        if self.in_flight < 1:
            raise InputError("in_flight must be at least 1")


@dataclass(frozen=True)
class _Failure:
    """A DublineError raised on a worker, carried back as plain data (exceptions with
    custom constructors do not survive pickling reliably)."""

    kind: str
    message: str

    def error(self) -> DublineError:
        cls = getattr(errors, self.kind, None)
        if not (isinstance(cls, type) and issubclass(cls, DublineError)):
            cls = DublineError
        return cls(self.message)


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ClusterError(f"--cluster needs Ray, which is not installed: {INSTALL}") from None
    return ray


class LineWorker:
    """A Ray actor's body: one catalog, its engines loaded once, fitting slot after slot."""

    def __init__(self, catalog_factory: Callable[[], Catalog]):
        self.catalog = catalog_factory()

    def pid(self) -> int:
        return os.getpid()

    def prepare(self, tasks: Sequence[FitTask]) -> None:
        if tasks:
            engine = self.catalog.engine(tasks[0].voice.engine)
            engine.prepare([t.request(engine.capabilities) for t in tasks])

    def fit(self, task: FitTask) -> FitResult | _Failure:
        try:
            return task.run(self.catalog.engine(task.voice.engine))
        except DublineError as e:
            return _Failure(type(e).__name__, str(e))


@dataclass
class _Actor:
    handle: Any
    voice: str | None = None
    running: dict[Any, FitTask] = field(default_factory=dict)  # object ref -> task


class ClusterFitter:
    """Workers on a Ray cluster that turn ``FitTask``s into ``FitResult``s.

    Use as a context manager; ``fit`` may be called for several jobs in a row (``dubline
    batch``, the daemon) and reuses the same warm actors.
    """

    def __init__(self, options: ClusterOptions, catalog_factory: Callable[[], Catalog]):
        self.options = options
        self._ray = import_ray()
        self._started_here = _connect(self._ray, options.address)
        count = options.actors or _default_actors(self._ray, options)
        remote = self._ray.remote(LineWorker).options(
            num_cpus=options.cpus_per_actor, num_gpus=options.gpus_per_actor, max_restarts=0)
        self._actors = [_Actor(remote.remote(catalog_factory)) for _ in range(count)]
        log.info("cluster: %d workers on %s", count, options.address)

    def __enter__(self) -> ClusterFitter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def workers(self) -> int:
        return len(self._actors)

    def worker_pids(self) -> list[int]:
        return list(self._ray.get([a.handle.pid.remote() for a in self._actors]))

    def kill_worker(self, index: int) -> None:
        """Kill one worker (as a lost node would); its lines go to the others."""
        self._ray.kill(self._actors[index].handle, no_restart=True)

    def close(self) -> None:
        for actor in self._actors:
            self._ray.kill(actor.handle, no_restart=True)
        self._actors = []
        if self._started_here and self._ray.is_initialized():
            self._ray.shutdown()

    def fit(self, tasks: Sequence[FitTask]) -> Generator[tuple[FitTask, FitResult | DublineError], None, None]:
        """Yield every task's result in the order of ``tasks``, as soon as it and all
        before it are done; lines keep running while the caller writes earlier ones."""
        pending: deque[FitTask] = deque(tasks)
        done: dict[int, FitResult | DublineError] = {}
        order = [t.index for t in tasks]
        by_index = {t.index: t for t in tasks}
        head = 0
        try:
            while head < len(order):
                self._dispatch(pending)
                while head < len(order) and order[head] in done:
                    yield by_index[order[head]], done.pop(order[head])
                    head += 1
                if head < len(order):
                    self._collect(pending, done)
        finally:
            self._cancel_running()

    # -- scheduling -------------------------------------------------------------------------

    def _dispatch(self, pending: deque[FitTask]) -> None:
        if not self._actors:
            raise ClusterError(f"every cluster worker is gone; {len(pending)} lines were not dubbed")
        for actor in self._actors:
            while pending and len(actor.running) < self.options.in_flight:
                batch = _next_batch(pending, actor.voice, self.options.in_flight - len(actor.running))
                if actor.voice != batch[0].voice.name or not actor.running:
                    actor.handle.prepare.remote(batch)  # ordered before the fits below
                actor.voice = batch[0].voice.name
                for task in batch:
                    actor.running[actor.handle.fit.remote(task)] = task

    def _collect(self, pending: deque[FitTask], done: dict[int, FitResult | DublineError]) -> None:
        refs = [ref for a in self._actors for ref in a.running]
        if not refs:
            return
        ready, _ = self._ray.wait(refs, num_returns=1)
        for ref in ready:
            actor = next(a for a in self._actors if ref in a.running)
            task = actor.running.pop(ref)
            try:
                value = self._ray.get(ref)
            except self._ray.exceptions.RayActorError:
                self._lose(actor, pending, extra=task)
                continue
            except self._ray.exceptions.RayTaskError as e:
                value = _Failure("EngineError", f"worker failed on line {task.index + 1}: {e.cause!r}")
            done[task.index] = value.error() if isinstance(value, _Failure) else value

    def _lose(self, actor: _Actor, pending: deque[FitTask], extra: FitTask) -> None:
        """A worker died: its unfinished lines go back to the front of the queue."""
        lost = sorted([extra, *actor.running.values()], key=lambda t: t.index)
        log.warning("cluster: a worker died; re-running its %d unfinished lines elsewhere", len(lost))
        self._actors.remove(actor)
        pending.extendleft(reversed(lost))

    def _cancel_running(self) -> None:
        for actor in self._actors:
            for ref in actor.running:
                self._ray.cancel(ref)
            actor.running.clear()


def _next_batch(pending: deque[FitTask], voice: str | None, size: int) -> list[FitTask]:
    """Up to ``size`` pending tasks of one voice: the actor's last voice if any is waiting
    (its conditioning is warm), else the voice of the earliest pending line."""
    want = voice if any(t.voice.name == voice for t in pending) else pending[0].voice.name
    batch = [t for t in pending if t.voice.name == want][:size]
    for task in batch:
        pending.remove(task)
    return batch


def _connect(ray: Any, address: str) -> bool:
    """Join (or start) the cluster; True when this call started a private one."""
    if ray.is_initialized():
        return False
    quiet = dict(include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    name, _, count = address.partition(":")
    if name == "local":
        try:
            cpus = int(count) if count else None
        except ValueError:
            raise InputError(f"--cluster local:N expects a number of CPUs, got {address!r}") from None
        # A private cluster's token set-up notice says nothing to the user of one process.
        logging.getLogger("ray").setLevel(logging.ERROR)
        ray.init(num_cpus=cpus, **quiet)
        return True
    quiet.pop("include_dashboard")
    try:
        ray.init(address=address, **quiet)
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise ClusterError(f"cannot reach the Ray cluster at {address!r} ({e}); start one with "
                           "'ray start --head' or give --cluster local:N") from None
    return False


def _default_actors(ray: Any, options: ClusterOptions) -> int:
    resources = ray.cluster_resources()
    if options.gpus_per_actor > 0:
        count = int(resources.get("GPU", 0) // options.gpus_per_actor)
        if count < 1:
            raise ClusterError("the cluster has no GPU; run CPU workers (gpus_per_actor 0) or add GPU nodes")
        return count
    return max(1, int(resources.get("CPU", 1) // options.cpus_per_actor))
