"""The one mapping from Table Schema fields to DuckDB columns: types, casts, comments, EDTF bounds.

================  ====================================================================
schema            DuckDB
================  ====================================================================
integer           ``BIGINT``
number            ``DOUBLE``
boolean           ``BOOLEAN`` (the schema's ``trueValues`` / ``falseValues``)
date              ``DATE``
id list           ``VARCHAR[]`` (split on the field's delimiter, ``;``)
partial date      ``VARCHAR`` as written (EDTF), plus ``<field>_min`` / ``<field>_max`` ``DATE``
                  bounds (``2019`` -> 2019-01-01 .. 2019-12-31; ``2019-02`` -> 2019-02-01 ..
                  2019-02-28; ``2008/2009`` -> 2008-01-01 .. 2009-12-31), parsed by the EDTF
                  library through :func:`ruven.package.date_bounds`
anything else     ``VARCHAR`` (empty cells are ``NULL``)
================  ====================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ruven.db.names import ident, literal
from ruven.package import Field, Resource

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

TYPES = {"integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE"}

#: Name of the temporary table of EDTF date bounds that a load joins the date columns to.
BOUNDS_TABLE = "__ruven_edtf_bounds"


def duckdb_type(f: Field) -> str:
    """The DuckDB type of a schema field (see the module docstring)."""
    if f.is_id_list:
        return "VARCHAR[]"
    if f.is_partial_date:
        return "VARCHAR"
    return TYPES.get(f.type, "VARCHAR")


def _bound_alias(i: int) -> str:
    return f"__b{i}"


def partial_date_bounds_sql(i: int) -> tuple[str, str]:
    """SQL for the first and last day the ``i``-th partial-date column of a resource covers: the
    columns of its join to the bounds table (see :func:`bounds_joins`), NULL where it is not a date."""
    return f"{_bound_alias(i)}.__lo", f"{_bound_alias(i)}.__hi"


def bounds_joins(res: Resource) -> str:
    """LEFT JOINs of the raw rows to the EDTF bounds table, one per partial-date column."""
    dates = [f for f in res.fields if f.is_partial_date]
    return " ".join(
        f"LEFT JOIN {BOUNDS_TABLE} {_bound_alias(i)} ON {_bound_alias(i)}.__v = r.{ident(f.name)}" for i, f in enumerate(dates)
    )


def load_bounds(con: duckdb.DuckDBPyConnection, values: Sequence[str]) -> None:
    """Fill the bounds table with the EDTF bounds of ``values``, parsed by the EDTF library
    (:func:`ruven.package.date_bounds`); values that are not EDTF dates are left out (NULL bounds)."""
    from ruven.package import date_bounds

    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {BOUNDS_TABLE} (__v VARCHAR, __lo DATE, __hi DATE)")
    have = {v for (v,) in con.execute(f"SELECT __v FROM {BOUNDS_TABLE}").fetchall()}
    rows = [(v, *b) for v in values if v not in have and (b := date_bounds(v))]
    if rows:
        con.execute(
            f"INSERT INTO {BOUNDS_TABLE} VALUES "
            + ", ".join(f"({literal(v)}, DATE {literal(lo)}, DATE {literal(hi)})" for v, lo, hi in rows)
        )


def cast_sql(f: Field) -> str:
    """SQL turning the text column of ``f`` into its typed value."""
    raw = f"NULLIF({ident(f.name)}, '')"
    if f.is_id_list:
        sep = literal(r"\s*" + _regex_escape(f.delimiter) + r"\s*")
        return f"regexp_split_to_array(trim({raw}), {sep})"
    if f.type == "boolean":
        trues = f.descriptor.get("trueValues") or ["true", "True", "TRUE", "1"]
        falses = f.descriptor.get("falseValues") or ["false", "False", "FALSE", "0"]
        return (
            f"CASE WHEN {raw} IS NULL THEN NULL WHEN {raw} IN ({', '.join(map(literal, trues))}) THEN TRUE "
            f"WHEN {raw} IN ({', '.join(map(literal, falses))}) THEN FALSE ELSE CAST({raw} AS BOOLEAN) END"
        )
    typ = duckdb_type(f)
    return raw if typ == "VARCHAR" else f"CAST({raw} AS {typ})"


def _regex_escape(text: str) -> str:
    return "".join("\\" + c if c in r".^$*+?{}[]\|()" else c for c in text)


def column_comment(f: Field) -> str:
    text = f"{f.title}: {f.description}".strip()
    if f.is_id_list:
        text += f" (a list; `{f.delimiter}`-separated in the CSV)"
    if f.enum:
        text += " Values: " + ", ".join(f.enum) + "."
    return text


def bound_comments(f: Field) -> tuple[str, str]:
    return (
        f"Earliest day `{f.name}` covers (derived from the EDTF date: `YYYY` gives 1 January, `YYYY-MM` the 1st of the month, an interval `A/B` the first day of A).",
        f"Latest day `{f.name}` covers (derived from the EDTF date: `YYYY` gives 31 December, `YYYY-MM` the month's last day, an interval `A/B` the last day of B).",
    )


def typed_columns(res: Resource) -> list[tuple[str, str, str]]:
    """``(name, SQL expression over the text columns, comment)`` for every column of the typed table."""
    out = []
    i = 0
    for f in res.fields:
        out.append((f.name, cast_sql(f), column_comment(f)))
        if f.is_partial_date:
            lo, hi = partial_date_bounds_sql(i)
            i += 1
            c_lo, c_hi = bound_comments(f)
            out.append((f"{f.name}_min", lo, c_lo))
            out.append((f"{f.name}_max", hi, c_hi))
    return out


def column_names(res: Resource) -> list[str]:
    return [name for name, _, _ in typed_columns(res)]
