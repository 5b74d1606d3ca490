"""``stata/<table>.dta``: one Stata file per table, read from the typed connection.

Written by pandas' ``DataFrame.to_stata`` (format 118: Stata 14 or later, UTF-8), every row of
the table (withdrawn ones included, like the CSV and Parquet files). What each column becomes:

- **variable labels**: the schema field's ``title`` (a derived date bound: the title and
  "earliest day" / "latest day"), cut to Stata's 80 characters; the dataset label is the
  table's title.
- **enumerated text** (``constraints.enum``): Stata attaches value labels only to numbers, so
  the column holds integer codes, 1 for the first allowed value in the schema's order, 2 for
  the next, ..., with a value label of the same name carrying each value's text (``decode``
  gives the text back). An empty cell is missing (``.``).
- **booleans** (``count_in_totals``, ...): 0/1 bytes with the value label ``false``/``true``.
- **dates**: a ``date`` field is a Stata daily date (``%td``). A partial (EDTF) date keeps its
  text as written (``2019-03``, ``2008/2009``) and comes with ``<field>_min`` and
  ``<field>_max`` Stata dates, the earliest and latest day it covers, the same bounds as the
  DuckDB and Parquet files.
- **id lists** (``source_ids``, ``about_ids``): text, the ids joined by the field's delimiter.
- **integers**: ``long`` when every value fits Stata's long range, else ``double``; numbers
  are ``double``; empty is missing (``.``). Text is empty, not missing, where the CSV is empty
  (Stata has no missing string). Text longer than 2,045 bytes is a ``strL``.
- **names**: a field name that is not a valid Stata name (more than 32 characters, a reserved
  word, characters other than letters, digits and ``_``) is shortened or prefixed to one; the
  variable label then ends with the original name.

The file carries the build time (``$SOURCE_DATE_EPOCH`` or the descriptor's ``created``), so
two builds of the same commit give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruven.db import all_table, ident
from ruven.errors import BuildError
from ruven.package import Field, Resource
from ruven.release.repro import atomic_path

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

    from ruven.release.context import BuildContext

__all__ = ["LABEL_LIMIT", "NAME_LIMIT", "STATA_VERSION", "dta_step", "stata_names", "write_dta"]

#: pandas' Stata format: 118 is Stata 14 and later (UTF-8 text, strL columns).
STATA_VERSION = 118
#: Stata's limits: variable names, variable and dataset labels, a fixed-width string (bytes).
NAME_LIMIT = 32
LABEL_LIMIT = 80
STR_LIMIT = 2045
#: Stata's ``long`` holds -2,147,483,647 .. 2,147,483,620 (the rest codes missing values).
LONG_RANGE = (-2_147_483_647, 2_147_483_620)
#: Words Stata reserves (pandas renames them, with a warning; here they are renamed first).
RESERVED = frozenset(
    "aggregate array boolean break byte case catch class colvector complex const continue default delegate delete do "
    "double else eltypedef end enum explicit export external float for friend function global goto if inline int "
    "local long NULL pragma protected quad rowvector short typedef typename virtual _all _N _skip _b _pi str# in "
    "_pred strL _coef _rc _using _cons _se with _n".split()
)
BOOL_LABELS = {0: "false", 1: "true"}


def _cut(text: str, limit: int = LABEL_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def stata_names(columns: list[str]) -> dict[str, str]:
    """Column name -> a valid, unique Stata variable name (the same name when it is one)."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for col in columns:
        name = re.sub(r"[^A-Za-z0-9_]", "_", col)
        if not name or name[0].isdigit() or name in RESERVED:
            name = f"v_{name}"
        name = name[:NAME_LIMIT]
        base, n = name, 2
        while name in taken:
            suffix = f"_{n}"
            name = base[: NAME_LIMIT - len(suffix)] + suffix
            n += 1
        taken.add(name)
        out[col] = name
    return out


def _column(res: Resource, name: str) -> tuple[Field | None, str]:
    """The schema field behind a typed column and what the column is: ``field``, ``min``, ``max``."""
    if name in res.field_names:
        return res.field(name), "field"
    for suffix in ("_min", "_max"):
        base = name.removesuffix(suffix)
        if name.endswith(suffix) and base in res.field_names and res.field(base).is_partial_date:
            return res.field(base), suffix[1:]
    return None, "field"


def _label(field: Field | None, part: str, name: str, var: str) -> str:
    if field is None:
        label = name
    elif part == "min":
        label = f"{field.title or field.name}: earliest day"
    elif part == "max":
        label = f"{field.title or field.name}: latest day"
    else:
        label = field.title or field.name
    if var != name:
        tail = f" [{name}]"
        return _cut(label, LABEL_LIMIT - len(tail)) + tail
    return _cut(label)


def frame(con: duckdb.DuckDBPyConnection, res: Resource) -> tuple[Any, dict[str, Any]]:
    """The table as a pandas DataFrame ready for Stata, and the ``to_stata`` keyword arguments
    (variable labels, value labels, date conversions, strL columns)."""
    import pandas as pd

    rel = con.sql(f"SELECT * FROM {ident(all_table(res))}")
    columns = list(rel.columns)
    types = [str(t) for t in rel.types]
    rows = rel.fetchall()
    names = stata_names(columns)
    data: dict[str, Any] = {}
    labels: dict[str, str] = {}
    value_labels: dict[str, dict[float, str]] = {}
    dates: dict[str, str] = {}
    strl: list[str] = []
    for i, (col, typ) in enumerate(zip(columns, types, strict=True)):
        var = names[col]
        field, part = _column(res, col)
        values = [r[i] for r in rows]
        labels[var] = _label(field, part, col, var)
        if typ.endswith("[]"):  # an id list: text, joined by the field's delimiter
            sep = field.delimiter if field is not None else ";"
            values = [sep.join(str(x) for x in v) if v else "" for v in values]
            typ = "VARCHAR"
        if typ == "VARCHAR" and field is not None and field.enum and part == "field":
            codes = {v: float(k) for k, v in enumerate(field.enum, start=1)}
            unknown = sorted({v for v in values if v is not None and v not in codes})
            if unknown:
                raise BuildError(f"{res.name}.{col} holds {unknown[0]!r}, not one of its allowed values", "run `ruven validate` and fix the row")
            data[var] = pd.Series([codes[v] if v is not None else float("nan") for v in values], dtype="float64")
            data[var] = data[var].astype("int16") if not data[var].isna().any() else data[var]
            value_labels[var] = {k: _cut(v, 32000) for v, k in codes.items()}
        elif typ == "VARCHAR":
            text = ["" if v is None else str(v) for v in values]
            data[var] = pd.Series(text, dtype="object")
            if any(len(t.encode("utf-8")) > STR_LIMIT for t in text):
                strl.append(var)
        elif typ == "BOOLEAN":
            if any(v is None for v in values):
                data[var] = pd.Series([float("nan") if v is None else float(v) for v in values], dtype="float64")
            else:
                data[var] = pd.Series([int(v) for v in values], dtype="int8")
            value_labels[var] = dict(BOOL_LABELS)
        elif typ == "DATE":
            data[var] = pd.Series(pd.to_datetime([v if v is not None else None for v in values]), dtype="datetime64[s]")
            dates[var] = "td"
        elif typ in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT"):
            present = [v for v in values if v is not None]
            fits = all(LONG_RANGE[0] <= v <= LONG_RANGE[1] for v in present)
            if fits and len(present) == len(values):
                data[var] = pd.Series(values, dtype="int32")
            else:  # missing cells (or values beyond long) make a double: exact up to 2**53
                data[var] = pd.Series([float("nan") if v is None else float(v) for v in values], dtype="float64")
        elif typ in ("DOUBLE", "FLOAT") or typ.startswith("DECIMAL"):
            data[var] = pd.Series([float("nan") if v is None else float(v) for v in values], dtype="float64")
        else:  # anything else the connection may grow: its text
            data[var] = pd.Series(["" if v is None else str(v) for v in values], dtype="object")
    df = pd.DataFrame(data, columns=list(names.values()))
    kwargs: dict[str, Any] = {
        "variable_labels": labels,
        "value_labels": value_labels or None,
        "convert_dates": dates or None,
        "convert_strl": strl or None,
        "data_label": _cut(res.title or res.name),
    }
    return df, kwargs


def write_dta(con: duckdb.DuckDBPyConnection, res: Resource, dest: Path, when: dt.datetime) -> None:
    """Write ``res``'s table to ``dest`` (atomically) in Stata's format :data:`STATA_VERSION`."""
    df, kwargs = frame(con, res)
    stamp = when.astimezone(dt.UTC).replace(tzinfo=None) if when.tzinfo else when
    with atomic_path(dest) as tmp:
        df.to_stata(tmp, write_index=False, version=STATA_VERSION, time_stamp=stamp, compression=None, **kwargs)


def dta_step(ctx: BuildContext) -> None:
    """``stata/<resource>.dta``: every row of each table for Stata users (see this module)."""
    for res in ctx.package:
        ctx.progress(f"stata: {res.name}")
        dest = ctx.out / "stata" / f"{res.name}.dta"
        write_dta(ctx.con, res, dest, ctx.when)
        ctx.add(dest, "dta", f"{res.title}: every row for Stata 14+ (withdrawn rows included, see `withdrawn`); variable labels from the schema titles.")
