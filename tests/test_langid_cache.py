"""The language model is unpacked once into the cache; later loads map it and match exactly."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from dubline.core.subtitles import langid_model

PROBE = """
import json, sys
from dubline.core.subtitles.language import identify
texts = ["Where are you going tonight?", "Je ne sais pas ce que tu veux dire du tout.", "Привет, как дела?"]
print(json.dumps([(l.code, l.how) for l in identify(texts)]))
"""


def _identify_in_new_process(cache) -> list:
    r = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120,
                       env={"DUBLINE_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    return r.stdout


def _same(a, b) -> None:
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(np.asarray(x), np.asarray(y))


def test_first_process_fills_the_cache_and_the_next_reads_it_with_the_same_answers(tmp_path):
    first = _identify_in_new_process(tmp_path)
    [folder] = (tmp_path / "langid").iterdir()
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.npy" for n in langid_model._NAMES)
    assert _identify_in_new_process(tmp_path) == first
    assert [code for code, _ in json.loads(first)] == ["en", "fr", "ru"]


def test_cached_tables_equal_the_shipped_model(tmp_path, monkeypatch):
    from py3langid.modelio import load_model

    monkeypatch.setenv("DUBLINE_CACHE_DIR", str(tmp_path))
    unpacked = langid_model.load()  # unpacks and caches
    cached = langid_model.load()  # reads the cache
    assert type(cached[3]) is type(unpacked[3]) and cached[3].typecode == unpacked[3].typecode
    _same(cached, load_model(langid_model.shipped_model()))


@pytest.mark.parametrize("damage", ["truncate", "remove"])
def test_a_damaged_cache_falls_back_to_the_shipped_model(tmp_path, monkeypatch, damage):
    monkeypatch.setenv("DUBLINE_CACHE_DIR", str(tmp_path))
    good = langid_model.load()
    [folder] = (tmp_path / "langid").iterdir()
    table = folder / "nextmove.npy"
    if damage == "truncate":
        table.write_bytes(table.read_bytes()[:1000])
    else:
        table.unlink()
    _same(langid_model.load(), good)
    assert table.stat().st_size > 1000  # and the cache is whole again
    _same(langid_model._read(folder), good)


def test_an_unwritable_cache_still_identifies(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("DUBLINE_CACHE_DIR", str(blocker))
    model = langid_model.load()
    assert len(model[2]) == len(model[1])
