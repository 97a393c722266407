"""Files written whole or not at all, only inside their root, and their content hashes.

Every output and cache file goes through ``atomic_path``: a crash or an error leaves the
previous file (or none), never a half-written one that looks finished.

Confinement: every folder from the root down to the file is opened from the root's descriptor
with ``O_NOFOLLOW | O_DIRECTORY`` (created when missing), the temp file is created
``O_EXCL | O_NOFOLLOW`` in the last one and renamed there (a rename replaces a symlink, it
never follows it), and the writer gets the temp file as ``/proc/<pid>/fd/<folder fd>/<name>``,
a path the kernel resolves to the folder already opened. A symlink planted anywhere below the
root, before or during the write, is refused with an ``OutputError`` instead of followed.
Where ``/proc`` is missing (macOS) the folder's resolved path is checked instead, right before
and after the write.

Files are created with mode 0666 less the umask (``mkstemp`` would force 0600), and an
``ENOSPC``/``EDQUOT`` anywhere in a write becomes ``DiskFullError`` naming the file.
"""
from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import DiskFullError, OutputError

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC
_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
# ".<name>.<8 hex>.part" (+ the target's own suffix when a tool infers the format from it);
# [a-z0-9_] also matches the mkstemp names earlier versions left behind.
PART = re.compile(r"^\..+\.[a-z0-9_]{8}\.part(\.[A-Za-z0-9]+)?$")


def part_name(name: str, suffix: str = ".part") -> str:
    """The temp name a write of ``name`` uses; ``PART`` matches it, so stale ones can be found."""
    return f".{name}.{secrets.token_hex(4)}.part" + ("" if suffix == ".part" else suffix)


def below(root: Path, path: Path) -> tuple[str, ...]:
    """``path``'s components under ``root``, compared lexically (no symlink is resolved here)."""
    root_abs, path_abs = Path(os.path.abspath(root)), Path(os.path.abspath(path))
    try:
        parts = path_abs.relative_to(root_abs).parts
    except ValueError:
        raise OutputError(f"{path} is outside the output root {root}") from None
    return parts


@contextmanager
def open_dir(root: Path, parts: tuple[str, ...] = (), create: bool = True) -> Iterator[int]:
    """A descriptor of ``root/parts...``, each folder below ``root`` opened without following a
    symlink (and made, mode 0777 less the umask, when ``create``). ``root`` itself is the
    user's choice and may be a link."""
    root = Path(root)
    if create:
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise _os_error(root, e) from e
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)
    except OSError as e:
        raise _os_error(root, e) from e
    try:
        for i, part in enumerate(parts):
            if part in ("", ".", ".."):
                raise OutputError(f"{root.joinpath(*parts)}: '{part}' is not allowed below the output root {root}")
            parent, fd = fd, -1  # _step closes the parent, whatever happens
            fd = _step(parent, part, root.joinpath(*parts[: i + 1]), root, create)
        yield fd
    finally:
        if fd >= 0:
            os.close(fd)


def _step(fd: int, part: str, where: Path, root: Path, create: bool) -> int:
    """Open ``part`` in folder ``fd`` (closing ``fd``), refusing symlinks."""
    try:
        try:
            new = os.open(part, _DIR_FLAGS, dir_fd=fd)
        except FileNotFoundError:
            if not create:
                raise
            try:
                os.mkdir(part, 0o777, dir_fd=fd)
            except FileExistsError:
                pass  # made meanwhile: open it (still without following links)
            new = os.open(part, _DIR_FLAGS, dir_fd=fd)
    except OSError as e:
        if e.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
            try:
                is_link = stat.S_ISLNK(os.stat(part, dir_fd=fd, follow_symlinks=False).st_mode)
            except OSError:
                is_link = False
            what = "is a symlink" if is_link else "is not a folder"
            raise OutputError(f"{where} {what}: Dubline writes only inside the output root {root} "
                              f"and follows no symlink below it; remove or rename it") from None
        raise _os_error(where, e) from e
    finally:
        os.close(fd)
    return new


def _proc_fd() -> Path | None:
    proc = Path(f"/proc/{os.getpid()}/fd")
    return proc if proc.is_dir() else None


def _check_resolved(dir_fd: int, lexical: Path) -> None:
    """Without /proc: the folder at ``lexical`` must still be the one we opened."""
    try:
        here, there = os.fstat(dir_fd), os.stat(lexical)
    except OSError as e:
        raise _os_error(lexical, e) from e
    if (here.st_dev, here.st_ino) != (there.st_dev, there.st_ino):
        raise OutputError(f"{lexical} was replaced while Dubline wrote into it (a symlink?); nothing was written")


@contextmanager
def atomic_path(path: Path, suffix: str = ".part", root: Path | None = None) -> Iterator[Path]:
    """Yield a temp path beside ``path``; rename it over ``path`` only if the block succeeds.

    ``root``: the folder the write is confined to (default: ``path``'s own folder); no symlink
    between it and ``path`` is followed. ``suffix`` lets tools that infer a format from the
    name (ffmpeg) write the temp file.
    """
    path = Path(path)
    base = Path(root) if root is not None else path.parent
    parts = below(base, path.parent)
    with open_dir(base, parts) as dir_fd:
        tmp = part_name(path.name, suffix)
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | _CLOEXEC, 0o666,
                             dir_fd=dir_fd))
        except OSError as e:
            raise _os_error(path, e) from e
        proc = _proc_fd()
        handle = proc / str(dir_fd) / tmp if proc is not None else path.parent / tmp
        try:
            if proc is None:
                _check_resolved(dir_fd, path.parent)
            yield handle
            if proc is None:
                _check_resolved(dir_fd, path.parent)
            try:
                os.replace(tmp, path.name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            except OSError as e:  # the target is a folder, or the folder went away
                raise _os_error(path, e) from e
        except BaseException as e:
            full = _disk_full(e, dir_fd)
            try:
                os.unlink(tmp, dir_fd=dir_fd)
            except OSError:
                pass
            if full:
                raise DiskFullError(path) from e
            raise


def _disk_full(e: BaseException, dir_fd: int) -> bool:
    """ENOSPC/EDQUOT, or a library error (libsndfile, ffmpeg) while the file system is full."""
    if isinstance(e, OSError) and e.errno in _FULL:
        return True
    if isinstance(e, (KeyboardInterrupt, SystemExit, GeneratorExit, DiskFullError)):
        return False
    try:
        vfs = os.fstatvfs(dir_fd)
    except OSError:
        return False
    return vfs.f_bavail == 0 or (vfs.f_favail == 0 and vfs.f_files > 0)


def _os_error(path: Path, e: OSError) -> OutputError:
    if e.errno in _FULL:
        return DiskFullError(path)
    return OutputError(f"cannot write {path}: {e.strerror or e}")


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
