"""py3langid's model, unpacked once into Dubline's cache and mapped from there afterwards.

The wheel ships the model as LZMA-packed npz; unpacking it costs about a second of CPU in
every new process, more than the rest of a short job's start. The unpacked arrays are kept
as plain ``.npy`` files under ``<cache>/langid/<model hash>/``: a later process maps them
(the big feature table stays a read-only file mapping, shared by every process) and reads
the DFA tables with one copy each. Anything wrong with the cached copy (missing, torn, an
unwritable cache) falls back to unpacking the shipped file, so identification never fails
because of the cache.
"""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from array import array
from pathlib import Path

import numpy as np

from ..paths import cache_dir

log = logging.getLogger(__name__)

# (ptc, pc, classes, nextmove, row, output): the tuple py3langid.modelio.load_model returns.
Model = tuple
_NAMES = ("ptc", "pc", "classes", "nextmove", "row", "output")
_TYPECODES = {2: "H", 4: "I", 8: "L"}
_HEADERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def shipped_model() -> Path:
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    return Path(MODEL_DIR) / MODEL_FILE


def load() -> Model:
    """The model tuple, from the cache when it holds this model, else unpacked (and cached)."""
    source = shipped_model()
    folder = cache_dir() / "langid" / _digest(source)
    try:
        return _read(folder)
    except (OSError, ValueError, EOFError) as e:
        if folder.is_dir():  # torn or tampered: replaced below
            log.debug("the cached language model in %s is unusable (%s); unpacking it again", folder, e)
            shutil.rmtree(folder, ignore_errors=True)
    from py3langid.modelio import load_model

    model = load_model(source)
    try:
        _write(folder, model)
    except OSError as e:  # a read-only cache only costs the next process the same unpacking
        log.debug("could not cache the language model in %s: %s", folder, e)
    return model


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _read(folder: Path) -> Model:
    ptc = np.load(folder / "ptc.npy", mmap_mode="r", allow_pickle=False)
    pc = np.load(folder / "pc.npy", allow_pickle=False)
    classes = np.load(folder / "classes.npy", allow_pickle=False).tolist()
    nextmove = _as_array(folder / "nextmove.npy")
    row = _as_array(folder / "row.npy")
    output = np.load(folder / "output.npy", allow_pickle=False).tolist()
    if ptc.ndim != 2 or ptc.shape[1] != len(pc) or len(classes) != len(pc) or len(row) != len(output):
        raise ValueError(f"{folder}: the cached language model is inconsistent")
    return ptc, pc, classes, nextmove, row, output


def _as_array(path: Path) -> array:
    """A 1-D ``.npy`` of unsigned ints read straight into a stdlib array: py3langid walks its
    DFA in Python, where an array indexes faster than numpy."""
    with open(path, "rb") as f:
        header = _HEADERS.get(np.lib.format.read_magic(f))
        if header is None:
            raise ValueError(f"{path}: an .npy format this reader does not know")
        shape, _, dtype = header(f)
        if len(shape) != 1 or dtype.kind != "u" or dtype.itemsize not in _TYPECODES or dtype.byteorder == ">":
            raise ValueError(f"{path}: not a table of unsigned integers")
        out = array(_TYPECODES[dtype.itemsize])
        out.fromfile(f, shape[0])  # EOFError on a torn file
    return out


def _write(folder: Path, model: Model) -> None:
    """All six files into a fresh folder, then one rename: readers see all of it or none."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".part-", dir=folder.parent))
    try:
        for name, value in zip(_NAMES, model):
            if isinstance(value, array):
                value = np.frombuffer(value, dtype=f"u{value.itemsize}")
            np.save(tmp / f"{name}.npy", np.asarray(value), allow_pickle=False)
        os.rename(tmp, folder)
    except OSError:
        if folder.is_dir():  # another process cached it first: theirs is as good
            return
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
