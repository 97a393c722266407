"""Build the Premiere panel's installer: a .ccx (a zip of the plugin folder, manifest at its root).

    python plugins/premiere/package.py [--out DIR]

Writes DIR/<manifest id>_premierepro.ccx (default DIR: plugins/premiere/dist), the name the
UXP Developer Tool gives its own packages. Double-click it (Creative Cloud desktop installs it)
or use the UXP Developer Tool. Only the files the panel runs from go in: the manifest, the
entry HTML, the scripts it loads and the icons the manifest names. The zip is byte-for-byte
reproducible (fixed timestamps and order).

Standard library only; it does not import Dubline (plugins stay independent of core/bridge).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
_EPOCH = (1980, 1, 1, 0, 0, 0)


class PackageError(Exception):
    """The plugin folder cannot be packaged as it is; the message says what to fix."""


def _manifest(folder: Path) -> dict:
    path = folder / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise PackageError(f"{path}: cannot read the manifest ({e})") from None
    host = manifest.get("host")
    # A .ccx targets one host: Adobe's packaging guide requires `host` to be a single object.
    if not isinstance(host, dict) or host.get("app") != "premierepro" or not host.get("minVersion"):
        raise PackageError(f"{path}: 'host' must be one object {{\"app\": \"premierepro\", \"minVersion\": ...}} "
                           "for a .ccx (an array is for development only)")
    for key in ("id", "name", "version", "main", "entrypoints"):
        if not manifest.get(key):
            raise PackageError(f"{path}: '{key}' is missing")
    return manifest


def _scripts(html: Path) -> list[str]:
    """Local scripts an HTML page loads, and what those require() relative to themselves."""
    text = html.read_text(encoding="utf-8")
    found = re.findall(r'<script[^>]+src="([^"]+)"', text)
    queue, out = list(found), []
    while queue:
        name = queue.pop(0)
        if name in out or "://" in name:
            continue
        out.append(name)
        script = html.parent / name
        if script.is_file():
            queue.extend(f"{m}" if m.endswith(".js") else f"{m}.js"
                         for m in re.findall(r'require\("\./([^"]+)"\)', script.read_text(encoding="utf-8")))
    return out


def package_files(folder: Path) -> list[str]:
    """The files (relative to ``folder``) that go into the package, in a fixed order."""
    manifest = _manifest(folder)
    files = ["manifest.json", manifest["main"]]
    if manifest["main"].endswith(".html"):
        files += _scripts(folder / manifest["main"])
    icons = list(manifest.get("icons") or [])
    for entry in manifest.get("entrypoints") or []:
        icons += list(entry.get("icons") or [])
    files += [icon["path"] for icon in icons if icon.get("path")]
    missing = [f for f in files if not (folder / f).is_file()]
    if missing:
        raise PackageError(f"{folder}: the manifest needs {', '.join(missing)}, which is not there")
    return list(dict.fromkeys(files))


def build(folder: Path, out_dir: Path) -> Path:
    """Write the .ccx for ``folder`` into ``out_dir``; return its path."""
    folder, out_dir = Path(folder).resolve(), Path(out_dir)
    manifest = _manifest(folder)
    files = package_files(folder)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{manifest['id']}_premierepro.ccx"
    tmp = target.with_name(target.name + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in files:
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, (folder / name).read_bytes())
    tmp.replace(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Package the Dubline Premiere panel as a .ccx")
    parser.add_argument("--out", type=Path, default=HERE / "dist", help="output folder (default: plugins/premiere/dist)")
    parser.add_argument("--plugin", type=Path, default=HERE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        target = build(args.plugin, args.out)
    except (PackageError, OSError) as e:
        print(f"package.py: {e}", file=sys.stderr)
        return 1
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
