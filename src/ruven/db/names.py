"""SQL quoting and the names the typed connection gives its tables (no DuckDB import)."""

from __future__ import annotations

from ruven.package import Resource

#: Name of the withdrawal column of the fact tables (data model: "withdrawal").
WITHDRAWN = "withdrawn"
#: Name of the provenance column: a resource with it is a fact table.
SOURCE_IDS = "source_ids"


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def all_table(res: Resource) -> str:
    """Name of the table that holds every row of ``res`` (withdrawn ones included)."""
    return f"{res.name}_all" if WITHDRAWN in res.field_names else res.name
