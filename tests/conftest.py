import os
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@pytest.fixture(scope="session", autouse=True)
def _cache_dir(tmp_path_factory):
    # Keep derived model copies out of the user's cache unless CI points us somewhere.
    os.environ.setdefault("DUBLINE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="session")
def piper():
    from dubline.core.engines.piper import PiperEngine

    return PiperEngine.load()


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def tiny25(tmp_path_factory) -> Path:
    """The tiny random IndexTTS-2.5 checkpoint (tests/tiny_indextts25.py), built once per run."""
    from tiny_indextts25 import build

    return build(tmp_path_factory.mktemp("IndexTTS-2.5"))
