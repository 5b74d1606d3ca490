"""Files on disk: the one atomic writer and the one lock every writer of the package uses.

A file is written through a temporary file in its own folder and moved onto its name with
``os.replace``, so a reader sees the old bytes or the new ones, never half of them. An
existing file keeps its permission bits; a new one gets the mode the umask gives a plain
file (``0o644`` under the usual ``022``), not ``mkstemp``'s ``0o600``.

Temporary files are named ``.ruven-<pid>-<label>-XXXXXXXX.tmp`` (``.gitignore`` ignores
``.ruven-*``) and removed on every error path. A writer killed outright (``kill -9``, a power
cut) cannot remove its own, so :func:`clean_stale` removes those of a process that no longer
runs (or older than :data:`STALE_SECONDS`): every writer calls it on the folder it writes to,
and opening a package calls it on the folders of its tables. The same holds for the
``ruven-validate-<pid>-*`` copies in the system temporary folder (:mod:`ruven.candidate`).

Every writer of the package's files (``ruven add``, ``ruven fmt``, ``ruven release``) holds
:func:`package_lock`, one exclusive lock on ``.ruven.lock`` beside ``datapackage.json``
(:func:`locks`, ``filelock``: ``fcntl`` on POSIX, ``msvcrt`` on Windows), for as long as it
works on what it read, and writes with ``expect=`` (:func:`digest` of the bytes it read): a
file that changed meanwhile (a hand edit, a program that takes no lock) is never overwritten
(:class:`~ruven.errors.FileChangedError`). A failed write leaves the old file and no
temporary file, and says why in plain words (:func:`~ruven.errors.from_os_error`: no
permission, a full disk).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path

from ruven.errors import FileChangedError, from_os_error

__all__ = [
    "LOCK_NAME",
    "STALE_SECONDS",
    "TEMP_PREFIX",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "clean_stale",
    "default_mode",
    "digest",
    "digest_bytes",
    "ensure_unchanged",
    "locks",
    "package_lock",
    "replace",
    "temp_prefix",
    "write_temp",
]

#: Every temporary file or folder ruven makes starts with this (``.gitignore``: ``.ruven-*``).
TEMP_PREFIX = ".ruven-"
#: A temporary file this old is stale even when its process id is in use (by another process).
STALE_SECONDS = 3600
_PID = re.compile(r"^\.?ruven-(?:[a-z]+-)?(\d+)-")


def user_cache(kind: str) -> Path | None:
    """The folder of one kind of ruven's caches (``findings``): ``$RUVEN_CACHE_DIR/<kind>``,
    else the platform's user cache folder (platformdirs: ``~/.cache/ruven`` on Linux,
    ``~/Library/Caches/ruven`` on macOS, ``%LOCALAPPDATA%\\ruven\\Cache`` on Windows); None when
    ``RUVEN_CACHE=off``."""
    if os.environ.get("RUVEN_CACHE", "").lower() in ("off", "0", "no", "false"):
        return None
    base = os.environ.get("RUVEN_CACHE_DIR")
    if not base:
        from platformdirs import user_cache_dir

        base = user_cache_dir("ruven", appauthor=False)
    return Path(base) / kind


def temp_prefix(label: str = "", *, hidden: bool = True) -> str:
    """``.ruven-<pid>-<label>-``: the start of a temporary name, so :func:`clean_stale` can
    tell whose it is (``hidden=False`` and a label such as ``validate`` give ``ruven-validate-<pid>-``)."""
    label = re.sub(r"[^A-Za-z0-9_.]+", "-", label.strip(".-").removeprefix("ruven-")).strip("-.")
    if hidden:
        return f"{TEMP_PREFIX}{os.getpid()}-" + (f"{label}-" if label else "")
    return f"ruven-{label}-{os.getpid()}-" if label else f"ruven-{os.getpid()}-"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # another user's process: leave its file alone
    return True


def clean_stale(folder: Path, prefix: str = TEMP_PREFIX, *, max_age: float = STALE_SECONDS) -> list[Path]:
    """Remove temporary files (and folders) named ``prefix*`` in ``folder`` whose process no
    longer runs, or older than ``max_age`` seconds; returns what was removed. Never raises."""
    removed: list[Path] = []
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(prefix)]
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        m = _PID.match(entry.name)
        try:
            old = now - entry.stat(follow_symlinks=False).st_mtime > max_age
        except OSError:
            continue
        if not old and (m is None or _alive(int(m.group(1)))):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            continue
    return removed

#: The lock every writer of a package holds, in the package's root folder (ignored by git).
LOCK_NAME = ".ruven.lock"


class _Unchecked:
    """The default of ``expect=``: overwrite whatever the file holds (files ruven owns alone)."""


UNCHECKED = _Unchecked()


def default_mode() -> int:
    """The mode a new plain file gets under the current umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def digest_bytes(data: bytes) -> str:
    """The :func:`digest` of a file holding ``data`` (what a writer read)."""
    return hashlib.sha256(data).hexdigest()


def digest(path: Path) -> str | None:
    """SHA-256 of the file's bytes (read in chunks), or None when there is no such file."""
    h = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
    except FileNotFoundError:
        return None
    return h.hexdigest()


def ensure_unchanged(path: Path, expect: str | None) -> None:
    """Raise :class:`~ruven.errors.FileChangedError` unless ``path`` still has the
    :func:`digest` ``expect`` (None: the file did not exist)."""
    if digest(path) != expect:
        raise FileChangedError(
            f"{path} changed while ruven was working on it (edited by hand or by another program); nothing was written",
            "save or finish that edit, then run the command again: it starts from the file as it is then",
            location=str(path),
        )


def write_temp(folder: Path, chunks: Iterable[str], *, prefix: str = "", target: Path | None = None) -> Path:
    """A new temporary file in ``folder`` holding ``chunks`` (UTF-8, no newline translation),
    named ``.ruven-<pid>-<prefix>-XXXXXXXX.tmp``; removed again if writing fails. ``target``
    (the file it will replace) names what failed in an error."""
    name = ""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        clean_stale(folder)
        fd, name = tempfile.mkstemp(dir=folder, prefix=temp_prefix(prefix), suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            for chunk in chunks:
                out.write(chunk)
    except BaseException as exc:
        if name:
            Path(name).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise from_os_error(exc, target or folder, "write") from exc
        raise
    return Path(name)


def replace(tmp: Path, path: Path, *, expect: str | None | _Unchecked = UNCHECKED) -> None:
    """Move ``tmp`` onto ``path``: the old file's mode kept, a new file's from the umask.
    With ``expect`` (a :func:`digest`, or None for "no file yet") the move happens only if
    ``path`` is still what the writer read (:func:`ensure_unchanged`)."""
    try:
        if not isinstance(expect, _Unchecked):
            ensure_unchanged(path, expect)
        mode = path.stat().st_mode & 0o7777 if path.exists() else default_mode()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise from_os_error(exc, path, "write") from exc
        raise


def atomic_write_text(path: Path, text: str, *, expect: str | None | _Unchecked = UNCHECKED) -> None:
    """Write ``text`` (UTF-8, ``\\n`` kept as is) to ``path`` atomically (``expect``: see :func:`replace`)."""
    replace(write_temp(path.parent, [text], prefix=path.name, target=path), path, expect=expect)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


@contextmanager
def atomic_path(dest: Path, *, keep_mode: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``dest`` (not yet created: some writers, such as DuckDB,
    refuse an existing empty file); move it onto ``dest`` when the block succeeds. Leftovers
    (the temp file, a DuckDB ``.wal``) are removed either way. With ``keep_mode`` the file
    gets :func:`replace`'s mode; otherwise whatever its writer gave it."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        clean_stale(dest.parent)
        fd, name = tempfile.mkstemp(prefix=temp_prefix(dest.name), suffix=".tmp", dir=dest.parent)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise from_os_error(exc, dest, "write") from exc
    tmp = Path(name)
    try:
        yield tmp
        if keep_mode:
            replace(tmp, dest)
        else:
            os.replace(tmp, dest)
    finally:
        for leftover in (tmp, Path(name + ".wal")):
            leftover.unlink(missing_ok=True)


@contextmanager
def locks(paths: Sequence[Path], *, timeout: float = -1) -> Iterator[None]:
    """Exclusive locks on ``paths`` (lock files, created if missing), taken in sorted order
    so that two writers never wait on each other; released in reverse order."""
    from filelock import FileLock

    with ExitStack() as stack:
        for p in sorted(set(paths)):
            try:
                stack.enter_context(FileLock(str(p), timeout=timeout, mode=0o644))
            except OSError as exc:
                raise from_os_error(exc, p, "write") from exc
        yield


def package_lock(root: Path, *, timeout: float = -1) -> AbstractContextManager[None]:
    """The one lock every writer of the package at ``root`` holds (``root/.ruven.lock``):
    a second writer waits until the first is done."""
    return locks([root / LOCK_NAME], timeout=timeout)
