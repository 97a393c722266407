"""Run mypy over the ``dubline`` package: ``python -m tests.typecheck``.

The import names (dubline.core, dubline.bridge) come from setuptools' package-dir mapping,
which an editable install serves through an import hook that mypy cannot follow; so mypy
checks a tree of symbolic links with the installed names, configured by pyproject.toml.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"core": "core", "bridge": "bridge"}  # dubline.<name> -> folder in the repo


def run_mypy(cache_dir: Path | None = None) -> subprocess.CompletedProcess:
    """mypy's result over dubline.core and dubline.bridge, with the repo's configuration."""
    with tempfile.TemporaryDirectory(prefix="dubline-typecheck-") as tmp:
        tree = Path(tmp) / "dubline"
        tree.mkdir()
        (tree / "__init__.py").write_text("")
        for name, folder in PACKAGES.items():
            (tree / name).symlink_to(ROOT / folder, target_is_directory=True)
        cmd = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
               "--cache-dir", str(cache_dir or ROOT / ".mypy_cache"), "-p", "dubline"]
        return subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)


def main() -> int:
    result = run_mypy()
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
