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
