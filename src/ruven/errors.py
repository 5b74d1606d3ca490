"""One rooted hierarchy for tool failures (data problems are findings, not exceptions)."""

from __future__ import annotations


class RuvenError(Exception):
    """A failure of ruven itself to do the job (exit code 3 in the CLI)."""

    code = "ruven-error"
    exit_code = 3

    def __init__(self, message: str, hint: str = "", *, location: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.location = location

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.message} ({self.code})"

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "hint": self.hint, "location": self.location}


class PackageReadError(RuvenError):
    """The package (descriptor or a schema) cannot be read at all."""

    code = "package-error"


class InvalidPackageError(RuvenError):
    """An output was asked of a package that does not validate (``build``, ``serve``): the
    findings are in ``report`` (a :class:`ruven.report.ValidationReport`); exit code 1."""

    code = "invalid-package"
    exit_code = 1

    def __init__(self, message: str, hint: str = "", *, location: str = "", report: object = None) -> None:
        super().__init__(message, hint, location=location)
        self.report = report


class UsageError(RuvenError):
    """The command was called in a way that cannot work (bad resource name, bad option value)."""

    code = "usage-error"
    exit_code = 2


class QueryError(RuvenError):
    """A SQL query failed (bad SQL, forbidden access)."""

    code = "query-error"
    exit_code = 1


class DocsError(RuvenError):
    """The documentation cannot be generated (e.g. README markers missing)."""

    code = "docs-error"


class BuildError(RuvenError):
    """A release artifact could not be built."""

    code = "build-error"


class FileAccessError(RuvenError):
    """The operating system refused to write (or read) a file: no permission, a read-only
    file system, a file in the way of a folder."""

    code = "file-access"


class DiskFullError(RuvenError):
    """A write failed for lack of room: the disk or a quota is full, or a file-size limit was hit."""

    code = "disk-full"


class FileChangedError(RuvenError):
    """A file changed on disk while a writer was working on what it had read (a hand edit,
    another program): the writer refuses rather than revert that change."""

    code = "file-changed"


class InputError(RuvenError):
    """A file given on the command line cannot be used (not UTF-8, nested too deeply)."""

    code = "input-error"


#: errno names -> the error class and what the message says of them
_NO_PERMISSION = ("EACCES", "EPERM")
_READ_ONLY = ("EROFS",)
_NO_ROOM = ("ENOSPC", "EDQUOT", "EFBIG")


def from_os_error(exc: OSError, target: object = None, action: str = "use") -> RuvenError:
    """The one translation of an operating-system error into a plain :class:`RuvenError`
    with what to do. ``target`` names what was being written or read (default: the
    error's own file name); the writers of :mod:`ruven.fs` pass the destination, not
    their temporary file, and ``action="write"``."""
    import errno as _errno
    from pathlib import Path

    name = _errno.errorcode.get(exc.errno or 0, "")
    what = str(target if target is not None else (exc.filename or "a file"))
    folder = str(Path(what).parent) if target is not None or exc.filename else "the folder"
    reason = exc.strerror or str(exc)
    if name in _NO_PERMISSION:
        return FileAccessError(
            f"permission denied: cannot {action} {what} ({reason})",
            f"make {folder} and its files writable for your user (e.g. `chmod u+w`), or run ruven as a user who may write there; nothing was changed",
            location=what,
        )
    if name in _READ_ONLY:
        return FileAccessError(
            f"no permission to {action} {what}: the file system is read-only",
            "work on a copy of the package on a writable disk (or remount it read-write); nothing was changed",
            location=what,
        )
    if name in _NO_ROOM:
        limit = " (a file-size limit was reached)" if name == "EFBIG" else " (or the disk quota is used up)" if name == "EDQUOT" else ""
        return DiskFullError(
            f"cannot {action} {what}: the disk is full{limit}",
            "free some disk space (or raise the limit), then run the command again; the file was left as it was and no temporary file remains",
            location=what,
        )
    if name in ("ENOTDIR", "EEXIST", "EISDIR"):
        return FileAccessError(
            f"cannot {action} {what}: {reason} (a file is in the way of a folder, or a folder in the way of a file)",
            "choose another path, or move what is in the way",
            location=what,
        )
    return FileAccessError(f"cannot use {what}: {reason}", "check the path, its permissions and the free disk space", location=what)
