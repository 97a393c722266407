"""Regenerate the gRPC/protobuf Python code from proto/: ``python -m dubline.bridge.codegen``.

Writes ``dubline_pb2.py``, ``dubline_pb2.pyi`` and ``dubline_pb2_grpc.py`` into
``bridge/_proto/`` (import name ``dubline.bridge._proto``). protoc names the message module
after the proto package (``dubline.v1``), which would collide with our own ``dubline``
namespace, so the one import in the grpc module is rewritten to a relative one.
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

PROTO_ROOT = Path(__file__).resolve().parent.parent / "proto"
PROTO_FILE = "dubline/v1/dubline.proto"
DEFAULT_OUT = Path(__file__).resolve().parent / "_proto"
GENERATED = ("dubline_pb2.py", "dubline_pb2.pyi", "dubline_pb2_grpc.py")
_ABSOLUTE_IMPORT = "from dubline.v1 import dubline_pb2 as"
_RELATIVE_IMPORT = "from . import dubline_pb2 as"


def generate(out_dir: Path, proto_root: Path = PROTO_ROOT) -> list[Path]:
    """Run protoc (from grpcio-tools) and write the generated modules into ``out_dir``."""
    try:
        from grpc_tools import protoc
    except ImportError as e:
        raise RuntimeError("codegen requires grpcio-tools (pip install -e '.[dev]')") from e
    import grpc_tools

    include = Path(grpc_tools.__file__).parent / "_proto"
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        args = [
            "protoc",
            f"-I{proto_root}",
            f"-I{include}",
            f"--python_out={tmp}",
            f"--pyi_out={tmp}",
            f"--grpc_python_out={tmp}",
            str(proto_root / PROTO_FILE),
        ]
        if protoc.main(args) != 0:
            raise RuntimeError(f"protoc failed on {proto_root / PROTO_FILE}")
        written = []
        for name in GENERATED:
            src = Path(tmp) / "dubline" / "v1" / name
            text = src.read_text(encoding="utf-8")
            if name.endswith("_grpc.py"):
                if _ABSOLUTE_IMPORT not in text:
                    raise RuntimeError(f"unexpected import layout in generated {name}")
                text = text.replace(_ABSOLUTE_IMPORT, _RELATIVE_IMPORT)
            dst = out_dir / name
            dst.write_text(text, encoding="utf-8")
            written.append(dst)
    init = out_dir / "__init__.py"
    if not init.exists():
        init.write_text('"""Generated from proto/ by `python -m dubline.bridge.codegen`; do not edit."""\n')
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    args = parser.parse_args(argv)
    for path in generate(args.out):
        sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
