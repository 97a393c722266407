"""ONNX surgery that gives a Piper (VITS) voice exact, reproducible duration control.

Piper computes per-phoneme frame counts as ``ceil(exp(logw) * mask * length_scale)`` and
draws its duration-predictor and flow noise inside the graph. We turn both random nodes
into graph inputs (so a seed reproduces a take) and cut out the text-encoder + duration
predictor as a small second model. Its output ``w`` at length_scale 1 tells the exact
frame count for any length_scale, so one full run lands on a target frame count.

The rewritten models are written once to the cache, named after the source model's hash,
and re-verified by hash on every load (a partial or corrupt cache is rebuilt).
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...files import atomic_path, file_sha256
from ...errors import ModelMissingError, OutputError
from ..hashes import remembered_sha256

log = logging.getLogger(__name__)

SURGERY_VERSION = 1


@dataclass(frozen=True)
class PiperGraphs:
    full: Path  # whole voice, with noise inputs
    durations: Path  # encoder + duration predictor, outputs w
    dp_noise: str  # input name: duration-predictor noise [1, 2, phonemes]
    flow_noise: str  # input name: flow noise [1, channels, frames]
    flow_channels: int


def prepared_graphs(model: Path, cache_root: Path) -> PiperGraphs:
    """The rewritten graphs for ``model``, built into ``cache_root`` on first use."""
    if not model.is_file():
        raise ModelMissingError(f"Piper voice model not found: {model}")
    digest = remembered_sha256(model, cache_root)
    target = cache_root / "piper" / f"{digest[:16]}-s{SURGERY_VERSION}"
    manifest = target / "graphs.json"
    graphs = _verified(manifest, cache_root)
    if graphs is None:
        log.info("preparing duration-controlled copy of %s in %s", model.name, target)
        graphs = _build(model, target, cache_root)
    return graphs


def _verified(manifest: Path, cache_root: Path) -> PiperGraphs | None:
    try:
        meta = json.loads(manifest.read_text())
        for name in ("full", "durations"):
            if remembered_sha256(manifest.parent / meta[name], cache_root) != meta[f"{name}_sha256"]:
                return None
    except (OSError, ValueError, KeyError):
        return None
    return PiperGraphs(
        full=manifest.parent / meta["full"],
        durations=manifest.parent / meta["durations"],
        dp_noise=meta["dp_noise"],
        flow_noise=meta["flow_noise"],
        flow_channels=int(meta["flow_channels"]),
    )


def _build(model: Path, target: Path, cache_root: Path) -> PiperGraphs:
    try:
        import onnx
        from onnx import TensorProto, helper, shape_inference
        from onnx.utils import Extractor
    except ImportError as e:
        raise ModelMissingError("preparing a Piper voice requires the 'onnx' package") from e

    m = onnx.load(str(model))
    randoms = [n for n in m.graph.node if n.op_type == "RandomNormalLike"]
    dp = [n for n in randoms if n.name.startswith("/dp/")]
    flow = [n for n in randoms if not n.name.startswith("/dp/")]
    if len(dp) != 1 or len(flow) != 1:
        raise ModelMissingError(f"{model} is not a Piper VITS voice this version understands")
    dp_name, flow_name = dp[0].output[0], flow[0].output[0]
    channels = _channels(shape_inference.infer_shapes(m), flow[0].input[0])
    for node in (dp[0], flow[0]):
        m.graph.node.remove(node)
    m.graph.input.append(helper.make_tensor_value_info(dp_name, TensorProto.FLOAT, [1, 2, None]))
    m.graph.input.append(helper.make_tensor_value_info(flow_name, TensorProto.FLOAT, [1, channels, None]))
    ceil = next(n for n in m.graph.node if n.op_type == "Ceil")
    durations = Extractor(m).extract_model(["input", "input_lengths", "scales", dp_name], [ceil.input[0]])

    files = {"full": "full.onnx", "durations": "durations.onnx"}
    for key, proto in (("full", m), ("durations", durations)):
        with atomic_path(target / files[key]) as tmp:
            onnx.save(proto, str(tmp))
    meta = {
        **files,
        "full_sha256": file_sha256(target / files["full"]),
        "durations_sha256": file_sha256(target / files["durations"]),
        "dp_noise": dp_name,
        "flow_noise": flow_name,
        "flow_channels": channels,
        "source": str(model),
    }
    with atomic_path(target / "graphs.json") as tmp:
        tmp.write_text(json.dumps(meta, indent=1))
    graphs = _verified(target / "graphs.json", cache_root)
    if graphs is None:
        raise ModelMissingError(f"cannot write a verified copy of {model} into {target}")
    return graphs


def _channels(inferred, tensor: str) -> int:
    for vi in inferred.graph.value_info:
        if vi.name == tensor:
            return int(vi.type.tensor_type.shape.dim[1].dim_value)
    raise ModelMissingError(f"cannot infer the flow noise shape ({tensor}) of this Piper voice")



def session(path: Path) -> Any:
    """An onnxruntime session for ``path``, its graph optimised once and kept beside it.

    Optimising the full voice takes most of a cold start (seconds); the optimised copy,
    named after the onnxruntime version and this CPU's features (the optimiser lays
    tensors out for them), loads with optimisation off and computes the same samples.
    A copy that fails to load is rebuilt.
    """
    import onnxruntime as ort

    optimised = path.with_name(f"{path.stem}.ort-{ort.__version__}-{_cpu_tag()}.onnx")
    opts = _options(ort)
    providers = ["CPUExecutionProvider"]
    if optimised.is_file():
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        try:
            return ort.InferenceSession(str(optimised), opts, providers=providers)
        except Exception as e:  # onnxruntime raises its own exception types for a bad file
            log.warning("rebuilding optimised copy %s: %s", optimised, e)
        opts = _options(ort)
    try:
        with atomic_path(optimised, suffix=".onnx") as tmp:
            opts.optimized_model_filepath = str(tmp)
            created = ort.InferenceSession(str(path), opts, providers=providers)
    except (OSError, OutputError) as e:  # a read-only cache: optimise in memory each time
        log.info("cannot keep an optimised copy of %s: %s", path, e)
        opts.optimized_model_filepath = ""
        created = ort.InferenceSession(str(path), opts, providers=providers)
    return created


def _options(ort: Any) -> Any:
    """Session options: quiet, and no spinning pool threads.

    onnxruntime's pool threads spin between runs, burning a core the writer, the next line
    or the user's editor wants. Off, the samples are the same and a line costs 0.86x the
    CPU and 0.88x the wall time on an idle 2-core machine (python -m tests.bench.piper_session).
    The memory arena stays on: off, it cost 1.25x the time there for about 10 MB less peak
    memory in a 300-line job.
    """
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return opts


def _cpu_tag() -> str:
    import hashlib
    import platform

    flags = ""
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith(("flags", "Features")):
                flags = row
                break
    except OSError:
        pass
    return hashlib.sha256(f"{platform.machine()} {flags}".encode()).hexdigest()[:10]
