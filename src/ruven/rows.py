"""Row helpers over the package model: live rows, id lists, a fact row's sources and year.

Shared by the outputs (docs, charts, serve); they read the schema through
:mod:`ruven.package`, never a column list of their own.
"""

from __future__ import annotations

from ruven.package import Field, Resource, date_bounds

__all__ = ["WITHDRAWN", "live_rows", "row_year", "source_field", "split_ids"]

#: The withdrawal column of the fact tables: a non-empty cell means the row was withdrawn.
WITHDRAWN = "withdrawn"


def live_rows(res: Resource) -> list[dict[str, str]]:
    """Rows of a resource that are not withdrawn (all rows when it has no ``withdrawn``)."""
    if not res.path.exists():
        return []
    rows = res.read_rows()
    if WITHDRAWN in res.field_names:
        rows = [r for r in rows if not (r.get(WITHDRAWN) or "").strip()]
    return rows


def split_ids(f: Field, value: str | None) -> list[str]:
    """The ids of an id-list cell, split on the field's delimiter."""
    return [v.strip() for v in (value or "").split(f.delimiter) if v.strip()]


def source_field(res: Resource) -> Field | None:
    """The id-list field of ``res`` that cites ``sources`` (``source_ids``), if any."""
    for f in res.fields:
        if f.is_id_list and "sources" in f.list_references:
            return f
    return None


def row_year(res: Resource, row: dict[str, str]) -> int | None:
    """Year of a fact row: its first partial-date field that holds a real date."""
    for f in res.fields:
        if f.is_partial_date:
            b = date_bounds(row.get(f.name) or "")
            if b:
                return int(b[0][:4])
    return None
