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
                  library through :func:`ruven.package.date_bounds` (once per distinct text)
anything else     ``VARCHAR`` (empty cells are ``NULL``)
================  ====================================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ruven.db.names import ident, literal
from ruven.package import Field, Resource

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

TYPES = {"integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE"}

#: Types that DuckDB's CSV reader parses itself (:func:`csv_types`): its parse of a cell is
#: DuckDB's ``CAST`` of the text (empty -> NULL), and a table loads faster without the text.
CSV_TYPES = frozenset({"BIGINT", "DOUBLE", "DATE"})

#: Temporary macros giving the first / last day a partial-date text covers (NULL when it is not an
#: EDTF date), defined during a load by :func:`create_bounds_macros` and dropped after it; in a
#: lazy connection (views over the CSVs) kept, over the function :func:`create_bounds_functions` defines.
BOUNDS_MIN_MACRO = "__ruven_edtf_min"
BOUNDS_MAX_MACRO = "__ruven_edtf_max"
#: The lazy connection's function behind the two macros: a text's (first, last) day as a STRUCT.
BOUNDS_FUNCTION = "__ruven_edtf_parse"

Bounds = dict[str, tuple[str, str]]  # date text -> (first day, last day), ISO dates


def duckdb_type(f: Field) -> str:
    """The DuckDB type of a schema field (see the module docstring)."""
    if f.is_id_list:
        return "VARCHAR[]"
    if f.is_partial_date:
        return "VARCHAR"
    return TYPES.get(f.type, "VARCHAR")


def partial_date_bounds_sql(f: Field) -> tuple[str, str]:
    """SQL for the first and last day the partial-date field ``f`` covers (NULL where it is not a
    date): calls of the bounds macros that :func:`create_bounds_macros` defines."""
    return f"{BOUNDS_MIN_MACRO}({ident(f.name)})", f"{BOUNDS_MAX_MACRO}({ident(f.name)})"


def edtf_bounds(values: Iterable[str]) -> Bounds:
    """The EDTF bounds of each distinct text in ``values``, parsed by the EDTF library
    (:func:`ruven.package.date_bounds`); texts that are not EDTF dates are left out."""
    from ruven.package import date_bounds

    return {v: b for v in dict.fromkeys(values) if v is not None and (b := date_bounds(v))}


def create_bounds_macros(con: duckdb.DuckDBPyConnection, bounds: Bounds) -> None:
    """(Re)define the bounds macros for the date texts in ``bounds`` (:func:`edtf_bounds`).

    A date text becomes its position in an ``ENUM`` of the known texts (a hash lookup; NULL for
    a text that is not there) and that position picks its day from a list: no join, so a table
    built with the macros keeps the CSV's row order without a sort."""
    texts = sorted(bounds)
    for macro, k in ((BOUNDS_MIN_MACRO, 0), (BOUNDS_MAX_MACRO, 1)):
        if texts:
            days = ", ".join(f"DATE {literal(bounds[t][k])}" for t in texts)
            enum = ", ".join(literal(t) for t in texts)
            body = f"([{days}])[CAST(enum_code(TRY_CAST(v AS ENUM({enum}))) AS BIGINT) + 1]"
        else:
            body = "CAST(NULL AS DATE)"
        con.execute(f"CREATE OR REPLACE TEMP MACRO {macro}(v) AS {body}")


def create_bounds_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Define the bounds macros for the lazy connection (no scan of the CSVs beforehand): both
    take their day from one function that finds a text's bounds when a query first needs them.

    It gives what :func:`create_bounds_macros` gives for the same texts: each distinct text of a
    vector of rows is parsed once by the EDTF library (:func:`edtf_bounds`) and remembered for
    the connection's life. A query that never reads a ``<field>_min`` / ``_max`` column never
    calls it (DuckDB leaves unused columns out of a view's plan), and one that reads both bounds
    of a field calls it once per vector (the same expression, computed once)."""
    import datetime as dt

    known: dict[str, tuple[dt.date | None, dt.date | None]] = {}

    def bounds(texts: Any) -> Any:
        import pyarrow as pa  # here, not above: a query that reads no bounds never imports it
        import pyarrow.compute as pc

        if isinstance(texts, pa.ChunkedArray):
            texts = texts.combine_chunks()
        coded = pc.dictionary_encode(texts)  # each distinct text once; NULL stays NULL
        distinct = coded.dictionary.to_pylist()
        new = [t for t in distinct if t not in known]
        if new:
            found = edtf_bounds(new)
            for t in new:
                b = found.get(t)
                known[t] = (dt.date.fromisoformat(b[0]), dt.date.fromisoformat(b[1])) if b else (None, None)
        pairs = [known[t] for t in distinct]
        days = [pa.array([p[k] for p in pairs], pa.date32()) for k in (0, 1)]
        return pa.StructArray.from_arrays(days, names=["lo", "hi"]).take(coded.indices)

    con.create_function(BOUNDS_FUNCTION, bounds, ["VARCHAR"], "STRUCT(lo DATE, hi DATE)", type="arrow", null_handling="special")
    for macro, part in ((BOUNDS_MIN_MACRO, "lo"), (BOUNDS_MAX_MACRO, "hi")):
        con.execute(f"CREATE OR REPLACE TEMP MACRO {macro}(v) AS {BOUNDS_FUNCTION}(v).{part}")


def drop_bounds_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Remove the bounds macros (the typed tables hold the bounds as DATE columns)."""
    con.execute(f"DROP MACRO IF EXISTS {BOUNDS_MIN_MACRO}")
    con.execute(f"DROP MACRO IF EXISTS {BOUNDS_MAX_MACRO}")


def csv_types(res: Resource) -> dict[str, str]:
    """The columns DuckDB's CSV reader reads typed (by name); every other column is read as text."""
    return {f.name: t for f in res.fields if (t := duckdb_type(f)) in CSV_TYPES}


def cast_sql(f: Field) -> str:
    """SQL giving the typed value of ``f`` from the column DuckDB's CSV reader gives (text, or
    already typed for the types in :data:`CSV_TYPES`)."""
    typ = duckdb_type(f)
    if typ in CSV_TYPES:
        return ident(f.name)
    raw = f"NULLIF({ident(f.name)}, '')"
    if f.is_id_list:
        # split on the delimiter and the white space around it; a cell without white space (the
        # canonical form) takes the same split without the regular expression, which is slower
        sep = literal(r"\s*" + _regex_escape(f.delimiter) + r"\s*")
        exact = f"{raw} = trim({raw}) AND NOT regexp_matches({raw}, '\\s')"
        return (
            f"CASE WHEN {exact} THEN string_split({raw}, {literal(f.delimiter)}) "
            f"ELSE regexp_split_to_array(trim({raw}), {sep}) END"
        )
    if f.type == "boolean":
        trues = f.descriptor.get("trueValues") or ["true", "True", "TRUE", "1"]
        falses = f.descriptor.get("falseValues") or ["false", "False", "FALSE", "0"]
        return (
            f"CASE WHEN {raw} IS NULL THEN NULL WHEN {raw} IN ({', '.join(map(literal, trues))}) THEN TRUE "
            f"WHEN {raw} IN ({', '.join(map(literal, falses))}) THEN FALSE ELSE CAST({raw} AS BOOLEAN) END"
        )
    return raw


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
    for f in res.fields:
        out.append((f.name, cast_sql(f), column_comment(f)))
        if f.is_partial_date:
            lo, hi = partial_date_bounds_sql(f)
            c_lo, c_hi = bound_comments(f)
            out.append((f"{f.name}_min", lo, c_lo))
            out.append((f"{f.name}_max", hi, c_hi))
    return out


def column_names(res: Resource) -> list[str]:
    return [name for name, _, _ in typed_columns(res)]
