"""Row labels ("title") and summaries, from ONE declaration per table in its schema.

Each schema may carry a resource-level ``x-ruven`` block::

    "x-ruven": {"label": ["designation", "category", "supplier_id"], "summary": ["quote_en", "quote"]}

``label`` lists fields whose non-empty values, joined by ``", "``, make a row's short label; a
field that is a foreign key stands for the referenced row's own label (an actor id gives the
actor's name). ``summary`` lists fields of which the first non-empty one is the row's summary
(default: the ``summary`` field when the table has one). A table without ``label`` is labelled
by its ``id``. The research views (``fact_rows``, ``timeline``), ``ruven serve`` (which copies
them) and ``ruven add`` (its pick lists) all read the labels from here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ruven.db.names import ident
from ruven.package import Resource

SEPARATOR = ", "
#: How deep a label follows foreign keys (an actor's label could itself name its parent).
MAX_DEPTH = 2


def label_fields(res: Resource) -> list[str]:
    """The fields that make ``res``'s row label, as declared (:attr:`Resource.label_fields`)."""
    return res.label_fields


def summary_fields(res: Resource) -> list[str]:
    """The fields whose first non-empty value is a row's summary (:attr:`Resource.summary_fields`)."""
    return res.summary_fields


def _reference(res: Resource, name: str) -> tuple[str, str] | None:
    for fk in res.foreign_keys:
        if fk.field == name:
            return fk.resource, fk.reference_field
    return None


# --------------------------------------------------------------------------- SQL


def label_sql(res: Resource, alias: str = "t", depth: int = 0) -> tuple[str, list[str]]:
    """``(SQL expression, LEFT JOINs)`` of the label of a row of ``res`` aliased ``alias``.

    The joins go to the live views of the referenced tables (``<name>``), aliased
    ``<alias>_<field>``. The expression is NULL when every part is empty.
    """
    parts: list[str] = []
    joins: list[str] = []
    pkg = res.package
    for name in label_fields(res):
        ref = _reference(res, name)
        if ref is not None and depth < MAX_DEPTH and ref[0] in pkg.resources:
            target = pkg.resources[ref[0]]
            sub = f"{alias}_{name}"
            joins.append(f"LEFT JOIN {ident(target.name)} {sub} ON {sub}.{ident(ref[1])} = {alias}.{ident(name)}")
            expr, more = label_sql(target, sub, depth + 1)
            parts.append(expr)
            joins += more
        else:
            parts.append(f"CAST({alias}.{ident(name)} AS VARCHAR)")
    if not parts:
        return f"{alias}.{ident('id')}" if "id" in res.field_names else "NULL", joins
    return f"NULLIF(concat_ws({SEPARATOR!r}, {', '.join(parts)}), '')", joins


def title_sql(res: Resource, alias: str = "t") -> tuple[str, list[str]]:
    """The row title of the research views: the label, else the row's id."""
    expr, joins = label_sql(res, alias)
    if "id" in res.field_names and label_fields(res):
        expr = f"coalesce({expr}, {alias}.{ident('id')})"
    return expr, joins


def summary_sql(res: Resource, alias: str = "t") -> str:
    fields = summary_fields(res)
    if not fields:
        return "NULL"
    cols = [f"{alias}.{ident(n)}" for n in fields]
    return cols[0] if len(cols) == 1 else f"coalesce({', '.join(cols)})"


# --------------------------------------------------------------------------- rows as text


Lookup = Callable[[str, str, str], Mapping[str, str] | None]


def label_text(res: Resource, row: Mapping[str, str], lookup: Lookup | None = None, depth: int = 0) -> str:
    """The label of a row given as text cells (a CSV row, a row being added), as :func:`label_sql`
    makes it. ``lookup(resource, field, value)`` returns the referenced row, if any."""
    parts = []
    for name in label_fields(res):
        value = (row.get(name) or "").strip()
        ref = _reference(res, name)
        if value and ref is not None and lookup is not None and depth < MAX_DEPTH and ref[0] in res.package.resources:
            target = lookup(ref[0], ref[1], value)
            value = label_text(res.package.resources[ref[0]], target, lookup, depth + 1) if target is not None else ""
        if value:
            parts.append(value)
    return SEPARATOR.join(parts)
