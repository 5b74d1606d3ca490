"""The one typed DuckDB connection: every resource as a typed table, the research views, comments.

``connect()`` loads every resource's CSV with DuckDB's ``read_csv`` into a table typed as its
Table Schema declares (:mod:`ruven.db.types`: integers, numbers and dates parsed by the reader,
the other columns cast from text), so that nothing here keeps a list of columns of its own.
No row passes through Python: each CSV is scanned once for its distinct partial-date texts
(whose EDTF bounds the EDTF library gives, in a worker thread) and read once into its table.

``ruven query`` uses the lazy form of the same connection (``load(..., lazy=True)``,
:func:`connect_for_query`): each ``<name>_all`` is a VIEW over the CSV with the very same typed
columns, so a query reads only the CSVs it touches, when it runs, and nothing is loaded or
kept; its sandbox lets DuckDB read exactly those CSV files.

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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruven.db.names import WITHDRAWN, all_table, ident, literal
from ruven.db.types import (
    Bounds,
    create_bounds_functions,
    create_bounds_macros,
    csv_types,
    drop_bounds_macros,
    edtf_bounds,
    typed_columns,
)
from ruven.db.views import views
from ruven.errors import PackageReadError
from ruven.package import DataPackage, Resource

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

Notes = list[tuple[str, str, str, dict[str, str]]]  # (TABLE|VIEW, name, comment, column comments)


def load(
    con: duckdb.DuckDBPyConnection,
    pkg: DataPackage,
    *,
    include_withdrawn: bool = False,
    lazy: bool = False,
    kept: dict[str, Path] | None = None,
) -> None:
    """Create the typed tables, the views and their comments in ``con`` (from the package's CSVs).

    ``lazy``: each resource's ``<name>_all`` is a VIEW over its CSV with the very same typed
    columns instead of a TABLE, so nothing is read until a query reads it, and a query reads
    only the CSVs it touches (the partial-date bounds are then found as the query needs them:
    :func:`ruven.db.types.create_bounds_functions`). ``kept`` (lazy only): resource or research view
    name -> its kept copy (:mod:`ruven.db.kept`), which the view of that name reads instead of
    the CSV, or instead of computing its rows."""
    import duckdb

    if lazy:
        for name, path in (kept or {}).items():  # attached outside the transaction (DuckDB cannot attach inside one)
            try:
                con.execute(f"ATTACH {literal(str(path))} AS {_kept_alias(name)} (READ_ONLY)")
            except duckdb.Error:
                pass  # gone since it was found (another query's clean-up): read from the CSVs
        if any(f.is_partial_date for res in pkg if res.name not in (kept or {}) for f in res.fields):
            create_bounds_functions(con)  # the views over CSVs find their bounds (kept copies hold theirs)
    con.execute("BEGIN TRANSACTION")  # one commit: a file database would otherwise sync per comment
    try:
        _load_all(con, pkg, include_withdrawn=include_withdrawn, lazy=lazy)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _load_all(con: duckdb.DuckDBPyConnection, pkg: DataPackage, *, include_withdrawn: bool, lazy: bool) -> None:
    from concurrent.futures import Future, ThreadPoolExecutor

    import duckdb

    # Each CSV is read twice, never into Python: first its partial-date columns' distinct texts
    # (a cheap scan), then once whole into its typed table. The EDTF library parses each
    # distinct date text once, in a worker thread: DuckDB runs without holding Python's GIL,
    # so the parsing of one table's dates overlaps DuckDB's reading of the others.
    # A lazy connection reads nothing here: its resources are views over the CSVs, and the bounds
    # functions parse a date text when a query first reads its bounds.
    notes: Notes = []
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ruven-edtf")
    try:
        pending: dict[str, Future[Bounds]] = {}
        for res in pkg:
            if not lazy and (values := date_texts(con, res)) is not None:
                pending[res.name] = worker.submit(edtf_bounds, values)
        for res in pkg:
            if res.name in pending:
                create_bounds_macros(con, pending[res.name].result())
            notes += _load_resource(con, res, include_withdrawn=include_withdrawn, lazy=lazy)
    finally:
        worker.shutdown(wait=False, cancel_futures=True)
    if not lazy:
        drop_bounds_macros(con)
    for v in views(pkg):
        # a kept copy of the view's rows, in its order, when one is attached (ruven.db.kept)
        sql = f"SELECT * FROM {_kept_alias(v.name)}.t" if lazy and _attached(con, v.name) else v.sql
        try:
            con.execute(f"CREATE OR REPLACE VIEW {ident(v.name)} AS {sql}")
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


def date_texts(con: duckdb.DuckDBPyConnection, res: Resource) -> list[str] | None:
    """The distinct texts of the partial-date columns of ``res`` (None when it has none)."""
    dates = [f.name for f in res.fields if f.is_partial_date]
    if not dates:
        return None
    texts = ", ".join(ident(d) for d in dates)
    sql = f"SELECT DISTINCT v FROM (SELECT unnest([{texts}]) AS v FROM {_csv(con, res)}) WHERE v IS NOT NULL"
    return [v for (v,) in _read(con, res, sql).fetchall()]


def _csv(con: duckdb.DuckDBPyConnection, res: Resource) -> str:
    """DuckDB's reader of the resource's CSV: the columns of :func:`csv_types` typed, the others
    as text (the casts of :func:`ruven.db.types.cast_sql` make them typed).

    When the file's header is exactly the schema's field names, in order (the canonical form),
    the reader is given every column and does not sniff the file: each query that binds a view
    over it (the lazy connection binds them often) then costs no sample read. Any other header
    gets DuckDB's sniffing reader, which matches columns by name."""
    if not res.path.exists():
        raise PackageReadError(
            f"{res.relpath} does not exist", "create the file (a header line is enough)", location=str(res.path)
        )
    dialect = "delim = ',', quote = '\"', escape = '\"', encoding = 'utf-8'"
    path = literal(str(res.path))
    if _header(con, path, dialect, len(res.fields)) == res.field_names:
        typed = csv_types(res)
        columns = ", ".join(f"{literal(f.name)}: {literal(typed.get(f.name, 'VARCHAR'))}" for f in res.fields)
        return f"read_csv({path}, header = true, {dialect}, auto_detect = false, columns = {{{columns}}})"
    types = ", ".join(f"{literal(name)}: {literal(typ)}" for name, typ in csv_types(res).items())
    return f"read_csv({path}, header = true, {dialect}, auto_type_candidates = ['VARCHAR'], types = {{{types}}})"


def _header(con: duckdb.DuckDBPyConnection, path: str, dialect: str, width: int) -> list[str] | None:
    """The first record of the CSV at ``path`` (a SQL literal) when it has ``width`` cells, else None."""
    import duckdb

    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
    try:
        row = con.execute(
            f"SELECT * FROM read_csv({path}, header = false, {dialect}, auto_detect = false, columns = {{{columns}}}) LIMIT 1"
        ).fetchone()
    except duckdb.Error:  # not that many cells, or not a CSV the plain reader takes: the sniffing reader says why
        return None
    return list(row) if row is not None else None


def _read(con: duckdb.DuckDBPyConnection, res: Resource, sql: str) -> duckdb.DuckDBPyConnection:
    """Run ``sql`` (which reads the CSV of ``res``); a failure is the file's, located."""
    import duckdb

    try:
        return con.execute(sql)
    except duckdb.Error as exc:
        raise _file_error(res, exc) from exc


def _file_error(res: Resource, exc: Exception) -> PackageReadError:
    reason = str(exc).split("\n\n")[0]  # DuckDB's CSV errors go on with the reader's options
    return PackageReadError(
        f"{res.relpath} cannot be loaded into DuckDB: {reason}",
        "run `ruven validate` to locate the cell or header that does not match schemas/" + res.name + ".json",
        location=res.relpath,
    )


def csv_error(pkg: DataPackage, exc: BaseException) -> PackageReadError | None:
    """The package's error for a DuckDB error raised while a query of the lazy connection read a
    CSV of ``pkg`` (a cell that is not of its column's type, a ragged row), as :func:`load` reports
    it; None when ``exc`` is not such an error."""
    import duckdb

    if not isinstance(exc, duckdb.Error) or "CSV Error" not in str(exc):
        return None
    for res in pkg:
        if f"file = {res.path}\n" in str(exc) + "\n":
            return _file_error(res, exc)
    return None


def typed_select(con: duckdb.DuckDBPyConnection, res: Resource) -> str:
    """The typed columns of ``res`` over its CSV (:func:`ruven.db.types.typed_columns`): a
    projection of the CSV scan, so DuckDB keeps the file's row order (preserve_insertion_order)."""
    select = ", ".join(f"{expr} AS {ident(name)}" for name, expr, _ in typed_columns(res))
    return f"SELECT {select} FROM {_csv(con, res)}"


def _kept_db(name: str) -> str:
    """The database name a kept copy of the table or view ``name`` is attached under (:mod:`ruven.db.kept`)."""
    return f"ruven_kept_{name}"


def _kept_alias(name: str) -> str:
    return ident(_kept_db(name))


def _load_resource(con: duckdb.DuckDBPyConnection, res: Resource, *, include_withdrawn: bool, lazy: bool) -> Notes:
    cols = typed_columns(res)
    table = all_table(res)
    kind = "VIEW" if lazy else "TABLE"
    # loaded once into a table, or read again by each query of the lazy connection's view (from
    # the table's kept copy when one is attached)
    if lazy and _attached(con, res.name):
        source = f"SELECT * FROM {_kept_alias(res.name)}.t"
    else:
        source = typed_select(con, res)
    _read(con, res, f"CREATE OR REPLACE {kind} {ident(table)} AS {source}")
    comments = {name: comment for name, _, comment in cols}
    desc = f"{res.title}: {res.description}"
    if table == res.name:
        return [(kind, table, desc, comments)]
    where = "" if include_withdrawn else f" WHERE {ident(WITHDRAWN)} IS NULL"
    con.execute(f"CREATE OR REPLACE VIEW {ident(res.name)} AS SELECT * FROM {ident(table)}{where}")
    note = (
        " Withdrawn rows are included (connect(include_withdrawn=True))."
        if include_withdrawn
        else f" Live rows only: rows with a non-empty `{WITHDRAWN}` are left out (they are in `{table}`)."
    )
    return [
        (kind, table, desc + f" All rows, including withdrawn ones (non-empty `{WITHDRAWN}`).", comments),
        ("VIEW", res.name, desc + note, comments),
    ]


def _attached(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether a kept copy of the table or view ``name`` is attached."""
    return con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = ?", [_kept_db(name)]).fetchall() == [(1,)]


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
    lazy: bool = False,
    kept: dict[str, Path] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB connection holding one typed table per resource and the research views.

    ``package``: ``datapackage.json``, its folder or a loaded :class:`DataPackage` (default:
    found from the current folder). ``include_withdrawn``: let the ``<table>`` views show
    withdrawn rows too (they are always in ``<table>_all``). ``sandbox``: after loading, turn
    off access to files and extensions (``enable_external_access = false``) and lock the
    configuration so a query cannot turn it back on. ``database``: a file path to build a
    persistent database instead of an in-memory one. ``lazy``: views over the CSVs instead of
    tables loaded from them (:func:`load`); the sandbox then lets DuckDB read those CSVs, and
    only them. ``kept`` (lazy only): the kept copies the views read instead of CSVs
    (:func:`ruven.db.kept.plan`).
    """
    pkg = package if isinstance(package, DataPackage) else DataPackage.load(package)
    con = open_database(database, threads)
    try:
        load(con, pkg, include_withdrawn=include_withdrawn, lazy=lazy, kept=kept)
        if sandbox:
            lock_down(con, [str(res.path) for res in pkg] if lazy else ())
    except BaseException:
        con.close()
        raise
    return con


def lock_down(con: duckdb.DuckDBPyConnection, readable: Sequence[str] = ()) -> None:
    """The query sandbox: no access to files or extensions, and a configuration a query cannot
    change back. ``readable``: files DuckDB may still read (the lazy connection's CSVs: exactly
    the paths its views name, no folder)."""
    if readable:
        con.execute(f"SET allowed_paths = [{', '.join(literal(p) for p in readable)}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def connect_for_query(
    package: str | os.PathLike[str] | DataPackage | None = None,
    *,
    include_withdrawn: bool = False,
    kept: dict[str, Path] | None = None,
) -> duckdb.DuckDBPyConnection:
    """The sandboxed connection of ``ruven query``: the lazy connection (views over the CSVs,
    :func:`load`), which reads only the CSVs a query touches, when it runs, and may read no
    other file; ``kept``: the kept copies it reads instead of their CSVs (:mod:`ruven.db.kept`)."""
    return connect(package, include_withdrawn=include_withdrawn, sandbox=True, lazy=True, kept=kept)
