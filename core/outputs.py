"""One output run, switched in whole: staged beside the outputs, committed by renames.

A run writes every file it makes (stems, track, the timeline and delivery files made from
them, report) under ``<out>/.dubline-staging/``, laid out as it will be in ``<out>``.
``commit`` then writes a journal into the staging folder,
removes the old report.json, renames each staged file into place (a file whose bytes did not
change is left as it was, mtime and all), deletes the files the previous report listed that
this run no longer makes, renames the new report.json in last, and removes the staging folder.

Killed before the journal exists, ``<out>`` still holds the previous run, untouched. Killed
after, the next run (``begin``) replays the journal first: every step is idempotent. There is
no moment at which a report.json lists a file whose bytes it does not match. Stale ``.part``
files of killed writes are deleted by the next ``begin``.

Staged files of an interrupted run are kept (not the ``.part`` ones): the daemon resumes a
job from them (``intact``). Every path goes through ``files.open_dir``/``atomic_path``, so no
symlink below the output root is followed here either.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import DiskFullError, OutputError
from .files import PART, _os_error, atomic_path, below, file_sha256, open_dir
from .report import ExportedFile

log = logging.getLogger(__name__)

STAGING = ".dubline-staging"
JOURNAL = "journal.json"
REPORT = "report.json"
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def staged_path(final: Path, out_dir: Path) -> Path:
    """Where a run into ``out_dir`` stages the file that will become ``final``."""
    return Path(out_dir) / STAGING / Path(*below(out_dir, final))


def intact(stem: Path, sha256: str) -> bool:
    """Whether the stem ``<out>/lines/<name>`` or its staged copy has exactly these bytes
    (a line a resumed job may reuse).

    A staged copy with other bytes is removed, so a commit cannot move it over ``stem``.
    """
    stem = Path(stem)
    staged = staged_path(stem, stem.parent.parent)
    for candidate in (staged, stem):
        try:
            if not stat.S_ISREG(os.lstat(candidate).st_mode):
                continue
            if file_sha256(candidate) == sha256:
                return True
        except OSError:
            continue
        if candidate == staged and not any(p.is_symlink() for p in (staged.parent, staged.parent.parent)):
            staged.unlink(missing_ok=True)
    return False


class OutputRun:
    """The files of one run into ``out_dir``, confined to ``root`` (default: ``out_dir``)."""

    def __init__(self, out_dir: Path, root: Path | None = None):
        self.out_dir = Path(out_dir)
        self.root = Path(root) if root is not None else self.out_dir
        self.parts = below(self.root, self.out_dir)
        self.staging = self.out_dir / STAGING
        self._lock: int | None = None
        self._created = False

    # -- lifecycle -----------------------------------------------------------------------

    def begin(self) -> "OutputRun":
        """Lock the folder for this run, finish a killed switch, drop stale temp files."""
        self._created = not os.path.lexists(self.out_dir)
        with open_dir(self.root, self.parts) as out_fd:
            lock = os.dup(out_fd)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(lock)
            raise OutputError(f"{self.out_dir}: another Dubline run is writing into this folder; "
                              f"wait for it or choose another output folder") from None
        self._lock = lock
        try:
            self._replay()
            self._check_targets(["lines/-"])  # refuse a linked lines/ now, not after the synthesis
            with open_dir(self.root, self.parts) as out_fd:
                removed = _clean_parts(out_fd)
            if removed:
                log.info("%s: removed %d stale temp file(s) of an interrupted write", self.out_dir, removed)
        except OSError as e:
            self._unlock()
            raise _os_error(self.out_dir, e) from e
        except BaseException:
            self._unlock()
            raise
        return self

    def stage(self, final: Path) -> Path:
        """The path to write ``final`` to during this run."""
        return self.staging / self.rel(final)

    def current(self, final: Path) -> Path:
        """The file holding ``final``'s bytes now: this run's staged copy, else ``final`` (a
        file this run reused as it stood). For reading what the run made before its commit."""
        staged = self.stage(final)
        return staged if staged.is_file() else Path(final)

    def folder(self, final_dir: Path) -> Path:
        """The staged folder to write the files of ``final_dir`` (the output folder or one below
        it) into during this run; ``final`` maps each written file back."""
        if Path(final_dir) in (self.out_dir, self.out_dir.resolve()):
            return self.staging
        return self.stage(final_dir)

    def final(self, staged: Path) -> Path:
        """The path a file written under ``folder(...)`` will have once the run is committed."""
        try:
            parts = Path(staged).relative_to(self.staging).parts
        except ValueError:
            raise OutputError(f"{staged} is not a staged file of {self.out_dir}") from None
        if not parts:
            raise OutputError(f"{staged} is the staging folder, not a file in it")
        return self.out_dir.joinpath(*parts)

    def listed(self, finals: Iterable[Path]) -> list[ExportedFile]:
        """Report entries for files this run made besides stems and track: settled (unchanged
        bytes keep the file as it stands), hashed as they will be after the commit."""
        finals = list(finals)
        self._check_targets([self.rel(f) for f in finals])  # a linked delivery/ is named as such
        out = []
        for final in finals:
            held = self.settle(final)
            # the folder resolved like the report's other paths; the file itself may be a link
            # this run replaces, so it is not resolved
            out.append(ExportedFile(self.out_dir.resolve() / self.rel(final), file_sha256(held)))
        return out

    def rel(self, final: Path) -> str:
        """``final`` relative to the output folder, given as written or resolved (reports
        list resolved paths; the folder may sit behind a link the user chose)."""
        try:
            parts = below(self.out_dir, final)
        except OutputError:
            parts = below(self.out_dir.resolve(), final)
        if not parts or parts[0] == STAGING:
            raise OutputError(f"{final} is not a file of the output folder {self.out_dir}")
        return "/".join(parts)

    @contextmanager
    def write(self, final: Path, suffix: str = ".part") -> Iterator[Path]:
        """``atomic_path`` for ``final``'s staged copy, confined to the root."""
        with self.naming(final):
            with atomic_path(self.stage(final), suffix, root=self.root) as tmp:
                yield tmp

    @contextmanager
    def naming(self, final: Path) -> Iterator[Path]:
        """Yield ``final``'s staged path; a full disk is reported as ``final``, the file the
        user knows, not its staged copy."""
        try:
            yield self.stage(final)
        except DiskFullError as e:
            raise DiskFullError(final) from e

    def settle(self, final: Path) -> Path:
        """The file holding this run's ``final``: its staged copy, or ``final`` itself when the
        two differ in nothing but the Broadcast WAV origination date and time (then the staged
        copy is dropped, and the file and its mtime stay as they are: unchanged output is not
        rewritten). Call it before hashing or listing the file."""
        staged = self.stage(final)
        rel = self.rel(final)
        with open_dir(self.root, self.parts) as out_fd:
            with self._parent(out_fd, rel, create=False) as (dst_fd, name), \
                    self._parent(out_fd, f"{STAGING}/{rel}", create=False) as (src_fd, _):
                if dst_fd is None or src_fd is None or not _exists(dst_fd, name):
                    return staged
                if _same_bytes(src_fd, dst_fd, name, mask=True):
                    os.unlink(name, dir_fd=src_fd)
                    return Path(final)
        return staged

    def commit(self, files: Iterable[Path]) -> None:
        """Switch this run's ``files`` (final paths; report.json among them) into place."""
        rels = [self.rel(f) for f in files]
        if REPORT not in rels:
            raise OutputError(f"{self.out_dir}: a run commits its {REPORT}")
        journal = {"files": [r for r in rels if r != REPORT] + [REPORT],
                   "remove": sorted(set(self._previous()) - set(rels))}
        self._check_targets(rels)  # before the journal: a refused target leaves the old run whole
        with atomic_path(self.staging / JOURNAL, root=self.root) as tmp:
            tmp.write_text(json.dumps(journal, indent=1), encoding="utf-8")
        self._replay()
        self._unlock()

    def abort(self, keep_staged: bool = False) -> None:
        """End without switching: the folder keeps the previous run. ``keep_staged`` keeps the
        finished staged files for a resumed run (the daemon); else the staging folder goes."""
        try:
            if os.path.lexists(self.staging / JOURNAL):
                self._replay()  # the switch was decided: finish it (or the next begin will)
            elif not keep_staged:
                with open_dir(self.root, self.parts, create=False) as out_fd:
                    _remove_tree(out_fd, STAGING)
                if self._created and not any(self.out_dir.iterdir()):
                    self.out_dir.rmdir()  # a failed first run leaves no empty folder behind
        except OSError as e:
            log.warning("%s: could not remove the staging folder: %s", self.out_dir, e)
        except OutputError as e:
            log.warning("%s", e)
        finally:
            self._unlock()

    def _unlock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # releases the flock
            self._lock = None

    def _check_targets(self, rels: list[str]) -> None:
        """Every folder a file will be renamed into is a real folder below the output folder."""
        with open_dir(self.root, self.parts) as out_fd:
            for folder in sorted({r.rpartition("/")[0] for r in rels} - {""}):
                try:
                    with self._parent(out_fd, folder + "/-", create=False):
                        pass
                except OutputError:
                    raise OutputError(f"{self.out_dir / folder} is a symlink or not a folder: Dubline "
                                      f"writes only inside the output root {self.root} and follows no "
                                      f"symlink below it; remove or rename it") from None

    # -- the switch ----------------------------------------------------------------------

    def _replay(self) -> None:
        """Carry out the journal in the staging folder, if there is one; idempotent."""
        try:
            self._replay_journal()
        except OSError as e:  # a full disk, a folder made read-only meanwhile, ...
            raise _os_error(self.out_dir, e) from e

    def _replay_journal(self) -> None:
        with open_dir(self.root, self.parts) as out_fd:
            try:
                stage_fd = os.open(STAGING, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC, dir_fd=out_fd)
            except FileNotFoundError:
                return
            except OSError as e:
                raise OutputError(f"{self.staging}: not a folder Dubline made ({e.strerror}); remove it") from None
            try:
                try:
                    with open(JOURNAL, encoding="utf-8", opener=_nofollow(stage_fd)) as f:
                        journal = json.load(f)
                except FileNotFoundError:
                    return
                except ValueError:  # a journal is written atomically: this is not ours
                    raise OutputError(f"{self.staging / JOURNAL} is unreadable; remove {self.staging}") from None
                files, remove = journal["files"], journal["remove"]
                if _exists(stage_fd, REPORT) and not _same_bytes(stage_fd, out_fd, REPORT):
                    _unlink(out_fd, REPORT)  # no report while files change under it
                for rel in files:
                    if rel != REPORT:
                        self._move(stage_fd, out_fd, rel)
                for rel in remove:
                    try:
                        with self._parent(out_fd, rel, create=False) as (fd, name):
                            if fd is not None:
                                _unlink(fd, name)
                    except (OSError, OutputError) as e:  # a leftover no report lists: harmless
                        log.warning("%s: could not remove %s: %s", self.out_dir, rel, e)
                self._move(stage_fd, out_fd, REPORT)
            finally:
                os.close(stage_fd)
            _remove_tree(out_fd, STAGING)

    def _move(self, stage_fd: int, out_fd: int, rel: str) -> None:
        with self._parent(stage_fd, rel, create=False) as (src_fd, name):
            if src_fd is None or not _exists(src_fd, name):
                return  # moved already, or reused as it stood
            with self._parent(out_fd, rel) as (dst_fd, _):
                if _same_bytes(src_fd, dst_fd, name):
                    os.unlink(name, dir_fd=src_fd)  # unchanged: keep the old file and its mtime
                else:
                    os.replace(name, name, src_dir_fd=src_fd, dst_dir_fd=dst_fd)

    class _parent:
        """``(folder fd, file name)`` of ``rel`` below ``fd``, opened without following links."""

        def __init__(self, fd: int, rel: str, create: bool = True):
            self.fd, self.rel, self.create = fd, rel, create
            self.own: int | None = None

        def __enter__(self):
            *dirs, name = self.rel.split("/")
            fd = os.dup(self.fd)
            try:
                for d in dirs:
                    try:
                        new = os.open(d, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC, dir_fd=fd)
                    except FileNotFoundError:
                        if not self.create:
                            os.close(fd)
                            return None, name
                        os.mkdir(d, 0o777, dir_fd=fd)
                        new = os.open(d, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC, dir_fd=fd)
                    os.close(fd)
                    fd = new
            except OSError as e:
                os.close(fd)
                raise OutputError(f"{self.rel}: {e.strerror}; Dubline follows no symlink below the output root") from None
            self.own = fd
            return fd, name

        def __exit__(self, *exc):
            if self.own is not None:
                os.close(self.own)

    def _previous(self) -> list[str]:
        """Files the current report.json lists (stems, track, exports), relative to the folder."""
        try:
            with open_dir(self.root, self.parts) as out_fd, \
                    open(REPORT, encoding="utf-8", opener=_nofollow(out_fd)) as f:
                data = json.load(f)
            track = Path(str(data["track"]))
            named = [track] + [Path(str(line["file"])) for line in data.get("lines", [])]
            exported = [Path(str(e["file"])) for e in data.get("exports", [])]
        except (OSError, ValueError, KeyError, TypeError, OutputError):
            return []
        out = []
        for p in named:
            # by name: the folder may have been moved or copied since it was written
            rel = f"lines/{p.name}" if p.parent.name == "lines" else p.name
            if not PART.match(p.name) and p.name != REPORT:
                out.append(rel)
        for p in exported:
            # relative to where that run's folder was (its track's folder), for the same reason
            try:
                rel = "/".join(p.relative_to(track.parent).parts)
            except ValueError:
                continue
            if rel and ".." not in rel.split("/") and not PART.match(p.name) and rel != REPORT \
                    and rel.split("/")[0] != STAGING:
                out.append(rel)
        return out


def _nofollow(dir_fd: int):
    def opener(name, flags):
        return os.open(name, flags | os.O_NOFOLLOW | _CLOEXEC, dir_fd=dir_fd)
    return opener


def _exists(dir_fd: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        return True
    except FileNotFoundError:
        return False


def _unlink(dir_fd: int, name: str) -> None:
    try:
        os.unlink(name, dir_fd=dir_fd)
    except FileNotFoundError:
        pass


def _same_bytes(a_fd: int, b_fd: int, name: str, mask: bool = False) -> bool:
    """Same bytes; with ``mask``, except a Broadcast WAV's origination date and time."""
    try:
        with open(name, "rb", opener=_nofollow(a_fd)) as a, open(name, "rb", opener=_nofollow(b_fd)) as b:
            if os.fstat(a.fileno()).st_size != os.fstat(b.fileno()).st_size:
                return False
            head_a, head_b = a.read(_HEAD), b.read(_HEAD)
            if (_mask_bext_date(head_a) != _mask_bext_date(head_b)) if mask else head_a != head_b:
                return False
            while True:
                x, y = a.read(1 << 20), b.read(1 << 20)
                if x != y:
                    return False
                if not x:
                    return True
    except OSError:
        return False


_HEAD = 1 << 16
_BEXT_DATE = slice(320, 338)  # OriginationDate (10) + OriginationTime (8) in the bext chunk


def _mask_bext_date(head: bytes) -> bytes:
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return head
    pos = 12
    while pos + 8 <= len(head):
        size = int.from_bytes(head[pos + 4:pos + 8], "little")
        if head[pos:pos + 4] == b"bext":
            start = pos + 8 + _BEXT_DATE.start
            end = pos + 8 + _BEXT_DATE.stop
            return head[:start] + bytes(end - start) + head[end:] if end <= len(head) else head
        pos += 8 + size + (size & 1)
    return head


def _remove_tree(dir_fd: int, name: str) -> None:
    """Remove ``name`` in ``dir_fd`` (never following a link inside it)."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(st.st_mode):
        os.unlink(name, dir_fd=dir_fd)
        return
    fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC, dir_fd=dir_fd)
    try:
        for entry in os.listdir(fd):
            _remove_tree(fd, entry)
    finally:
        os.close(fd)
    os.rmdir(name, dir_fd=dir_fd)


def _clean_parts(dir_fd: int, depth: int = 0) -> int:
    """Delete stale ``.part`` temp files here and in sub-folders (links are not followed)."""
    removed = 0
    for entry in os.listdir(dir_fd):
        try:
            st = os.stat(entry, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            continue
        if stat.S_ISREG(st.st_mode) and PART.match(entry):
            _unlink(dir_fd, entry)
            removed += 1
        elif stat.S_ISDIR(st.st_mode) and depth < 3:
            sub = os.open(entry, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC, dir_fd=dir_fd)
            try:
                removed += _clean_parts(sub, depth + 1)
            finally:
                os.close(sub)
    return removed

