from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JobState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_STATE_UNSPECIFIED: _ClassVar[JobState]
    JOB_STATE_QUEUED: _ClassVar[JobState]
    JOB_STATE_RUNNING: _ClassVar[JobState]
    JOB_STATE_DONE: _ClassVar[JobState]
    JOB_STATE_FAILED: _ClassVar[JobState]
    JOB_STATE_CANCELLED: _ClassVar[JobState]
    JOB_STATE_INTERRUPTED: _ClassVar[JobState]
JOB_STATE_UNSPECIFIED: JobState
JOB_STATE_QUEUED: JobState
JOB_STATE_RUNNING: JobState
JOB_STATE_DONE: JobState
JOB_STATE_FAILED: JobState
JOB_STATE_CANCELLED: JobState
JOB_STATE_INTERRUPTED: JobState

class Rational(_message.Message):
    __slots__ = ("num", "den")
    NUM_FIELD_NUMBER: _ClassVar[int]
    DEN_FIELD_NUMBER: _ClassVar[int]
    num: int
    den: int
    def __init__(self, num: _Optional[int] = ..., den: _Optional[int] = ...) -> None: ...

class FrameRate(_message.Message):
    __slots__ = ("num", "den", "drop_frame")
    NUM_FIELD_NUMBER: _ClassVar[int]
    DEN_FIELD_NUMBER: _ClassVar[int]
    DROP_FRAME_FIELD_NUMBER: _ClassVar[int]
    num: int
    den: int
    drop_frame: bool
    def __init__(self, num: _Optional[int] = ..., den: _Optional[int] = ..., drop_frame: _Optional[bool] = ...) -> None: ...

class FrameRange(_message.Message):
    __slots__ = ("start_frame", "end_frame", "rate")
    START_FRAME_FIELD_NUMBER: _ClassVar[int]
    END_FRAME_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    start_frame: int
    end_frame: int
    rate: FrameRate
    def __init__(self, start_frame: _Optional[int] = ..., end_frame: _Optional[int] = ..., rate: _Optional[_Union[FrameRate, _Mapping]] = ...) -> None: ...

class SampleRange(_message.Message):
    __slots__ = ("start_sample", "end_sample", "sample_rate")
    START_SAMPLE_FIELD_NUMBER: _ClassVar[int]
    END_SAMPLE_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATE_FIELD_NUMBER: _ClassVar[int]
    start_sample: int
    end_sample: int
    sample_rate: int
    def __init__(self, start_sample: _Optional[int] = ..., end_sample: _Optional[int] = ..., sample_rate: _Optional[int] = ...) -> None: ...

class TimeRange(_message.Message):
    __slots__ = ("frames", "samples")
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    frames: FrameRange
    samples: SampleRange
    def __init__(self, frames: _Optional[_Union[FrameRange, _Mapping]] = ..., samples: _Optional[_Union[SampleRange, _Mapping]] = ...) -> None: ...

class Duration(_message.Message):
    __slots__ = ("samples", "frames")
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    samples: int
    frames: FrameCount
    def __init__(self, samples: _Optional[int] = ..., frames: _Optional[_Union[FrameCount, _Mapping]] = ...) -> None: ...

class FrameCount(_message.Message):
    __slots__ = ("frames", "rate")
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    frames: int
    rate: FrameRate
    def __init__(self, frames: _Optional[int] = ..., rate: _Optional[_Union[FrameRate, _Mapping]] = ...) -> None: ...

class Emotion(_message.Message):
    __slots__ = ("preset", "intensity", "vector", "reference_path", "description")
    PRESET_FIELD_NUMBER: _ClassVar[int]
    INTENSITY_FIELD_NUMBER: _ClassVar[int]
    VECTOR_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_PATH_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    preset: str
    intensity: float
    vector: _containers.RepeatedScalarFieldContainer[float]
    reference_path: str
    description: str
    def __init__(self, preset: _Optional[str] = ..., intensity: _Optional[float] = ..., vector: _Optional[_Iterable[float]] = ..., reference_path: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class JobLine(_message.Message):
    __slots__ = ("id", "text", "range", "speaker", "voice", "emotion")
    ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    SPEAKER_FIELD_NUMBER: _ClassVar[int]
    VOICE_FIELD_NUMBER: _ClassVar[int]
    EMOTION_FIELD_NUMBER: _ClassVar[int]
    id: str
    text: str
    range: TimeRange
    speaker: str
    voice: str
    emotion: Emotion
    def __init__(self, id: _Optional[str] = ..., text: _Optional[str] = ..., range: _Optional[_Union[TimeRange, _Mapping]] = ..., speaker: _Optional[str] = ..., voice: _Optional[str] = ..., emotion: _Optional[_Union[Emotion, _Mapping]] = ...) -> None: ...

class OutputSettings(_message.Message):
    __slots__ = ("sample_rate", "bit_depth", "output_dir")
    SAMPLE_RATE_FIELD_NUMBER: _ClassVar[int]
    BIT_DEPTH_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_DIR_FIELD_NUMBER: _ClassVar[int]
    sample_rate: int
    bit_depth: int
    output_dir: str
    def __init__(self, sample_rate: _Optional[int] = ..., bit_depth: _Optional[int] = ..., output_dir: _Optional[str] = ...) -> None: ...

class FitPolicy(_message.Message):
    __slots__ = ("min_factor", "max_factor", "borrow_gap", "max_stretch", "squeeze", "pacing")
    MIN_FACTOR_FIELD_NUMBER: _ClassVar[int]
    MAX_FACTOR_FIELD_NUMBER: _ClassVar[int]
    BORROW_GAP_FIELD_NUMBER: _ClassVar[int]
    MAX_STRETCH_FIELD_NUMBER: _ClassVar[int]
    SQUEEZE_FIELD_NUMBER: _ClassVar[int]
    PACING_FIELD_NUMBER: _ClassVar[int]
    min_factor: float
    max_factor: float
    borrow_gap: bool
    max_stretch: float
    squeeze: bool
    pacing: str
    def __init__(self, min_factor: _Optional[float] = ..., max_factor: _Optional[float] = ..., borrow_gap: _Optional[bool] = ..., max_stretch: _Optional[float] = ..., squeeze: _Optional[bool] = ..., pacing: _Optional[str] = ...) -> None: ...

class GetServerInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DurationControl(_message.Message):
    __slots__ = ("native", "min_factor", "max_factor", "resolution_seconds")
    NATIVE_FIELD_NUMBER: _ClassVar[int]
    MIN_FACTOR_FIELD_NUMBER: _ClassVar[int]
    MAX_FACTOR_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    native: bool
    min_factor: float
    max_factor: float
    resolution_seconds: Rational
    def __init__(self, native: _Optional[bool] = ..., min_factor: _Optional[float] = ..., max_factor: _Optional[float] = ..., resolution_seconds: _Optional[_Union[Rational, _Mapping]] = ...) -> None: ...

class Capabilities(_message.Message):
    __slots__ = ("languages", "duration", "cloning", "emotion_modes", "streaming", "device")
    LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    CLONING_FIELD_NUMBER: _ClassVar[int]
    EMOTION_MODES_FIELD_NUMBER: _ClassVar[int]
    STREAMING_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    languages: _containers.RepeatedScalarFieldContainer[str]
    duration: DurationControl
    cloning: bool
    emotion_modes: _containers.RepeatedScalarFieldContainer[str]
    streaming: bool
    device: str
    def __init__(self, languages: _Optional[_Iterable[str]] = ..., duration: _Optional[_Union[DurationControl, _Mapping]] = ..., cloning: _Optional[bool] = ..., emotion_modes: _Optional[_Iterable[str]] = ..., streaming: _Optional[bool] = ..., device: _Optional[str] = ...) -> None: ...

class EngineInfo(_message.Message):
    __slots__ = ("name", "model_version", "capabilities", "loaded")
    NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    LOADED_FIELD_NUMBER: _ClassVar[int]
    name: str
    model_version: str
    capabilities: Capabilities
    loaded: bool
    def __init__(self, name: _Optional[str] = ..., model_version: _Optional[str] = ..., capabilities: _Optional[_Union[Capabilities, _Mapping]] = ..., loaded: _Optional[bool] = ...) -> None: ...

class VoiceInfo(_message.Message):
    __slots__ = ("name", "engine", "language", "preset", "reference_path", "description", "licence", "builtin")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    PRESET_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_PATH_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LICENCE_FIELD_NUMBER: _ClassVar[int]
    BUILTIN_FIELD_NUMBER: _ClassVar[int]
    name: str
    engine: str
    language: str
    preset: str
    reference_path: str
    description: str
    licence: str
    builtin: bool
    def __init__(self, name: _Optional[str] = ..., engine: _Optional[str] = ..., language: _Optional[str] = ..., preset: _Optional[str] = ..., reference_path: _Optional[str] = ..., description: _Optional[str] = ..., licence: _Optional[str] = ..., builtin: _Optional[bool] = ...) -> None: ...

class Limits(_message.Message):
    __slots__ = ("max_lines_per_job", "max_text_chars", "max_message_bytes")
    MAX_LINES_PER_JOB_FIELD_NUMBER: _ClassVar[int]
    MAX_TEXT_CHARS_FIELD_NUMBER: _ClassVar[int]
    MAX_MESSAGE_BYTES_FIELD_NUMBER: _ClassVar[int]
    max_lines_per_job: int
    max_text_chars: int
    max_message_bytes: int
    def __init__(self, max_lines_per_job: _Optional[int] = ..., max_text_chars: _Optional[int] = ..., max_message_bytes: _Optional[int] = ...) -> None: ...

class ServerInfo(_message.Message):
    __slots__ = ("server_version", "api", "engines", "voices", "devices", "versions", "limits", "output_root")
    class VersionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SERVER_VERSION_FIELD_NUMBER: _ClassVar[int]
    API_FIELD_NUMBER: _ClassVar[int]
    ENGINES_FIELD_NUMBER: _ClassVar[int]
    VOICES_FIELD_NUMBER: _ClassVar[int]
    DEVICES_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_ROOT_FIELD_NUMBER: _ClassVar[int]
    server_version: str
    api: str
    engines: _containers.RepeatedCompositeFieldContainer[EngineInfo]
    voices: _containers.RepeatedCompositeFieldContainer[VoiceInfo]
    devices: _containers.RepeatedScalarFieldContainer[str]
    versions: _containers.ScalarMap[str, str]
    limits: Limits
    output_root: str
    def __init__(self, server_version: _Optional[str] = ..., api: _Optional[str] = ..., engines: _Optional[_Iterable[_Union[EngineInfo, _Mapping]]] = ..., voices: _Optional[_Iterable[_Union[VoiceInfo, _Mapping]]] = ..., devices: _Optional[_Iterable[str]] = ..., versions: _Optional[_Mapping[str, str]] = ..., limits: _Optional[_Union[Limits, _Mapping]] = ..., output_root: _Optional[str] = ...) -> None: ...

class SynthesizeRequest(_message.Message):
    __slots__ = ("text", "voice", "emotion", "target", "sample_rate", "bit_depth", "seed", "fit")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    VOICE_FIELD_NUMBER: _ClassVar[int]
    EMOTION_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATE_FIELD_NUMBER: _ClassVar[int]
    BIT_DEPTH_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    FIT_FIELD_NUMBER: _ClassVar[int]
    text: str
    voice: str
    emotion: Emotion
    target: Duration
    sample_rate: int
    bit_depth: int
    seed: int
    fit: FitPolicy
    def __init__(self, text: _Optional[str] = ..., voice: _Optional[str] = ..., emotion: _Optional[_Union[Emotion, _Mapping]] = ..., target: _Optional[_Union[Duration, _Mapping]] = ..., sample_rate: _Optional[int] = ..., bit_depth: _Optional[int] = ..., seed: _Optional[int] = ..., fit: _Optional[_Union[FitPolicy, _Mapping]] = ...) -> None: ...

class SynthesizeResponse(_message.Message):
    __slots__ = ("wav", "sample_rate", "samples", "natural_samples", "factor", "method", "warnings", "voice")
    WAV_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATE_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    NATURAL_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    FACTOR_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    VOICE_FIELD_NUMBER: _ClassVar[int]
    wav: bytes
    sample_rate: int
    samples: int
    natural_samples: int
    factor: float
    method: str
    warnings: _containers.RepeatedScalarFieldContainer[str]
    voice: str
    def __init__(self, wav: _Optional[bytes] = ..., sample_rate: _Optional[int] = ..., samples: _Optional[int] = ..., natural_samples: _Optional[int] = ..., factor: _Optional[float] = ..., method: _Optional[str] = ..., warnings: _Optional[_Iterable[str]] = ..., voice: _Optional[str] = ...) -> None: ...

class SubmitJobRequest(_message.Message):
    __slots__ = ("lines", "output", "fit", "default_voice", "speakers", "seed", "job_id", "name", "detached", "owner")
    class SpeakersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    LINES_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    FIT_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_VOICE_FIELD_NUMBER: _ClassVar[int]
    SPEAKERS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DETACHED_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    lines: _containers.RepeatedCompositeFieldContainer[JobLine]
    output: OutputSettings
    fit: FitPolicy
    default_voice: str
    speakers: _containers.ScalarMap[str, str]
    seed: int
    job_id: str
    name: str
    detached: bool
    owner: str
    def __init__(self, lines: _Optional[_Iterable[_Union[JobLine, _Mapping]]] = ..., output: _Optional[_Union[OutputSettings, _Mapping]] = ..., fit: _Optional[_Union[FitPolicy, _Mapping]] = ..., default_voice: _Optional[str] = ..., speakers: _Optional[_Mapping[str, str]] = ..., seed: _Optional[int] = ..., job_id: _Optional[str] = ..., name: _Optional[str] = ..., detached: _Optional[bool] = ..., owner: _Optional[str] = ...) -> None: ...

class SubmitJobResponse(_message.Message):
    __slots__ = ("job", "resumed")
    JOB_FIELD_NUMBER: _ClassVar[int]
    RESUMED_FIELD_NUMBER: _ClassVar[int]
    job: Job
    resumed: bool
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ..., resumed: _Optional[bool] = ...) -> None: ...

class LineResult(_message.Message):
    __slots__ = ("line_id", "text", "voice", "file", "start_sample", "end_sample", "sample_rate", "natural_samples", "factor", "method", "warnings", "sha256")
    LINE_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    VOICE_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    START_SAMPLE_FIELD_NUMBER: _ClassVar[int]
    END_SAMPLE_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATE_FIELD_NUMBER: _ClassVar[int]
    NATURAL_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    FACTOR_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    line_id: str
    text: str
    voice: str
    file: str
    start_sample: int
    end_sample: int
    sample_rate: int
    natural_samples: int
    factor: float
    method: str
    warnings: _containers.RepeatedScalarFieldContainer[str]
    sha256: str
    def __init__(self, line_id: _Optional[str] = ..., text: _Optional[str] = ..., voice: _Optional[str] = ..., file: _Optional[str] = ..., start_sample: _Optional[int] = ..., end_sample: _Optional[int] = ..., sample_rate: _Optional[int] = ..., natural_samples: _Optional[int] = ..., factor: _Optional[float] = ..., method: _Optional[str] = ..., warnings: _Optional[_Iterable[str]] = ..., sha256: _Optional[str] = ...) -> None: ...

class LineError(_message.Message):
    __slots__ = ("line_id", "index", "code", "message")
    LINE_ID_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    line_id: str
    index: int
    code: str
    message: str
    def __init__(self, line_id: _Optional[str] = ..., index: _Optional[int] = ..., code: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class Job(_message.Message):
    __slots__ = ("id", "name", "state", "total_lines", "done_lines", "failed_lines", "output_dir", "created_unix_ms", "results", "errors", "error", "track_file", "report_file", "reused_lines")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_LINES_FIELD_NUMBER: _ClassVar[int]
    DONE_LINES_FIELD_NUMBER: _ClassVar[int]
    FAILED_LINES_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_DIR_FIELD_NUMBER: _ClassVar[int]
    CREATED_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    TRACK_FILE_FIELD_NUMBER: _ClassVar[int]
    REPORT_FILE_FIELD_NUMBER: _ClassVar[int]
    REUSED_LINES_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    state: JobState
    total_lines: int
    done_lines: int
    failed_lines: int
    output_dir: str
    created_unix_ms: int
    results: _containers.RepeatedCompositeFieldContainer[LineResult]
    errors: _containers.RepeatedCompositeFieldContainer[LineError]
    error: str
    track_file: str
    report_file: str
    reused_lines: int
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., state: _Optional[_Union[JobState, str]] = ..., total_lines: _Optional[int] = ..., done_lines: _Optional[int] = ..., failed_lines: _Optional[int] = ..., output_dir: _Optional[str] = ..., created_unix_ms: _Optional[int] = ..., results: _Optional[_Iterable[_Union[LineResult, _Mapping]]] = ..., errors: _Optional[_Iterable[_Union[LineError, _Mapping]]] = ..., error: _Optional[str] = ..., track_file: _Optional[str] = ..., report_file: _Optional[str] = ..., reused_lines: _Optional[int] = ...) -> None: ...

class JobQueued(_message.Message):
    __slots__ = ("position", "total_lines", "device")
    POSITION_FIELD_NUMBER: _ClassVar[int]
    TOTAL_LINES_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    position: int
    total_lines: int
    device: str
    def __init__(self, position: _Optional[int] = ..., total_lines: _Optional[int] = ..., device: _Optional[str] = ...) -> None: ...

class LineStarted(_message.Message):
    __slots__ = ("line_id", "index")
    LINE_ID_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    line_id: str
    index: int
    def __init__(self, line_id: _Optional[str] = ..., index: _Optional[int] = ...) -> None: ...

class LineDone(_message.Message):
    __slots__ = ("index", "result", "reused")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    REUSED_FIELD_NUMBER: _ClassVar[int]
    index: int
    result: LineResult
    reused: bool
    def __init__(self, index: _Optional[int] = ..., result: _Optional[_Union[LineResult, _Mapping]] = ..., reused: _Optional[bool] = ...) -> None: ...

class JobDone(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class JobEvent(_message.Message):
    __slots__ = ("job_id", "sequence", "queued", "line_started", "line_done", "line_error", "job_done", "unix_ms")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    LINE_STARTED_FIELD_NUMBER: _ClassVar[int]
    LINE_DONE_FIELD_NUMBER: _ClassVar[int]
    LINE_ERROR_FIELD_NUMBER: _ClassVar[int]
    JOB_DONE_FIELD_NUMBER: _ClassVar[int]
    UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    sequence: int
    queued: JobQueued
    line_started: LineStarted
    line_done: LineDone
    line_error: LineError
    job_done: JobDone
    unix_ms: int
    def __init__(self, job_id: _Optional[str] = ..., sequence: _Optional[int] = ..., queued: _Optional[_Union[JobQueued, _Mapping]] = ..., line_started: _Optional[_Union[LineStarted, _Mapping]] = ..., line_done: _Optional[_Union[LineDone, _Mapping]] = ..., line_error: _Optional[_Union[LineError, _Mapping]] = ..., job_done: _Optional[_Union[JobDone, _Mapping]] = ..., unix_ms: _Optional[int] = ...) -> None: ...

class WatchJobRequest(_message.Message):
    __slots__ = ("job_id", "owner")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    owner: str
    def __init__(self, job_id: _Optional[str] = ..., owner: _Optional[str] = ...) -> None: ...

class CancelJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class CancelJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class GetJobRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ("jobs",)
    JOBS_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[Job]
    def __init__(self, jobs: _Optional[_Iterable[_Union[Job, _Mapping]]] = ...) -> None: ...

class RegisterVoiceRequest(_message.Message):
    __slots__ = ("name", "engine", "language", "audio", "path", "description")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    engine: str
    language: str
    audio: bytes
    path: str
    description: str
    def __init__(self, name: _Optional[str] = ..., engine: _Optional[str] = ..., language: _Optional[str] = ..., audio: _Optional[bytes] = ..., path: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class QualityReport(_message.Message):
    __slots__ = ("samples", "sample_rate", "channels", "snr_db", "clipped_samples", "clipped_fraction", "warnings")
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATE_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    SNR_DB_FIELD_NUMBER: _ClassVar[int]
    CLIPPED_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    CLIPPED_FRACTION_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    samples: int
    sample_rate: int
    channels: int
    snr_db: float
    clipped_samples: int
    clipped_fraction: float
    warnings: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, samples: _Optional[int] = ..., sample_rate: _Optional[int] = ..., channels: _Optional[int] = ..., snr_db: _Optional[float] = ..., clipped_samples: _Optional[int] = ..., clipped_fraction: _Optional[float] = ..., warnings: _Optional[_Iterable[str]] = ...) -> None: ...

class RegisterVoiceResponse(_message.Message):
    __slots__ = ("voice", "quality")
    VOICE_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    voice: VoiceInfo
    quality: QualityReport
    def __init__(self, voice: _Optional[_Union[VoiceInfo, _Mapping]] = ..., quality: _Optional[_Union[QualityReport, _Mapping]] = ...) -> None: ...

class ListVoicesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListVoicesResponse(_message.Message):
    __slots__ = ("voices",)
    VOICES_FIELD_NUMBER: _ClassVar[int]
    voices: _containers.RepeatedCompositeFieldContainer[VoiceInfo]
    def __init__(self, voices: _Optional[_Iterable[_Union[VoiceInfo, _Mapping]]] = ...) -> None: ...

class DeleteVoiceRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteVoiceResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetPlanRequest(_message.Message):
    __slots__ = ("job_id", "rate", "timeline_start_frame", "track_name")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    TIMELINE_START_FRAME_FIELD_NUMBER: _ClassVar[int]
    TRACK_NAME_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    rate: FrameRate
    timeline_start_frame: int
    track_name: str
    def __init__(self, job_id: _Optional[str] = ..., rate: _Optional[_Union[FrameRate, _Mapping]] = ..., timeline_start_frame: _Optional[int] = ..., track_name: _Optional[str] = ...) -> None: ...

class Placement(_message.Message):
    __slots__ = ("line_id", "file", "track", "start_frame", "end_frame", "record_frame", "source_start_frame", "source_end_frame", "start_ticks", "end_ticks", "start_sample", "end_sample", "sample_rate", "offset_samples", "clip_name", "tag", "voice", "text")
    LINE_ID_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    TRACK_FIELD_NUMBER: _ClassVar[int]
    START_FRAME_FIELD_NUMBER: _ClassVar[int]
    END_FRAME_FIELD_NUMBER: _ClassVar[int]
    RECORD_FRAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_START_FRAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_END_FRAME_FIELD_NUMBER: _ClassVar[int]
    START_TICKS_FIELD_NUMBER: _ClassVar[int]
    END_TICKS_FIELD_NUMBER: _ClassVar[int]
    START_SAMPLE_FIELD_NUMBER: _ClassVar[int]
    END_SAMPLE_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_RATE_FIELD_NUMBER: _ClassVar[int]
    OFFSET_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    CLIP_NAME_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    VOICE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    line_id: str
    file: str
    track: str
    start_frame: int
    end_frame: int
    record_frame: int
    source_start_frame: int
    source_end_frame: int
    start_ticks: int
    end_ticks: int
    start_sample: int
    end_sample: int
    sample_rate: int
    offset_samples: int
    clip_name: str
    tag: str
    voice: str
    text: str
    def __init__(self, line_id: _Optional[str] = ..., file: _Optional[str] = ..., track: _Optional[str] = ..., start_frame: _Optional[int] = ..., end_frame: _Optional[int] = ..., record_frame: _Optional[int] = ..., source_start_frame: _Optional[int] = ..., source_end_frame: _Optional[int] = ..., start_ticks: _Optional[int] = ..., end_ticks: _Optional[int] = ..., start_sample: _Optional[int] = ..., end_sample: _Optional[int] = ..., sample_rate: _Optional[int] = ..., offset_samples: _Optional[int] = ..., clip_name: _Optional[str] = ..., tag: _Optional[str] = ..., voice: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class Plan(_message.Message):
    __slots__ = ("job_id", "rate", "timeline_start_frame", "placements", "tracks", "warnings", "errors", "clip_prefix", "tag_prefix", "ticks_per_second")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    TIMELINE_START_FRAME_FIELD_NUMBER: _ClassVar[int]
    PLACEMENTS_FIELD_NUMBER: _ClassVar[int]
    TRACKS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    CLIP_PREFIX_FIELD_NUMBER: _ClassVar[int]
    TAG_PREFIX_FIELD_NUMBER: _ClassVar[int]
    TICKS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    rate: FrameRate
    timeline_start_frame: int
    placements: _containers.RepeatedCompositeFieldContainer[Placement]
    tracks: _containers.RepeatedScalarFieldContainer[str]
    warnings: _containers.RepeatedScalarFieldContainer[str]
    errors: _containers.RepeatedCompositeFieldContainer[LineError]
    clip_prefix: str
    tag_prefix: str
    ticks_per_second: int
    def __init__(self, job_id: _Optional[str] = ..., rate: _Optional[_Union[FrameRate, _Mapping]] = ..., timeline_start_frame: _Optional[int] = ..., placements: _Optional[_Iterable[_Union[Placement, _Mapping]]] = ..., tracks: _Optional[_Iterable[str]] = ..., warnings: _Optional[_Iterable[str]] = ..., errors: _Optional[_Iterable[_Union[LineError, _Mapping]]] = ..., clip_prefix: _Optional[str] = ..., tag_prefix: _Optional[str] = ..., ticks_per_second: _Optional[int] = ...) -> None: ...
