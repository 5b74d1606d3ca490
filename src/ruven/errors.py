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
