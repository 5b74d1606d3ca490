"""Running SQL on the typed connection: ``run`` (sandbox rules) and ``query`` (open, then run)."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ruven.db import kept
from ruven.db.connection import connect, connect_for_query, csv_error
from ruven.errors import QueryError
from ruven.package import DataPackage

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

T = TypeVar("T")

#: Statement types a sandboxed query may run (everything else could change state). An
#: ``EXPLAIN`` is judged by the statement it explains (``EXPLAIN ANALYZE`` runs it).
READ_ONLY_STATEMENTS = frozenset({"SELECT", "EXPLAIN"})
#: DuckDB parses a dynamic ``PIVOT`` (one whose ``ON`` values are found from the data) as a
#: ``MULTI`` statement: it creates a temporary ENUM type of those values, then selects. Such a
#: statement runs in the sandbox when it starts like a query (these first words), and always
#: inside a read-only transaction, so DuckDB itself refuses any write it holds
#: (``CREATE TABLE t AS PIVOT ...`` starts with CREATE and is refused before it runs).
QUERY_STARTS = frozenset({"PIVOT", "PIVOT_WIDER", "UNPIVOT", "PIVOT_LONGER", "SELECT", "FROM", "WITH", "(", "VALUES", "TABLE"})
_HINT = 'fix the SQL; `ruven query "SHOW ALL TABLES"` lists tables and views'


@dataclass
class QueryResult:
    """The result of the last statement of a query."""

    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]

    def unique_columns(self) -> list[str]:
        """The column names, each a distinct key: a repeated name gets ``_2``, ``_3`` … (the first
        free suffix), so ``SELECT 1 AS x, 2 AS x`` has the columns ``x`` and ``x_2``."""
        taken = set(self.columns)
        seen: set[str] = set()
        out = []
        for name in self.columns:
            if name in seen:
                n = 2
                while f"{name}_{n}" in taken:
                    n += 1
                name = f"{name}_{n}"
                taken.add(name)
            seen.add(name)
            out.append(name)
        return out

    def records(self) -> list[dict[str, Any]]:
        """The rows as ``{column: value}``, keyed by :meth:`unique_columns` (no column is lost)."""
        names = self.unique_columns()
        return [dict(zip(names, r, strict=True)) for r in self.rows]


def statement_kind(con: duckdb.DuckDBPyConnection, statement: Any) -> str:
    """What ``statement`` really does: DuckDB's statement type, and for an ``EXPLAIN`` (which
    ``EXPLAIN ANALYZE`` runs) the type of the statement it explains, as ``EXPLAIN DROP``.
    ``EXPLAIN ?`` when the explained statement cannot be told (it is then not read-only)."""
    kind = getattr(statement.type, "name", str(statement.type))
    if kind != "EXPLAIN":
        return kind
    inner = _explained(statement.query)
    try:
        parts = con.extract_statements(inner) if inner else []
    except Exception:  # noqa: BLE001 - DuckDB parsed the whole; a part it cannot parse is not read-only
        parts = []
    if len(parts) != 1:
        return "EXPLAIN ?"
    return f"EXPLAIN {statement_kind(con, parts[0])}"


def _explained(sql: str) -> str:
    """The statement an ``EXPLAIN [ANALYZE | (options)] statement`` explains (DuckDB's tokenizer:
    comments and options skipped); empty when the shape is not that."""
    import duckdb

    tokens = duckdb.tokenize(sql)
    ends = [o for o, _ in tokens[1:]] + [len(sql)]
    words = [(o, sql[o:e].strip(), t) for (o, t), e in zip(tokens, ends, strict=True) if t != duckdb.token_type.comment]
    if not words or words[0][1].upper() != "EXPLAIN":
        return ""
    i = 1
    if i < len(words) and words[i][1].upper() in ("ANALYZE", "ANALYSE"):
        i += 1
    elif i < len(words) and words[i][1].startswith("("):
        depth = 0
        while i < len(words):
            if words[i][2] == duckdb.token_type.operator:
                depth += words[i][1].count("(") - words[i][1].count(")")
            i += 1
            if depth <= 0:
                break
    return sql[words[i][0] :] if i < len(words) else ""


def first_word(sql: str) -> str:
    """The first token of ``sql`` that is not a comment, upper-cased (DuckDB's tokenizer)."""
    import duckdb

    tokens = duckdb.tokenize(sql)
    ends = [o for o, _ in tokens[1:]] + [len(sql)]
    for (o, t), e in zip(tokens, ends, strict=True):
        if t != duckdb.token_type.comment:
            word = sql[o:e].strip()
            return word[:1] if word.startswith("(") else word.upper()
    return ""


def check_read_only(con: duckdb.DuckDBPyConnection, statements: list[Any]) -> None:
    """Raise :class:`QueryError` unless every statement only reads (judged by what it does, not
    by its first word: ``EXPLAIN ANALYZE DROP TABLE t`` is a ``DROP``). A dynamic ``PIVOT``
    (DuckDB's ``MULTI``) passes when it starts like a query; :func:`run` then runs it in a
    read-only transaction, where DuckDB refuses any write."""
    for st in statements:
        kind = statement_kind(con, st)  # "SELECT", "DROP", "EXPLAIN SELECT", "EXPLAIN DROP", "EXPLAIN ?"
        if kind == "MULTI":  # a dynamic PIVOT inside whatever statement starts it
            if first_word(st.query) in QUERY_STARTS:
                continue
            kind = f"{first_word(st.query)} (with a dynamic PIVOT)"
        if not set(kind.split()) <= READ_ONLY_STATEMENTS:
            raise QueryError(
                f"{kind} statements are not allowed: the query sandbox is read-only",
                "only SELECT queries (and EXPLAIN of a SELECT) run by default; pass --allow-external to write or export files",
            )


def run(con: duckdb.DuckDBPyConnection, sql: str, *, read_only: bool = True, timeout: float | None = None) -> QueryResult:
    """Run ``sql`` (one or more statements) on ``con``; return the last statement's result.

    With ``read_only`` only ``SELECT`` statements (``FROM``, ``DESCRIBE``, ``SHOW``,
    ``SUMMARIZE`` and a dynamic ``PIVOT`` included) and ``EXPLAIN [ANALYZE]`` of them are
    allowed, run in a read-only transaction that is rolled back. ``timeout``
    (seconds; ``None`` or 0: none) interrupts DuckDB when the query runs longer. Failures
    raise :class:`QueryError` with DuckDB's own message. Ctrl-C interrupts DuckDB too and
    raises ``KeyboardInterrupt`` once it has stopped.
    """
    import duckdb

    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(str(exc), _HINT) from exc
    if not statements:
        raise QueryError("no SQL statement given", 'pass a query, e.g. ruven query "SELECT * FROM timeline"')
    if read_only:
        check_read_only(con, statements)

    def execute() -> tuple[list[Any], list[tuple[Any, ...]]]:
        for st in statements[:-1]:
            con.execute(st)
        con.execute(statements[-1])
        desc = con.description or []
        return desc, (con.fetchall() if desc else [])

    def execute_read_only() -> tuple[list[Any], list[tuple[Any, ...]]]:
        # a read-only transaction, rolled back: DuckDB refuses every write to the package's
        # tables, and what a dynamic PIVOT creates (a temporary ENUM type) is gone afterwards
        con.execute("BEGIN TRANSACTION READ ONLY")
        try:
            return execute()
        finally:
            try:
                con.execute("ROLLBACK")
            except Exception:  # noqa: BLE001 - never hide the query's own outcome: an interrupted or failed transaction is already over
                pass

    try:
        desc, rows = interruptible(con, execute_read_only if read_only else execute, timeout)
    except (duckdb.TransactionException, duckdb.CatalogException) as exc:
        # a write refused by the read-only transaction, or a write into a table of the lazy
        # connection (a view over its CSV): both are the sandbox at work
        writes = "read-only" in str(exc) if isinstance(exc, duckdb.TransactionException) else read_only and re.search(r"\bis not an? table\b", str(exc))
        if not writes:
            raise QueryError(str(exc), _HINT) from exc
        raise QueryError(
            f"the query writes, and the query sandbox is read-only: {exc}",
            "only queries run by default; pass --allow-external to write or export files",
        ) from exc
    except duckdb.PermissionException as exc:
        raise QueryError(
            str(exc), "the query sandbox cannot read or write files; pass --allow-external to export or read files"
        ) from exc
    except duckdb.Error as exc:
        raise QueryError(str(exc), _HINT) from exc
    return QueryResult([d[0] for d in desc], [str(d[1]) for d in desc], rows)


def interruptible(con: duckdb.DuckDBPyConnection, work: Callable[[], T], timeout: float | None = None) -> T:
    """Run ``work`` (DuckDB calls on ``con``) so that it can be stopped: after ``timeout``
    seconds (:class:`QueryError` naming the limit) or by Ctrl-C (``KeyboardInterrupt``).

    DuckDB holds the thread that runs a query until the query ends, and Python runs a signal
    handler only between bytecodes of the main thread; so the work runs in a helper thread
    while the main thread waits, and either way ``con.interrupt()`` stops DuckDB cleanly.
    """
    import duckdb

    outcome: dict[str, Any] = {}

    done = threading.Event()  # not Thread.join: a join that Ctrl-C interrupts can leave the thread marked stopped (Python < 3.13)

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name="ruven-query", daemon=True).start()
    timed_out = False
    try:
        if not done.wait(timeout or None):
            timed_out = True
            _stop(con, done)
    except KeyboardInterrupt:
        _stop(con, done)
        raise
    if "error" in outcome:
        exc = outcome["error"]
        if timed_out and isinstance(exc, duckdb.InterruptException):
            raise QueryError(
                f"the query was stopped after the timeout of {timeout:g} seconds",
                "raise the limit with --timeout SECONDS (--timeout 0 for none), or narrow the query (a LIMIT, a WHERE, fewer joins)",
            ) from exc
        raise exc
    return outcome["value"]  # type: ignore[no-any-return]


def _stop(con: duckdb.DuckDBPyConnection, done: threading.Event) -> None:
    """Interrupt DuckDB until the work has ended (again each second: a statement that starts
    after an interrupt, the next of several, runs on); a further Ctrl-C changes nothing. Only
    then can the connection be closed."""
    while True:
        con.interrupt()
        try:
            if done.wait(1.0):
                return
        except KeyboardInterrupt:
            continue


def query(
    sql: str,
    package: str | os.PathLike[str] | DataPackage | None = None,
    *,
    allow_external: bool = False,
    include_withdrawn: bool = False,
    timeout: float | None = None,
    keep_min_bytes: int | None = None,
) -> QueryResult:
    """Open the package's typed connection and run ``sql``: sandboxed (read-only, the lazy
    connection of :func:`connect_for_query`, which reads the package's CSVs and no other file)
    unless ``allow_external`` (every table loaded, files and writes allowed); stopped after
    ``timeout`` seconds (``None`` or 0: no limit). The sandboxed query reads the kept copies of
    the large tables it reads (:mod:`ruven.db.kept`; ``keep_min_bytes``: from what size of CSV)
    and has the missing ones written in the background once it has its answer."""
    import duckdb

    pkg = package if isinstance(package, DataPackage) else DataPackage.load(package)
    plan = kept.Plan()
    if allow_external:
        con = connect(pkg, include_withdrawn=include_withdrawn)
    else:
        plan = kept.plan(pkg, sql, kept.MIN_BYTES if keep_min_bytes is None else keep_min_bytes, include_withdrawn)
        con = connect_for_query(pkg, include_withdrawn=include_withdrawn, kept=plan.found)
    try:
        result = run(con, sql, read_only=not allow_external, timeout=timeout)
        if plan.missing or plan.missing_views:  # what it read without a copy is kept for the next query
            kept.spawn(pkg, plan.missing, plan.missing_views, include_withdrawn)
        return result
    except QueryError as exc:
        # the lazy connection reads a CSV as the query runs: a file that cannot be read is the
        # package's problem, located as a full load reports it, not a mistake in the SQL
        located = csv_error(pkg, exc.__cause__)
        if located is not None:
            raise located from exc.__cause__
        if not allow_external and isinstance(exc.__cause__, duckdb.ConversionException):
            # a cast in the SQL, or a cell cast as the query reads it (a boolean that is not one)
            raise QueryError(
                exc.message, exc.hint + "; if the value is a cell of the package, `ruven validate` locates it"
            ) from exc.__cause__
        raise
    finally:
        con.close()


