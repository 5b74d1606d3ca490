"""Files on disk: the one atomic writer and the one lock every writer of the package uses.

A file is written through a temporary file in its own folder and moved onto its name with
``os.replace``, so a reader sees the old bytes or the new ones, never half of them. An
existing file keeps its permission bits; a new one gets the mode the umask gives a plain
file (``0o644`` under the usual ``022``), not ``mkstemp``'s ``0o600``.

Writers of the same table take :func:`locks` (``filelock``: ``fcntl`` on POSIX, ``msvcrt``
on Windows) on ``data/.<resource>.lock`` in name order.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text", "default_mode", "locks", "replace", "write_temp"]


def default_mode() -> int:
    """The mode a new plain file gets under the current umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_temp(folder: Path, chunks: Iterable[str], *, prefix: str = ".ruven-") -> Path:
    """A new temporary file in ``folder`` holding ``chunks`` (UTF-8, no newline translation)."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            for chunk in chunks:
                out.write(chunk)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def replace(tmp: Path, path: Path) -> None:
    """Move ``tmp`` onto ``path``: the old file's mode kept, a new file's from the umask."""
    try:
        mode = path.stat().st_mode & 0o7777 if path.exists() else default_mode()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8, ``\\n`` kept as is) to ``path`` atomically."""
    replace(write_temp(path.parent, [text], prefix=f".{path.name}."), path)


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
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    os.close(fd)
    os.unlink(name)
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
            stack.enter_context(FileLock(str(p), timeout=timeout, mode=0o644))
        yield
