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

from ...files import atomic_path, file_sha256
from ...errors import ModelMissingError

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
    digest = file_sha256(model)
    target = cache_root / "piper" / f"{digest[:16]}-s{SURGERY_VERSION}"
    manifest = target / "graphs.json"
    graphs = _verified(manifest)
    if graphs is None:
        log.info("preparing duration-controlled copy of %s in %s", model.name, target)
        graphs = _build(model, target)
    return graphs


def _verified(manifest: Path) -> PiperGraphs | None:
    try:
        meta = json.loads(manifest.read_text())
        for name in ("full", "durations"):
            if file_sha256(manifest.parent / meta[name]) != meta[f"{name}_sha256"]:
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


def _build(model: Path, target: Path) -> PiperGraphs:
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
    graphs = _verified(target / "graphs.json")
    if graphs is None:
        raise ModelMissingError(f"cannot write a verified copy of {model} into {target}")
    return graphs


def _channels(inferred, tensor: str) -> int:
    for vi in inferred.graph.value_info:
        if vi.name == tensor:
            return int(vi.type.tensor_type.shape.dim[1].dim_value)
    raise ModelMissingError(f"cannot infer the flow noise shape ({tensor}) of this Piper voice")

