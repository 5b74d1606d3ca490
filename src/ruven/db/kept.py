"""Kept copies of a package's large tables, for ``ruven query``.

Every ``ruven query`` is a new process, and the lazy connection (:func:`ruven.db.connection.load`
with ``lazy=True``) parses a CSV each time a query reads it: about 1.5 s for a table of a
million rows, and 8 s for a view over every fact table of that size. So a large table that a
query reads is kept, typed as a load types it (the same ``SELECT`` of the same reader), in a
DuckDB file of its own under the user cache folder (:func:`ruven.fs.user_cache`), and later
queries read that file instead of the CSV.

- **Named by content.** A kept file's name is a digest of everything the table is built from:
  ruven's code, DuckDB's and the EDTF library's versions, the table's name, its schema and
  every byte of its CSV. Any changed byte is another name, so a kept copy is never stale.
  Hashing a gigabyte takes about a second, so the digest of a CSV's bytes is remembered with
  the file's identity and times (device, inode, size, modification and change times, as git's
  index does); a file whose times or size differ is hashed again. The change time cannot be set
  by a program (``touch -d`` sets the modification time and the change time becomes now), and a
  digest is remembered only for a file that had not changed for two seconds before it was
  hashed, so that a write in the same clock tick cannot hide.
- **Written in the background.** Writing a kept copy takes longer than reading the CSV once
  (about 4 s against 1.5 s for a million rows), so a query never waits for it: a query reads
  the kept copies there are and the CSVs of the others, and after it has its answer,
  :func:`spawn` starts a detached ``python -m ruven.db.kept`` that writes the missing copies
  (one writer per copy, under a lock; through :func:`ruven.fs.atomic_path`).
- **Only what pays.** Only the tables a query reads, directly or through the research views
  (:func:`tables_read`, from DuckDB's own parse of the SQL), and only when one of them has at
  least :data:`MIN_BYTES` of CSV (a query over small tables reads them in milliseconds); the
  small tables such a query reads are kept with the large ones. The newest :data:`KEEP` copies
  of each table name are kept, by use.
- **Views that sort.** A research view that sorts its rows (``timeline``, ``citations``,
  ``single_source_rows``: an ``ORDER BY`` of its own) costs a sort of millions of rows on every
  query, whatever the query asks of it. Its rows, in order, are kept too, written by the same
  writer after the tables (over their kept copies), and named by a digest of ruven's code, the
  view's SQL, the descriptor, whether withdrawn rows are in, and the keys of the tables it reads.
- **No cache is never an error.** A table that cannot be kept (a cell that is not of its
  column's type, a cache folder that cannot be written, a full disk) is read from its CSV, and
  the query reports what it would have reported. ``RUVEN_CACHE=off`` turns kept copies off.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruven.db.names import all_table, literal
from ruven.digest import code_and_libraries, update_file
from ruven.package import DataPackage, Resource

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

#: Tables with less CSV than this are read from the CSV by every query (that takes milliseconds).
MIN_BYTES = 8 << 20
#: Copies kept per table name (the newest by use): a few packages with the same tables side by side.
KEEP = 4
#: The libraries whose versions a kept table depends on.
LIBRARIES = ("duckdb", "edtf")
#: The name of the table inside a kept file.
TABLE = "t"
#: A CSV's digest is remembered only when the file had not changed for this long before hashing.
SETTLED_NS = 2_000_000_000


def cache_dir() -> Path | None:
    """Where kept tables live (:func:`ruven.fs.user_cache`); None when ``RUVEN_CACHE=off``."""
    from ruven.fs import user_cache

    return user_cache("tables")


def tables_read(con: duckdb.DuckDBPyConnection, pkg: DataPackage, sql: str) -> set[str] | None:
    """The resources whose rows ``sql`` reads, directly or through the research views, as DuckDB
    parses it (``json_serialize_sql``); None when DuckDB cannot tell (a statement that is not a
    query, such as ``DESCRIBE`` or ``PRAGMA``, or SQL it cannot parse)."""
    found = reads(con, pkg, sql)
    return None if found is None else found[0]


def reads(con: duckdb.DuckDBPyConnection, pkg: DataPackage, sql: str) -> tuple[set[str], set[str]] | None:
    """(resources, research views) that ``sql`` reads, the views' own reads followed; None when
    DuckDB cannot tell (:func:`tables_read`)."""
    from ruven.db.views import views

    by_name: dict[str, str] = {}
    for res in pkg:
        by_name[res.name.lower()] = res.name
        by_name[all_table(res).lower()] = res.name
    view_sql = {v.name.lower(): (v.name, v.sql) for v in views(pkg)}
    found: set[str] = set()
    seen: set[str] = set()
    todo = [sql]
    while todo:
        names = _base_tables(con, todo.pop())
        if names is None:
            return None
        for name in names:
            if name in by_name:
                found.add(by_name[name])
            elif name in view_sql and view_sql[name][0] not in seen:
                seen.add(view_sql[name][0])
                todo.append(view_sql[name][1])
    return found, seen


def sorts(con: duckdb.DuckDBPyConnection, sql: str) -> bool:
    """Whether the rows of ``sql`` are sorted by an ``ORDER BY`` of its own (not one inside it), as
    DuckDB parses it."""
    rows = con.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()
    tree = json.loads(rows[0][0]) if rows else {}
    statements = tree.get("statements") or [{}]
    modifiers = (statements[-1].get("node") or {}).get("modifiers") or []
    return any(m.get("type") == "ORDER_MODIFIER" for m in modifiers)


def _base_tables(con: duckdb.DuckDBPyConnection, sql: str) -> set[str] | None:
    import duckdb

    try:
        rows = con.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()
    except duckdb.Error:
        return None
    tree = json.loads(rows[0][0]) if rows else {"error": True}
    if tree.get("error"):
        return None
    out: set[str] = set()
    _walk(tree, out)
    return out


def _walk(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        if node.get("type") == "BASE_TABLE" and isinstance(node.get("table_name"), str):
            out.add(node["table_name"].lower())
        for value in node.values():
            _walk(value, out)
    elif isinstance(node, list):
        for value in node:
            _walk(value, out)


def worth_keeping(res: Resource, min_bytes: int = MIN_BYTES) -> bool:
    """Whether ``res`` is large enough to keep (and its CSV is a file the package may read)."""
    if res.path_problem is not None:
        return False
    try:
        return res.path.stat().st_size >= min_bytes
    except OSError:
        return False


def key(res: Resource, folder: Path | None = None) -> str:
    """The digest naming the kept copy of ``res`` (see the module's text); ``folder``: where the
    digests of CSV bytes are remembered."""
    h = hashlib.sha256(code_and_libraries(LIBRARIES))
    h.update(res.name.encode() + b"\0")
    h.update(json.dumps(res.schema, sort_keys=True).encode() + b"\0")
    h.update(file_digest(res.path, folder).encode())
    return h.hexdigest()


def file_digest(path: Path, folder: Path | None = None) -> str:
    """The SHA-256 of every byte of ``path``, remembered in ``folder`` by the file's identity and
    times (see the module's text)."""
    import time

    try:
        st = path.stat()
    except OSError:
        return "<missing>"
    identity = f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"
    record = folder / "digests" / (hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:32] + ".json") if folder else None
    if record is not None:
        try:
            known = json.loads(record.read_text(encoding="utf-8"))
            if known.get("identity") == identity and isinstance(known.get("sha256"), str):
                return known["sha256"]
        except (OSError, ValueError):
            pass
    started = time.time_ns()
    h = hashlib.sha256()
    update_file(h, path)
    digest = h.hexdigest()
    settled = max(st.st_mtime_ns, st.st_ctime_ns) < started - SETTLED_NS
    if record is not None and settled:
        from ruven.errors import RuvenError
        from ruven.fs import atomic_write_text

        try:
            record.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(record, json.dumps({"identity": identity, "sha256": digest}))
        except (OSError, RuvenError):
            pass  # not remembered: hashed again next time
    return digest


def keys(resources: Iterable[Resource], folder: Path | None = None) -> dict[str, str]:
    """:func:`key` of each resource (by name), the files read side by side (hashing releases
    Python's lock, so two large CSVs take about the time of one on two cores)."""
    from concurrent.futures import ThreadPoolExecutor

    todo = list(resources)
    if len(todo) < 2:
        return {res.name: key(res, folder) for res in todo}
    with ThreadPoolExecutor(max_workers=min(len(todo), os.cpu_count() or 1)) as pool:
        return dict(zip([res.name for res in todo], pool.map(lambda r: key(r, folder), todo), strict=True))


def path_for(folder: Path, name: str, digest: str) -> Path:
    return folder / f"{name}-{digest[:40]}.duckdb"


def kept(folder: Path, name: str, digest: str) -> Path | None:
    """The kept copy of the table or view ``name`` named ``digest``, if there is one (marked as the
    newest used)."""
    path = path_for(folder, name, digest)
    if not path.is_file():
        return None
    try:
        os.utime(path)  # newest by use
    except OSError:
        pass
    return path


def keep(con: duckdb.DuckDBPyConnection, folder: Path, name: str, digest: str, select: str) -> Path | None:
    """Write the rows ``select`` gives (the typed columns of the table ``name`` over its CSV, or
    the rows of the view ``name``) into its kept file (:func:`ruven.fs.atomic_path`, under a lock of its own), and return that file; None when
    it cannot be written, or another process is writing it."""
    import duckdb

    from ruven.errors import RuvenError
    from ruven.fs import atomic_path, locks

    dest = path_for(folder, name, digest)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with locks([dest.with_name(dest.name + ".lock")], timeout=0):
            if dest.is_file():
                return dest
            with atomic_path(dest) as tmp:
                con.execute(f"ATTACH {literal(str(tmp))} AS __ruven_keep")
                try:
                    con.execute(f"CREATE TABLE __ruven_keep.{TABLE} AS {select}")
                finally:
                    con.execute("DETACH __ruven_keep")
    except (duckdb.Error, OSError, RuvenError):
        return None
    _evict(folder, name)
    return dest


def keep_copy(con: duckdb.DuckDBPyConnection, folder: Path, res: Resource, digest: str) -> Path | None:
    """Write the kept copy of ``res`` (:func:`keep`) with the typed columns of a load, its bounds
    given by a load's macros (each distinct date text parsed once)."""
    import duckdb

    from ruven.db.connection import date_texts, typed_select
    from ruven.db.types import create_bounds_macros, drop_bounds_macros, edtf_bounds
    from ruven.errors import PackageReadError

    try:
        values = date_texts(con, res)
    except PackageReadError:
        return None  # the query reads the CSV and reports the problem
    create_bounds_macros(con, edtf_bounds(values or []))
    try:
        return keep(con, folder, res.name, digest, typed_select(con, res))
    finally:
        try:
            drop_bounds_macros(con)
        except duckdb.Error:
            pass


def _evict(folder: Path, name: str) -> None:
    try:
        files = sorted(folder.glob(f"{name}-*.duckdb"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[KEEP:]:
            old.unlink(missing_ok=True)
            old.with_name(old.name + ".lock").unlink(missing_ok=True)
    except OSError:
        pass


@dataclass
class Plan:
    """What a query reads of the kept copies: those there are (by table or view name), and the
    tables and views it reads that have none yet."""

    found: dict[str, Path] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    missing_views: list[str] = field(default_factory=list)
    view_keys: dict[str, str] = field(default_factory=dict)


def view_key(pkg: DataPackage, view: Any, include_withdrawn: bool, table_keys: dict[str, str]) -> str:
    """The digest naming the kept copy of a research view: ruven's code, the view's SQL, the
    descriptor, whether withdrawn rows are in, and the keys of the tables it reads."""
    h = hashlib.sha256(code_and_libraries(LIBRARIES))
    h.update(f"view\0{view.name}\0{view.sql}\0withdrawn={include_withdrawn}\0".encode())
    h.update(json.dumps(pkg.descriptor, sort_keys=True).encode() + b"\0")
    for name in sorted(table_keys):
        h.update(f"{name}={table_keys[name]}\0".encode())
    return h.hexdigest()


def plan(pkg: DataPackage, sql: str, min_bytes: int = MIN_BYTES, include_withdrawn: bool = False) -> Plan:
    """The kept copies ``sql`` can read, and the tables and views it reads without one (an empty
    plan when the cache is off, DuckDB cannot tell what the SQL reads, or it reads no large
    table). The views kept are those that sort their rows (``ORDER BY``): a sort of millions of
    rows is most of such a query's time; a view that only joins or filters is read through."""
    import duckdb

    from ruven.db.views import views

    folder = cache_dir()
    if folder is None:
        return Plan()
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        found = reads(con, pkg, sql)
        if found is None:
            return Plan()
        names, view_names = found
        read = [res for res in pkg if res.name in names]
        # a query that reads a large table keeps every table it reads: a small one costs
        # milliseconds to keep, and a view over kept copies only needs no bounds function
        if not any(worth_keeping(res, min_bytes) for res in read):
            return Plan()
        sorted_views = {v.name: v for v in views(pkg) if v.name in view_names and sorts(con, v.sql)}
        view_tables = {name: tables_read(con, pkg, v.sql) or set() for name, v in sorted_views.items()}
    finally:
        con.close()
    todo = [res for res in pkg if worth_keeping(res, 0) and (res.name in names or any(res.name in t for t in view_tables.values()))]
    digests = keys(todo, folder)
    out = Plan()
    for res in read:
        if res.name not in digests:
            continue
        path = kept(folder, res.name, digests[res.name])
        if path is None:
            out.missing.append(res.name)
        else:
            out.found[res.name] = path
    for name, v in sorted_views.items():
        if not view_tables[name] <= digests.keys():
            continue  # a table it reads cannot be kept (no file): read through
        k = view_key(pkg, v, include_withdrawn, {t: digests[t] for t in view_tables[name]})
        out.view_keys[name] = k
        path = kept(folder, name, k)
        if path is None:
            out.missing_views.append(name)
        else:
            out.found[name] = path
    return out


def keep_tables(pkg: DataPackage, names: Iterable[str]) -> dict[str, Path]:
    """Write the kept copy of each named table that has none (the detached writer's work);
    returns the copies there are afterwards."""
    from ruven.db.connection import open_database

    folder = cache_dir()
    if folder is None:
        return {}
    out: dict[str, Path] = {}
    con = open_database()
    try:
        for name in names:
            res = pkg.resources.get(name)
            if res is None or not worth_keeping(res, 0):
                continue
            digest = key(res, folder)
            path = kept(folder, name, digest) or keep_copy(con, folder, res, digest)
            if path is not None:
                out[name] = path
    finally:
        con.close()
    return out


def keep_views(pkg: DataPackage, names: Iterable[str], include_withdrawn: bool = False) -> dict[str, Path]:
    """Write the kept copy of each named research view that has none, computed over the kept
    copies of its tables (the detached writer's work, after the tables); returns the copies there
    are afterwards."""
    from ruven.db.connection import connect
    from ruven.db.names import ident

    names = list(names)
    folder = cache_dir()
    if folder is None or not names:
        return {}
    sql = "; ".join(f"SELECT * FROM {ident(n)}" for n in names)
    p = plan(pkg, sql, 0, include_withdrawn)
    out = {n: p.found[n] for n in names if n in p.found}
    todo = [n for n in p.missing_views if n in names]
    if not todo:
        return out
    con = connect(pkg, include_withdrawn=include_withdrawn, lazy=True, kept={n: p.found[n] for n in p.found if n in pkg.resources})
    try:
        for name in todo:
            path = keep(con, folder, name, p.view_keys[name], f"SELECT * FROM {ident(name)}")
            if path is not None:
                out[name] = path
    finally:
        con.close()
    return out


#: The writers this process started: held, so that they are not reported as left running when
#: this process lets go of them (subprocess reaps the finished ones as it starts others).
_WRITERS: list[Any] = []


def spawn(pkg: DataPackage, tables: Collection[str], views: Collection[str] = (), include_withdrawn: bool = False) -> None:
    """Start the detached writer of the kept copies of ``tables`` and then ``views``
    (``python -m ruven.db.kept``); it outlives this process, and its output goes nowhere. Never
    raises."""
    import subprocess
    import sys

    folder = cache_dir()
    if not (tables or views) or folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK):
            return  # nowhere to keep them: the queries read the CSVs
    except OSError:
        return
    cmd = [sys.executable, "-m", "ruven.db.kept", str(pkg.root / "datapackage.json"), *tables]
    cmd += [f"--view={v}" for v in views] + (["--include-withdrawn"] if include_withdrawn else [])
    try:
        _WRITERS.append(
            subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                close_fds=True,
            )
        )
    except OSError:
        pass


def main(argv: list[str] | None = None) -> int:
    """``python -m ruven.db.kept DATAPACKAGE [TABLE...] [--view=VIEW...] [--include-withdrawn]``:
    write the kept copies of those tables, then of those views."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    tables = [a for a in args[1:] if not a.startswith("--")]
    views = [a.removeprefix("--view=") for a in args[1:] if a.startswith("--view=")]
    try:
        pkg = DataPackage.load(args[0])
        keep_tables(pkg, tables)
        keep_views(pkg, views, "--include-withdrawn" in args)
    except Exception:  # noqa: BLE001 - a background writer has no one to tell; the query reads the CSV
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover - run as a detached process by spawn()
    raise SystemExit(main())


__all__ = [
    "KEEP",
    "MIN_BYTES",
    "Plan",
    "cache_dir",
    "keep",
    "keep_tables",
    "keep_views",
    "kept",
    "key",
    "plan",
    "reads",
    "spawn",
    "tables_read",
    "view_key",
    "worth_keeping",
]
