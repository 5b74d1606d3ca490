"""The connection's relations as plain values: what every output of the package holds.

An output that cannot hold DuckDB's types (SQLite, a spreadsheet, a comparison in a test)
turns them into plain values the same way: a list is joined by its delimiter (``;``), a date
becomes ISO text, a boolean stays a boolean (SQLite stores it as 0/1), a decimal a float.
:func:`relations` names what an output holds: one table per resource (every row,
withdrawn ones included, under the resource's name) and every research view.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ruven.db.names import all_table, ident
from ruven.db.views import views
from ruven.package import DataPackage

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

LIST_DELIMITER = ";"


@dataclass(frozen=True)
class Relation:
    """One table or view an output holds: ``name`` there, ``source`` in the connection."""

    name: str
    source: str
    kind: str  # "table" | "view"
    title: str
    description: str


def relations(pkg: DataPackage) -> list[Relation]:
    """Every relation an output of ``pkg`` holds, tables (in the descriptor's order) then views."""
    out = [Relation(res.name, all_table(res), "table", res.title, res.description) for res in pkg]
    out += [Relation(v.name, v.name, "view", v.name.replace("_", " ").capitalize(), v.description) for v in views(pkg)]
    return out


def plain(value: Any, delimiter: str = LIST_DELIMITER) -> Any:
    """A DuckDB value as plain text, number or boolean (see the module docstring)."""
    if isinstance(value, list):
        return delimiter.join("" if v is None else str(plain(v)) for v in value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


@dataclass
class Rows:
    """A relation's columns, their DuckDB types and comments, and its rows in batches of plain values."""

    columns: list[str]
    types: list[str]  # DuckDB type names
    comments: dict[str, str]
    batches: Iterator[list[tuple[Any, ...]]]


def rows(con: duckdb.DuckDBPyConnection, source: str, *, batch: int = 10_000) -> Rows:
    """The rows of ``source`` as plain values, in batches (a cursor of its own)."""
    comments = {
        c: t or ""
        for c, t in con.execute(
            "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = ?", [source]
        ).fetchall()
    }
    cur = con.cursor()
    cur.execute(f"SELECT * FROM {ident(source)}")
    desc = cur.description or []

    def batches() -> Iterator[list[tuple[Any, ...]]]:
        try:
            while chunk := cur.fetchmany(batch):
                yield [tuple(plain(v) for v in r) for r in chunk]
        finally:
            cur.close()

    return Rows([d[0] for d in desc], [str(d[1]) for d in desc], comments, batches())


def comments(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """Column comments of every relation in ``con``: relation -> column -> comment."""
    out: dict[str, dict[str, str]] = {}
    for t, c, comment in con.execute("SELECT table_name, column_name, comment FROM duckdb_columns()").fetchall():
        out.setdefault(t, {})[c] = comment or ""
    return out
