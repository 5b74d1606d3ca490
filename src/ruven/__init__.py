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

__version__ = "0.1.0"

__all__ = ["RuvenError", "__version__", "connect"]


def connect(package: Any = None, **kwargs: Any) -> duckdb.DuckDBPyConnection:
    """Open an in-memory DuckDB connection holding one typed table per resource and the views.

    ``package`` is a path to ``datapackage.json`` or its folder (default: the package found
    from the current directory). See :func:`ruven.db.connect`.
    """
    from ruven.db import connect as _connect

    return _connect(package, **kwargs)
