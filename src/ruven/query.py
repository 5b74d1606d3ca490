"""The query layer: the package as typed DuckDB tables and research views.

``connect()`` loads every resource's CSV with DuckDB's ``read_csv`` (all columns as text)
and casts each column to the type its Table Schema declares, so that nothing here keeps a
list of columns of its own:

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

Withdrawn rows (a non-empty ``withdrawn`` cell) are kept in the table ``<name>_all``; the
view ``<name>`` and every research view built on it leave them out (``connect(...,
include_withdrawn=True)`` makes ``<name>`` show them too). Reference tables without a
``withdrawn`` column (``sources``, ``actors``) are plain tables named as the resource.

This module is core: it never prints and never exits; failures raise ``RuvenError``
subclasses. ``duckdb`` is imported inside the functions that need it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ruven.errors import PackageReadError, QueryError
from ruven.package import DataPackage, Field, Resource

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

#: Name of the withdrawal column of the fact tables (data model: "withdrawal").
WITHDRAWN = "withdrawn"
#: Name of the provenance column: a resource with it is a fact table.
SOURCE_IDS = "source_ids"

TYPES = {"integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE"}

#: Statement types a sandboxed query may run (everything else could change state).
READ_ONLY_STATEMENTS = frozenset({"SELECT", "EXPLAIN"})


# --------------------------------------------------------------------------- SQL helpers


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def all_table(res: Resource) -> str:
    """Name of the table that holds every row of ``res`` (withdrawn ones included)."""
    return f"{res.name}_all" if WITHDRAWN in res.field_names else res.name


def duckdb_type(f: Field) -> str:
    """The DuckDB type of a schema field (see the module docstring)."""
    if f.is_id_list:
        return "VARCHAR[]"
    if f.is_partial_date:
        return "VARCHAR"
    return TYPES.get(f.type, "VARCHAR")


#: Name of the temporary table of EDTF date bounds that a load joins the date columns to.
BOUNDS_TABLE = "__ruven_edtf_bounds"


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
        con.execute(f"INSERT INTO {BOUNDS_TABLE} VALUES " + ", ".join(f"({literal(v)}, DATE {literal(lo)}, DATE {literal(hi)})" for v, lo, hi in rows))


def _cast_sql(f: Field) -> str:
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
        out.append((f.name, _cast_sql(f), column_comment(f)))
        if f.is_partial_date:
            lo, hi = partial_date_bounds_sql(i)
            i += 1
            c_lo, c_hi = bound_comments(f)
            out.append((f"{f.name}_min", lo, c_lo))
            out.append((f"{f.name}_max", hi, c_hi))
    return out


# --------------------------------------------------------------------------- views

#: How the ``timeline`` / ``fact_rows`` views label a row of each fact table: SQL over the
#: table aliased ``t`` and ``actors`` joins. Presentation only; a fact table missing here
#: still appears (its id as title, its ``summary`` if it has one).
ROW_LABELS: dict[str, dict[str, str]] = {
    "deployments": {
        "joins": "LEFT JOIN actors a ON a.id = t.actor_id",
        "title": "concat_ws(', ', a.name, t.personnel_kind, t.location)",
        "summary": "t.summary",
    },
    "arms_purchases": {
        "joins": "LEFT JOIN actors a ON a.id = t.supplier_id",
        "title": "concat_ws(' ', t.designation, '(' || t.category || ')', 'from ' || a.name)",
        "summary": "t.summary",
    },
    "investments": {
        "joins": "LEFT JOIN actors a ON a.id = t.investor_id",
        "title": "concat_ws(', ', t.project, a.name)",
        "summary": "t.summary",
    },
    "agreements": {
        "joins": "",
        "title": "t.title",
        "summary": "t.summary",
    },
    "statements": {
        "joins": "LEFT JOIN actors a ON a.id = t.speaker_id",
        "title": "concat_ws(', ', a.name, t.speaker_role)",
        "summary": "coalesce(t.quote_en, t.quote)",
    },
}


@dataclass
class View:
    name: str
    description: str
    sql: str
    columns: dict[str, str] = field(default_factory=dict)  # own column comments
    inherit: tuple[str, ...] = ()  # relations whose column comments carry over


def _reference_of(res: Resource, fname: str, default: str) -> str:
    try:
        refs = res.field(fname).list_references
    except KeyError:
        return default
    return refs[0] if refs else default


def views(pkg: DataPackage) -> list[View]:
    """The research views, generated from the package's fact tables (resources with ``source_ids``)."""
    facts = pkg.fact_tables
    out: list[View] = []
    if not facts:
        return out
    sources = pkg.resource(_reference_of(facts[0], SOURCE_IDS, "sources"))
    src_fields = [n for n in _column_names(sources) if n not in sources.primary_key]
    key = sources.primary_key[0] if sources.primary_key else "id"

    parts = [
        f"SELECT {literal(r.name)} AS table_name, t.id AS row_id, unnest(t.{SOURCE_IDS}) AS source_id FROM {ident(r.name)} t"
        for r in facts
    ]
    src_cols = ", ".join(f"s.{ident(n)} AS {ident('source_' + n)}" for n in src_fields)
    out.append(
        View(
            "citations",
            "One row per fact row and source it cites (live rows only), joined to the `sources` table.",
            f"SELECT c.table_name, c.row_id, c.source_id, {src_cols} FROM ({' UNION ALL '.join(parts)}) c "
            f"LEFT JOIN {ident(sources.name)} s ON s.{ident(key)} = c.source_id ORDER BY c.table_name, c.row_id, c.source_id",
            {
                "table_name": "The fact table the row is in.",
                "row_id": "The fact row's `id`.",
                "source_id": "One of the row's `source_ids`.",
            }
            | {f"source_{n}": f"`sources.{n}` of the cited source." for n in src_fields},
        )
    )

    parts = []
    for r in facts:
        label = ROW_LABELS.get(r.name, {})
        dates = [f.name for f in r.fields if f.is_partial_date] + [f.name for f in r.fields if f.type == "date"]
        mins = [f"t.{ident(d + '_min')}" if r.field(d).is_partial_date else f"t.{ident(d)}" for d in dates]
        maxs = [f"t.{ident(d + '_max')}" if r.field(d).is_partial_date else f"t.{ident(d)}" for d in dates]
        date_text = f"t.{ident(dates[0])}" if dates else "NULL"
        summary = label.get("summary", "t.summary" if "summary" in r.field_names else "NULL")
        conf = "t.confidence" if "confidence" in r.field_names else "NULL"
        parts.append(
            f"SELECT {literal(r.name)} AS table_name, t.id, "
            f"CAST({date_text} AS VARCHAR) AS date_text, "
            f"{'least(' + ', '.join(mins) + ')' if mins else 'NULL::DATE'} AS date_min, "
            f"{'greatest(' + ', '.join(maxs) + ')' if maxs else 'NULL::DATE'} AS date_max, "
            f"{label.get('title', 't.id')} AS title, {summary} AS summary, {conf} AS confidence, "
            f"t.{SOURCE_IDS} AS source_ids, len(t.{SOURCE_IDS}) AS n_sources "
            f"FROM {ident(r.name)} t {label.get('joins', '')}"
        )
    fact_cols = {
        "table_name": "The fact table the row is in.",
        "id": "The row's `id`.",
        "date_text": "The row's first date as written (a partial date: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`).",
        "date_min": "Earliest day any of the row's dates covers.",
        "date_max": "Latest day any of the row's dates covers (an end or delivery date when there is one).",
        "title": "A short label: who or what (actor, designation, project or speaker).",
        "summary": "The row's summary; for statements the quote (`quote_en`, else `quote`).",
        "confidence": "confirmed, reported or disputed.",
        "source_ids": "The sources the row cites.",
        "n_sources": "How many sources the row cites.",
    }
    out.append(
        View(
            "fact_rows",
            "Every live row of the fact tables in one shape: table, id, dates, title, summary, confidence, sources.",
            " UNION ALL ".join(parts),
            fact_cols,
        )
    )
    out.append(
        View(
            "timeline",
            "Every dated live row of the fact tables in one shape, in date order "
            "(date_min, date_max, table_name, id, title, summary, confidence).",
            "SELECT date_min, date_max, table_name, id, title, summary, confidence, date_text, n_sources "
            "FROM fact_rows WHERE date_min IS NOT NULL ORDER BY date_min, date_max, table_name, id",
            fact_cols,
        )
    )
    out.append(
        View(
            "single_source_rows",
            "Live fact rows that rest on one source only, with that source's publisher and URL.",
            "SELECT f.table_name, f.id, f.date_text, f.title, f.confidence, f.source_ids[1] AS source_id, "
            f"s.publisher AS source_publisher, s.url AS source_url FROM fact_rows f "
            f"LEFT JOIN {ident(sources.name)} s ON s.{ident(key)} = f.source_ids[1] "
            "WHERE f.n_sources = 1 ORDER BY f.table_name, f.id",
            {"source_id": "The one source the row cites."},
            ("fact_rows", "citations"),
        )
    )
    names = {r.name for r in facts}
    if "statements" in names:
        out.append(
            View(
                "statements_with_speakers",
                "Live statements with the speaker's name, kind and country and the body they belong to.",
                "SELECT s.*, a.name AS speaker_name, a.name_native AS speaker_name_native, a.kind AS speaker_kind, "
                "a.country AS speaker_country, p.name AS speaker_parent FROM statements s "
                "LEFT JOIN actors a ON a.id = s.speaker_id LEFT JOIN actors p ON p.id = a.parent_id",
                {
                    "speaker_name": "`actors.name` of the speaker.",
                    "speaker_name_native": "`actors.name_native` of the speaker.",
                    "speaker_kind": "`actors.kind` of the speaker (person, government-body, ...).",
                    "speaker_country": "`actors.country` of the speaker (ISO 3166-1 alpha-2).",
                    "speaker_parent": "Name of the body the speaker belongs to (`actors.parent_id`).",
                },
                ("statements",),
            )
        )
    if {"arms_purchases", "investments"} <= names:
        out.append(
            View(
                "arms_with_financing",
                "Live arms purchases with the supplier's name and the loan or credit line that paid for them.",
                "SELECT p.*, a.name AS supplier_name, i.project AS financing_project, "
                "i.instrument AS financing_instrument, i.amount_usd_best AS financing_amount_usd_best, "
                "i.start_date AS financing_start_date FROM arms_purchases p "
                "LEFT JOIN actors a ON a.id = p.supplier_id LEFT JOIN investments i ON i.id = p.financing_id",
                {
                    "supplier_name": "`actors.name` of the supplier.",
                    "financing_project": "`investments.project` of the financing row.",
                    "financing_instrument": "`investments.instrument` of the financing row.",
                    "financing_amount_usd_best": "`investments.amount_usd_best` of the financing row.",
                    "financing_start_date": "`investments.start_date` of the financing row.",
                },
                ("arms_purchases",),
            )
        )
    if "investments" in names:
        out.append(
            View(
                "investments_with_parties",
                "Live investments with the investor's and counterpart's names and countries.",
                "SELECT i.*, a.name AS investor_name, a.country AS investor_country, c.name AS counterpart_name, "
                "c.country AS counterpart_country FROM investments i "
                "LEFT JOIN actors a ON a.id = i.investor_id LEFT JOIN actors c ON c.id = i.counterpart_id",
                {
                    "investor_name": "`actors.name` of the investor.",
                    "investor_country": "`actors.country` of the investor.",
                    "counterpart_name": "`actors.name` of the counterpart.",
                    "counterpart_country": "`actors.country` of the counterpart.",
                },
                ("investments",),
            )
        )
    return out


def _column_names(res: Resource) -> list[str]:
    return [name for name, _, _ in typed_columns(res)]


# --------------------------------------------------------------------------- loading


def load(con: duckdb.DuckDBPyConnection, pkg: DataPackage, *, include_withdrawn: bool = False) -> None:
    """Create the typed tables, the views and their comments in ``con`` (from the package's CSVs)."""
    con.execute("BEGIN TRANSACTION")  # one commit: a file database would otherwise sync per comment
    try:
        _load_all(con, pkg, include_withdrawn=include_withdrawn)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _load_all(con: duckdb.DuckDBPyConnection, pkg: DataPackage, *, include_withdrawn: bool) -> None:
    import duckdb

    notes: list[tuple[str, str, str, dict[str, str]]] = []  # (TABLE|VIEW, name, comment, column comments)
    for res in pkg:
        notes += _load_resource(con, res, include_withdrawn=include_withdrawn)
    con.execute(f"DROP TABLE IF EXISTS {BOUNDS_TABLE}")
    for v in views(pkg):
        try:
            con.execute(f"CREATE OR REPLACE VIEW {ident(v.name)} AS {v.sql}")
        except duckdb.Error as exc:
            raise PackageReadError(
                f"view {v.name} cannot be created: {exc}",
                "the view's SQL names a column the schemas no longer have: update ruven.query.views",
            ) from exc
        comments: dict[str, str] = {}
        for rel in v.inherit:
            for _, name, _, cols in notes:
                if name == rel:
                    comments = cols | comments
        notes.append(("VIEW", v.name, v.description, comments | v.columns))
    _package_info(con, pkg)
    _write_comments(con, notes)


def _load_resource(
    con: duckdb.DuckDBPyConnection, res: Resource, *, include_withdrawn: bool
) -> list[tuple[str, str, str, dict[str, str]]]:
    import duckdb

    if not res.path.exists():
        raise PackageReadError(
            f"{res.relpath} does not exist", "create the file (a header line is enough)", location=str(res.path)
        )
    cols = typed_columns(res)
    select = ", ".join(f"{expr} AS {ident(name)}" for name, expr, _ in cols)
    src = (
        f"read_csv({literal(str(res.path))}, header = true, all_varchar = true, delim = ',', quote = '\"', "
        "escape = '\"', encoding = 'utf-8')"
    )
    table = all_table(res)
    dates = [f.name for f in res.fields if f.is_partial_date]
    try:
        if dates:  # bounds from the EDTF library: parse each distinct value once, join them on
            con.execute(f"CREATE OR REPLACE TEMP TABLE __ruven_raw AS SELECT * FROM {src}")
            union = " UNION ".join(f"SELECT {ident(d)} AS v FROM __ruven_raw" for d in dates)
            load_bounds(con, [v for (v,) in con.execute(f"SELECT DISTINCT v FROM ({union}) WHERE v IS NOT NULL").fetchall()])
            con.execute(
                f"CREATE OR REPLACE TABLE {ident(table)} AS SELECT {select} FROM __ruven_raw r {bounds_joins(res)} ORDER BY r.rowid"
            )
            con.execute("DROP TABLE __ruven_raw")
        else:
            con.execute(f"CREATE OR REPLACE TABLE {ident(table)} AS SELECT {select} FROM {src}")
    except duckdb.Error as exc:
        raise PackageReadError(
            f"{res.relpath} cannot be loaded into DuckDB: {exc}",
            "run `ruven validate` to locate the cell or header that does not match schemas/" + res.name + ".json",
            location=res.relpath,
        ) from exc
    comments = {name: comment for name, _, comment in cols}
    desc = f"{res.title}: {res.description}"
    if table == res.name:
        return [("TABLE", table, desc, comments)]
    where = "" if include_withdrawn else f" WHERE {ident(WITHDRAWN)} IS NULL"
    con.execute(f"CREATE OR REPLACE VIEW {ident(res.name)} AS SELECT * FROM {ident(table)}{where}")
    note = (
        " Withdrawn rows are included (connect(include_withdrawn=True))."
        if include_withdrawn
        else f" Live rows only: rows with a non-empty `{WITHDRAWN}` are left out (they are in `{table}`)."
    )
    return [
        ("TABLE", table, desc + f" All rows, including withdrawn ones (non-empty `{WITHDRAWN}`).", comments),
        ("VIEW", res.name, desc + note, comments),
    ]


def _write_comments(con: duckdb.DuckDBPyConnection, notes: Sequence[tuple[str, str, str, dict[str, str]]]) -> None:
    """COMMENT ON every table, view and column, in one round trip."""
    have = set(con.execute("SELECT table_name, column_name FROM duckdb_columns() WHERE NOT internal").fetchall())
    sql = []
    for kind, name, text, columns in notes:
        sql.append(f"COMMENT ON {kind} {ident(name)} IS {literal(text)};")
        sql += [
            f"COMMENT ON COLUMN {ident(name)}.{ident(col)} IS {literal(comment)};"
            for col, comment in columns.items()
            if comment and (name, col) in have
        ]
    con.execute("\n".join(sql))


def _package_info(con: duckdb.DuckDBPyConnection, pkg: DataPackage) -> None:
    rows = [
        ("name", pkg.name),
        ("title", pkg.title),
        ("version", pkg.version),
        ("license", pkg.license),
        ("citation", citation(pkg)),
        ("withdrawn", f"Views leave out rows with a non-empty `{WITHDRAWN}`; the `<table>_all` tables keep them."),
    ]
    con.execute("CREATE OR REPLACE TABLE package_info (key VARCHAR, value VARCHAR)")
    con.executemany("INSERT INTO package_info VALUES (?, ?)", rows)
    con.execute("COMMENT ON TABLE package_info IS 'Name, version, licence and how to cite the ruven data package.'")


def citation(pkg: DataPackage) -> str:
    """How to cite the package: the same words as the README and CITATION.cff (ruven.docs)."""
    from ruven.citation import citation_text

    return citation_text(pkg)


def open_database(database: str = ":memory:", threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection set up for ruven: never fetches extensions, draws no progress bar."""
    import duckdb

    config: dict[str, Any] = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    if threads:
        config["threads"] = threads
    con = duckdb.connect(database, config=config)
    con.execute("SET enable_progress_bar = false")
    return con


def connect(
    package: str | os.PathLike[str] | DataPackage | None = None,
    *,
    include_withdrawn: bool = False,
    sandbox: bool = False,
    database: str = ":memory:",
    threads: int | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB connection holding one typed table per resource and the research views.

    ``package``: ``datapackage.json``, its folder or a loaded :class:`DataPackage` (default:
    found from the current folder). ``include_withdrawn``: let the ``<table>`` views show
    withdrawn rows too (they are always in ``<table>_all``). ``sandbox``: after loading, turn
    off access to files and extensions (``enable_external_access = false``) and lock the
    configuration so a query cannot turn it back on. ``database``: a file path to build a
    persistent database instead of an in-memory one.
    """

    pkg = package if isinstance(package, DataPackage) else DataPackage.load(package)
    con = open_database(database, threads)
    try:
        load(con, pkg, include_withdrawn=include_withdrawn)
        if sandbox:
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


# --------------------------------------------------------------------------- running queries


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


__all__ = ["QueryResult", "View", "connect", "load", "query", "run", "views"]
