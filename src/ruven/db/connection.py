"""The one typed DuckDB connection: every resource as a typed table, the research views, comments.

``connect()`` loads every resource's CSV with DuckDB's ``read_csv`` into a table typed as its
Table Schema declares (:mod:`ruven.db.types`: integers, numbers and dates parsed by the reader,
the other columns cast from text), so that nothing here keeps a list of columns of its own.
No row passes through Python: each CSV is scanned once for its distinct partial-date texts
(whose EDTF bounds the EDTF library gives, in a worker thread) and read once into its table.

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
from ruven.db.types import Bounds, create_bounds_macros, csv_types, drop_bounds_macros, edtf_bounds, typed_columns
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
    from concurrent.futures import Future, ThreadPoolExecutor

    import duckdb

    # Each CSV is read twice, never into Python: first its partial-date columns' distinct texts
    # (a cheap scan), then once whole into its typed table. The EDTF library parses each
    # distinct date text once, in a worker thread: DuckDB runs without holding Python's GIL,
    # so the parsing of one table's dates overlaps DuckDB's reading of the others.
    notes: Notes = []
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ruven-edtf")
    try:
        pending: dict[str, Future[Bounds]] = {}
        for res in pkg:
            dates = [f.name for f in res.fields if f.is_partial_date]
            if dates:
                texts = ", ".join(ident(d) for d in dates)
                sql = f"SELECT DISTINCT v FROM (SELECT unnest([{texts}]) AS v FROM {_csv(res)}) WHERE v IS NOT NULL"
                values = [v for (v,) in _read(con, res, sql).fetchall()]
                pending[res.name] = worker.submit(edtf_bounds, values)
        for res in pkg:
            if res.name in pending:
                create_bounds_macros(con, pending[res.name].result())
            notes += _load_resource(con, res, include_withdrawn=include_withdrawn)
    finally:
        worker.shutdown(wait=False, cancel_futures=True)
    drop_bounds_macros(con)
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


def _csv(res: Resource) -> str:
    """DuckDB's reader of the resource's CSV: the columns of :func:`csv_types` typed, the others
    as text (the casts of :func:`ruven.db.types.cast_sql` make them typed)."""
    if not res.path.exists():
        raise PackageReadError(
            f"{res.relpath} does not exist", "create the file (a header line is enough)", location=str(res.path)
        )
    types = ", ".join(f"{literal(name)}: {literal(typ)}" for name, typ in csv_types(res).items())
    return (
        f"read_csv({literal(str(res.path))}, header = true, delim = ',', quote = '\"', escape = '\"', "
        f"encoding = 'utf-8', auto_type_candidates = ['VARCHAR'], types = {{{types}}})"
    )


def _read(con: duckdb.DuckDBPyConnection, res: Resource, sql: str) -> duckdb.DuckDBPyConnection:
    """Run ``sql`` (which reads the CSV of ``res``); a failure is the file's, located."""
    import duckdb

    try:
        return con.execute(sql)
    except duckdb.Error as exc:
        reason = str(exc).split("\n\n")[0]  # DuckDB's CSV errors go on with the reader's options
        raise PackageReadError(
            f"{res.relpath} cannot be loaded into DuckDB: {reason}",
            "run `ruven validate` to locate the cell or header that does not match schemas/" + res.name + ".json",
            location=res.relpath,
        ) from exc


def _load_resource(con: duckdb.DuckDBPyConnection, res: Resource, *, include_withdrawn: bool) -> Notes:
    cols = typed_columns(res)
    select = ", ".join(f"{expr} AS {ident(name)}" for name, expr, _ in cols)
    table = all_table(res)
    # a projection of the CSV scan: DuckDB keeps the file's row order (preserve_insertion_order)
    _read(con, res, f"CREATE OR REPLACE TABLE {ident(table)} AS SELECT {select} FROM {_csv(res)}")
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


def open_database(database: str = ":memory:", threads: int | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection set up for ruven: never fetches extensions, draws no progress bar."""
    import duckdb

    config: dict[str, Any] = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    if threads:
        config["threads"] = threads
    con = duckdb.connect(database, read_only=read_only, config=config)
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
            lock_down(con)
    except BaseException:
        con.close()
        raise
    return con


def lock_down(con: duckdb.DuckDBPyConnection) -> None:
    """The query sandbox: no access to files or extensions, and a configuration a query cannot
    change back."""
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def connect_for_query(package: str | os.PathLike[str] | DataPackage | None = None, *, include_withdrawn: bool = False) -> duckdb.DuckDBPyConnection:
    """The sandboxed connection of ``ruven query``: the cached database of the very same bytes
    opened read-only (:mod:`ruven.db.cache`), else loaded from the CSVs and then kept."""
    from ruven.db import cache

    pkg = package if isinstance(package, DataPackage) else DataPackage.load(package)
    con = None
    kept = cache.cached(pkg, include_withdrawn)
    if kept is not None:
        try:
            con = open_database(str(kept), read_only=True)
        except Exception:  # noqa: BLE001 - a damaged cache file is rebuilt, never trusted
            con = None
    if con is None:
        con = connect(pkg, include_withdrawn=include_withdrawn)
        cache.store(con, pkg, include_withdrawn)
    try:
        lock_down(con)
    except BaseException:
        con.close()
        raise
    return con
