"""A synchronous Python client of the daemon, for pipeline scripts and ``dubline srt --server``.

    from dubline.bridge import Client

    with Client() as c:
        job = c.submit(lines, out_dir="ep101")
        for event in c.events(job.id):
            ...
        results = c.job(job.id).results
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path

import grpc
from dubline.core.fit import FitPolicy
from dubline.core.lines import Line

from . import convert
from ._proto import dubline_pb2 as pb
from ._proto import dubline_pb2_grpc as pb_grpc
from .auth import read_token

DEFAULT_ADDRESS = "127.0.0.1:50151"
__all__ = ["Client", "pb"]  # pb: the messages, for building requests by hand


class Client:
    """One channel to the daemon; every call carries the token from the token file.

    ``owner`` keys the jobs this client submits (random per client unless given): only this
    client's own watches cancel its non-detached jobs by going away; watching someone else's
    job never cancels it.
    """

    def __init__(self, address: str | None = None, token: str | None = None, token_file: Path | None = None,
                 timeout: float | None = 600.0, owner: str | None = None):
        self.address = address or os.environ.get("DUBLINE_ADDRESS", DEFAULT_ADDRESS)
        self.owner = owner or "py-" + secrets.token_hex(8)
        self._metadata = (("authorization", f"Bearer {token or read_token(token_file)}"),)
        self._channel = grpc.insecure_channel(self.address, options=[
            ("grpc.max_receive_message_length", 64 * 1024 * 1024),
            ("grpc.max_send_message_length", 64 * 1024 * 1024)])
        self._stub = pb_grpc.DublineStub(self._channel)
        self.timeout = timeout

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._channel.close()

    def _call(self, name: str, request):
        return getattr(self._stub, name)(request, metadata=self._metadata, timeout=self.timeout)

    # -- calls -------------------------------------------------------------------------

    def info(self) -> pb.ServerInfo:
        return self._call("GetServerInfo", pb.GetServerInfoRequest())

    def synthesize(self, text: str, voice: str = "", target_samples: int | None = None, sample_rate: int = 48000,
                   bit_depth: int = 16, seed: int = 0, emotion: pb.Emotion | None = None) -> pb.SynthesizeResponse:
        """One line; ``emotion``: a preset, vector, clip under the output root or description."""
        req = pb.SynthesizeRequest(text=text, voice=voice, sample_rate=sample_rate, bit_depth=bit_depth, seed=seed)
        if target_samples is not None:
            req.target.samples = target_samples
        if emotion is not None:
            req.emotion.CopyFrom(emotion)
        return self._call("Synthesize", req)

    def submit(self, lines: Iterable[Line | pb.JobLine], out_dir: str = "", sample_rate: int = 48000,
               bit_depth: int = 16, voice: str = "auto", speakers: dict[str, str] | None = None,
               fit: FitPolicy | None = None, seed: int = 0, job_id: str = "", name: str = "",
               detached: bool = False) -> pb.Job:
        """Queue a job; ``out_dir`` is relative to the daemon's output root."""
        req = pb.SubmitJobRequest(
            lines=[ln if isinstance(ln, pb.JobLine) else convert.job_line(ln) for ln in lines],
            output=pb.OutputSettings(sample_rate=sample_rate, bit_depth=bit_depth, output_dir=out_dir),
            default_voice=voice, speakers=speakers or {}, seed=seed, job_id=job_id, name=name, detached=detached)
        if fit is not None:
            req.fit.CopyFrom(pb.FitPolicy(min_factor=fit.min_factor, max_factor=fit.max_factor,
                                          borrow_gap=fit.borrow_gap, max_stretch=fit.max_stretch,
                                          squeeze=fit.squeeze, pacing=fit.pacing))
        return self.submit_request(req).job

    def submit_request(self, request: pb.SubmitJobRequest) -> pb.SubmitJobResponse:
        """Send a request built by hand; one without an owner is sent with this client's."""
        if not request.owner:
            own = pb.SubmitJobRequest()
            own.CopyFrom(request)  # the caller's message stays as it was
            own.owner = self.owner
            request = own
        return self._call("SubmitJob", request)

    def events(self, job_id: str) -> Iterator[pb.JobEvent]:
        """The job's events from the start until JobDone. Breaking off early closes the stream
        (and cancels the job if this client submitted it without ``detached``)."""
        stream = self._stub.WatchJob(pb.WatchJobRequest(job_id=job_id, owner=self.owner), metadata=self._metadata)
        try:
            yield from stream
        finally:
            stream.cancel()

    def wait(self, job_id: str) -> pb.Job:
        """Follow the job to its end; the job with every line's result."""
        for _ in self.events(job_id):
            pass
        return self.job(job_id)

    def dub(self, lines: Iterable[Line | pb.JobLine], **submit) -> pb.Job:
        return self.wait(self.submit(lines, **submit).id)

    def cancel(self, job_id: str) -> pb.Job:
        return self._call("CancelJob", pb.CancelJobRequest(job_id=job_id)).job

    def job(self, job_id: str) -> pb.Job:
        return self._call("GetJob", pb.GetJobRequest(job_id=job_id))

    def plan(self, job_id: str, rate: pb.FrameRate, timeline_start_frame: int = 0, track_name: str = "") -> pb.Plan:
        """A finished job's placement plan on a timeline at ``rate`` starting at ``timeline_start_frame``."""
        return self._call("GetPlan", pb.GetPlanRequest(job_id=job_id, rate=rate,
                                                        timeline_start_frame=timeline_start_frame,
                                                        track_name=track_name))

    def jobs(self) -> list[pb.Job]:
        return list(self._call("ListJobs", pb.ListJobsRequest()).jobs)

    def voices(self) -> list[pb.VoiceInfo]:
        return list(self._call("ListVoices", pb.ListVoicesRequest()).voices)

    def register_voice(self, name: str, audio: bytes | Path, engine: str = "", language: str = "en",
                       description: str = "") -> pb.RegisterVoiceResponse:
        """``audio``: a file's bytes, or a Path relative to the daemon's output root."""
        req = pb.RegisterVoiceRequest(name=name, engine=engine, language=language, description=description)
        if isinstance(audio, (bytes, bytearray)):
            req.audio = bytes(audio)
        else:
            req.path = str(audio)
        return self._call("RegisterVoice", req)

    def delete_voice(self, name: str) -> None:
        self._call("DeleteVoice", pb.DeleteVoiceRequest(name=name))
