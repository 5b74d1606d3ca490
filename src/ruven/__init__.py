"""ruven: a versioned data package on Russia's military, economic and diplomatic ties with Venezuela.

The package data lives at the repository root (``datapackage.json``, ``data/``, ``schemas/``);
this library validates, queries and releases it. Heavy libraries (pandas, pandera,
great_expectations, duckdb) are imported only by the functions that need them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ruven.errors import RuvenError

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

__all__ = ["RuvenError", "__version__", "connect", "tool_version"]


def tool_version() -> str:
    """The version of the ruven tool (the installed distribution's metadata), not of the data."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ruven")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        return tool_version()
    raise AttributeError(f"module 'ruven' has no attribute {name!r}")


def connect(package: Any = None, **kwargs: Any) -> duckdb.DuckDBPyConnection:
    """Open an in-memory DuckDB connection holding one typed table per resource and the views.

    ``package`` is a path to ``datapackage.json`` or its folder (default: the package found
    from the current directory). See :func:`ruven.db.connect`.
    """
    from ruven.db import connect as _connect

    return _connect(package, **kwargs)
