"""Running SQL on the typed connection: ``run`` (sandbox rules) and ``query`` (load, then run)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ruven.db.connection import connect
from ruven.errors import QueryError
from ruven.package import DataPackage

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

#: Statement types a sandboxed query may run (everything else could change state).
READ_ONLY_STATEMENTS = frozenset({"SELECT", "EXPLAIN"})


@dataclass
class QueryResult:
    """The result of the last statement of a query."""

    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]


def run(con: duckdb.DuckDBPyConnection, sql: str, *, read_only: bool = True) -> QueryResult:
    """Run ``sql`` (one or more statements) on ``con``; return the last statement's result.

    With ``read_only`` only ``SELECT`` / ``EXPLAIN`` statements (``FROM``, ``DESCRIBE``,
    ``SHOW``, ``SUMMARIZE`` included) are allowed. Failures raise :class:`QueryError` with
    DuckDB's own message.
    """
    import duckdb

    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(str(exc), 'fix the SQL; `ruven query "SHOW ALL TABLES"` lists tables and views') from exc
    if not statements:
        raise QueryError("no SQL statement given", 'pass a query, e.g. ruven query "SELECT * FROM timeline"')
    if read_only:
        for st in statements:
            kind = getattr(st.type, "name", str(st.type))
            if kind not in READ_ONLY_STATEMENTS:
                raise QueryError(
                    f"{kind} statements are not allowed: the query sandbox is read-only",
                    "only SELECT queries run by default; pass --allow-external to write or export files",
                )
    try:
        for st in statements[:-1]:
            con.execute(st)
        con.execute(statements[-1])
        desc = con.description or []
        rows = con.fetchall() if desc else []
    except duckdb.PermissionException as exc:
        raise QueryError(
            str(exc), "the query sandbox cannot read or write files; pass --allow-external to export or read files"
        ) from exc
    except duckdb.Error as exc:
        raise QueryError(str(exc), 'fix the SQL; `ruven query "SHOW ALL TABLES"` lists tables and views') from exc
    return QueryResult([d[0] for d in desc], [str(d[1]) for d in desc], rows)


def query(
    sql: str,
    package: str | os.PathLike[str] | DataPackage | None = None,
    *,
    allow_external: bool = False,
    include_withdrawn: bool = False,
) -> QueryResult:
    """Load the package and run ``sql``: sandboxed (read-only, no file access) unless ``allow_external``."""
    con = connect(package, include_withdrawn=include_withdrawn, sandbox=not allow_external)
    try:
        return run(con, sql, read_only=not allow_external)
    finally:
        con.close()


