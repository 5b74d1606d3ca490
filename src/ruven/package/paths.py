"""The one resolver for every path the package names, and the one bounded reader.

A resource path, a schema path, a validation suite, a licence or source ``path`` that is not a
URL, README, CHANGELOG: every file ruven reads or writes inside a package is named relative to
the package folder and goes through :func:`check` (a problem or None) or :func:`resolve` (the
path, or :class:`PackagePathError`). Refused, before anything is read or written:

- a URL (a remote path: ruven never downloads);
- an absolute path, a ``..`` escape, or a symlink whose target lies outside the package folder
  (symlinks are resolved first);
- anything that is not a regular file: a folder, a device (``/dev/zero``), a FIFO, a socket;
- a file larger than :func:`max_bytes` (``RUVEN_MAX_FILE_BYTES``, default 1 GiB), so that a huge
  or endless file cannot exhaust memory.

:func:`read_bytes` reads a resolved file with that bound. Plain Python, no heavy imports.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from ruven.errors import PackageReadError

__all__ = ["PackagePathError", "PathProblem", "check", "is_url", "lexical_problem", "max_bytes", "read_bytes", "resolve"]

#: The default bound of one file ruven reads (bytes); ``RUVEN_MAX_FILE_BYTES`` overrides it.
DEFAULT_MAX_BYTES = 1 << 30
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


class PackagePathError(PackageReadError):
    """A path the package names is outside its folder, remote, not a regular file or too large."""

    code = "package-path-error"


@dataclass(frozen=True)
class PathProblem:
    """Why a path cannot be used: ``kind`` is ``remote``, ``outside``, ``not-regular`` or ``too-large``."""

    kind: str
    message: str
    hint: str


def max_bytes() -> int:
    """The largest file ruven reads (``RUVEN_MAX_FILE_BYTES``, default 1 GiB)."""
    try:
        return max(int(os.environ.get("RUVEN_MAX_FILE_BYTES", "")), 1)
    except ValueError:
        return DEFAULT_MAX_BYTES


def is_url(rel: str) -> bool:
    """A URL or any other ``scheme:`` string (``https://``, ``file:``, ``javascript:``), not a
    local path. A one-letter scheme is a Windows drive (``C:``), which is an absolute path."""
    m = _SCHEME.match(rel)
    return "://" in rel or (m is not None and len(m.group(0)) > 2)


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a plain file"


def lexical_problem(rel: str, what: str) -> PathProblem | None:
    """What the text of ``rel`` alone refuses: a URL, an absolute path, a ``..`` escape (for
    paths that are not on disk, such as a file of a git revision)."""
    where = f"{what} ({rel})"
    if is_url(rel):
        return PathProblem("remote", f"{where} is a URL, a remote path: ruven never downloads data", "keep the file in the package folder and name it by a relative path such as data/<name>.csv")
    p = Path(rel)
    if p.is_absolute() or p.anchor or ".." in p.parts:
        return PathProblem("outside", f"{where} points outside the package folder", "move the file into the package folder and name it by a relative path such as data/<name>.csv")
    return None


def check(root: Path, rel: str, what: str) -> PathProblem | None:
    """Why ``rel`` (named by the package at ``root``, for ``what``) cannot be used, or None.
    A path that does not exist (yet) inside the package is fine here: its reader says so."""
    where = f"{what} ({rel})"
    p = Path(rel)
    full = root / p
    outside = lexical_problem(rel, what)
    if outside is not None and outside.kind == "remote":
        return outside
    try:
        real = full.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return PathProblem("not-regular", f"{where} is not a regular file (a symlink loop)", "replace the symlink by the file itself")
    if outside is None and not real.is_relative_to(root.resolve()):
        outside = PathProblem("outside", f"{where} is a symlink to {real}, outside the package folder", "replace the symlink by the file itself, kept in the package folder")
    if outside is not None:  # say what it is too (a stat reads nothing): /dev/zero is a device
        try:
            mode = os.stat(real).st_mode
        except OSError:
            return outside
        if stat.S_ISREG(mode):
            return outside
        return PathProblem("not-regular", f"{where} is not a regular file ({_kind_of(mode)}) and points outside the package folder", outside.hint)
    try:
        st = os.stat(real)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return PathProblem("not-regular", f"{where} cannot be examined: {exc.strerror}", "check the path and its permissions")
    if not stat.S_ISREG(st.st_mode):
        return PathProblem("not-regular", f"{where} is not a regular file ({_kind_of(st.st_mode)})", "name a CSV or JSON file inside the package folder")
    cap = max_bytes()
    if st.st_size > cap:
        return PathProblem("too-large", f"{where} is {st.st_size:,} bytes, more than the {cap:,} ruven reads", "split the table, or raise RUVEN_MAX_FILE_BYTES if the file is really meant to be this large")
    return None


def resolve(root: Path, rel: str, what: str, *, location: str = "") -> Path:
    """``root / rel`` when :func:`check` finds no problem; else :class:`PackagePathError`."""
    problem = check(root, rel, what)
    if problem is not None:
        raise PackagePathError(problem.message, problem.hint, location=location or str(root / "datapackage.json"))
    return root / rel


def read_bytes(path: Path, what: str = "") -> bytes:
    """The bytes of a regular file, at most :func:`max_bytes` of them (a clear error beyond)."""
    name = what or str(path)
    cap = max_bytes()
    mode = os.stat(path).st_mode  # before opening: opening a FIFO would wait for a writer
    if not stat.S_ISREG(mode):
        raise PackagePathError(f"{name} is not a regular file ({_kind_of(mode)})", "name a file inside the package folder", location=str(path))
    with path.open("rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise PackagePathError(f"{name} is not a regular file ({_kind_of(st.st_mode)})", "name a file inside the package folder", location=str(path))
        data = fh.read(cap + 1)
    if len(data) > cap:
        raise PackagePathError(f"{name} is larger than the {cap:,} bytes ruven reads", "raise RUVEN_MAX_FILE_BYTES if the file is really meant to be this large", location=str(path))
    return data
