"""The one typed DuckDB connection: every resource as a typed table, the research views, comments.

``connect()`` loads every resource's CSV with DuckDB's ``read_csv`` (all columns as text)
and casts each column to the type its Table Schema declares (:mod:`ruven.db.types`), so
that nothing here keeps a list of columns of its own.

Withdrawn rows (a non-empty ``withdrawn`` cell) are kept in the table ``<name>_all``; the
view ``<name>`` and every research view built on it leave them out (``connect(...,
include_withdrawn=True)`` makes ``<name>`` show them too). Reference tables without a
``withdrawn`` column (``sources``, ``actors``) are plain tables named as the resource.

Core: it never prints and never exits; failures raise ``RuvenError`` subclasses. ``duckdb``
is imported inside the functions that need it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ruven.db.names import WITHDRAWN, all_table, ident, literal
from ruven.db.types import BOUNDS_TABLE, bounds_joins, load_bounds, typed_columns
from ruven.db.views import views
from ruven.errors import PackageReadError
from ruven.package import DataPackage, Resource

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

Notes = list[tuple[str, str, str, dict[str, str]]]  # (TABLE|VIEW, name, comment, column comments)


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

    notes: Notes = []
    for res in pkg:
        notes += _load_resource(con, res, include_withdrawn=include_withdrawn)
    con.execute(f"DROP TABLE IF EXISTS {BOUNDS_TABLE}")
    for v in views(pkg):
        try:
            con.execute(f"CREATE OR REPLACE VIEW {ident(v.name)} AS {v.sql}")
        except duckdb.Error as exc:
            raise PackageReadError(
                f"view {v.name} cannot be created: {exc}",
                f"the view's SQL names a column the schemas no longer have: update src/ruven/db/sql/{v.name}.sql",
            ) from exc
        comments: dict[str, str] = {}
        for rel in v.inherit:
            for _, name, _, cols in notes:
                if name == rel:
                    comments = cols | comments
        notes.append(("VIEW", v.name, v.description, comments | v.columns))
    _package_info(con, pkg)
    _write_comments(con, notes)


def _load_resource(con: duckdb.DuckDBPyConnection, res: Resource, *, include_withdrawn: bool) -> Notes:
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
