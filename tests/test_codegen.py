"""The committed generated code matches what proto/ generates now."""
from pathlib import Path

import pytest

from dubline.bridge import codegen

pytest.importorskip("grpc_tools", reason="grpcio-tools is in the test extra")


def test_generated_code_is_current(tmp_path: Path):
    codegen.generate(tmp_path)
    for name in codegen.GENERATED:
        fresh = (tmp_path / name).read_text(encoding="utf-8")
        committed = (codegen.DEFAULT_OUT / name).read_text(encoding="utf-8")
        assert fresh == committed, (
            f"bridge/_proto/{name} is stale: run `python -m dubline.bridge.codegen` and commit"
        )
