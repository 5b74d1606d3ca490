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
  (one writer per copy, under a lock; to a temporary file renamed into place).
- **Only what pays.** Only the tables a query reads, directly or through the research views
  (:func:`tables_read`, from DuckDB's own parse of the SQL), and only when one of them has at
  least :data:`MIN_BYTES` of CSV (a query over small tables reads them in milliseconds); the
  small tables such a query reads are kept with the large ones. The newest :data:`KEEP` copies
  of each table name are kept, by use.
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
    from ruven.db.views import views

    by_name: dict[str, str] = {}
    for res in pkg:
        by_name[res.name.lower()] = res.name
        by_name[all_table(res).lower()] = res.name
    view_sql = {v.name.lower(): v.sql for v in views(pkg)}
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
            elif name in view_sql and name not in seen:
                seen.add(name)
                todo.append(view_sql[name])
    return found


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


def path_for(folder: Path, res: Resource, digest: str) -> Path:
    return folder / f"{res.name}-{digest[:40]}.duckdb"


def kept(folder: Path, res: Resource, digest: str) -> Path | None:
    """The kept copy of these very bytes, if there is one (marked as the newest used)."""
    path = path_for(folder, res, digest)
    if not path.is_file():
        return None
    try:
        os.utime(path)  # newest by use
    except OSError:
        pass
    return path


def keep(con: duckdb.DuckDBPyConnection, folder: Path, res: Resource, digest: str, select: str) -> Path | None:
    """Write the table ``select`` gives (the typed columns of ``res`` over its CSV) into its kept
    file (:func:`ruven.fs.atomic_path`, under a lock of its own), and return that file; None when
    it cannot be written, or another process is writing it."""
    import duckdb

    from ruven.errors import RuvenError
    from ruven.fs import atomic_path, locks

    dest = path_for(folder, res, digest)
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
    _evict(folder, res)
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
        return keep(con, folder, res, digest, typed_select(con, res))
    finally:
        try:
            drop_bounds_macros(con)
        except duckdb.Error:
            pass


def _evict(folder: Path, res: Resource) -> None:
    try:
        files = sorted(folder.glob(f"{res.name}-*.duckdb"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[KEEP:]:
            old.unlink(missing_ok=True)
            old.with_name(old.name + ".lock").unlink(missing_ok=True)
    except OSError:
        pass


@dataclass
class Plan:
    """What a query reads of the kept copies: those there are (by resource name) and the large
    tables it reads that have none yet."""

    found: dict[str, Path] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def plan(pkg: DataPackage, sql: str, min_bytes: int = MIN_BYTES) -> Plan:
    """The kept copies ``sql`` can read, and the large tables it reads without one (an empty plan
    when the cache is off or DuckDB cannot tell what the SQL reads)."""
    import duckdb

    folder = cache_dir()
    if folder is None:
        return Plan()
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        names = tables_read(con, pkg, sql)
    finally:
        con.close()
    read = [res for res in pkg if names and res.name in names]
    # a query that reads a large table keeps every table it reads: a small one costs milliseconds
    # to keep, and a view over kept copies only needs no bounds function (nor its imports)
    todo = read if any(worth_keeping(res, min_bytes) for res in read) else []
    todo = [res for res in todo if worth_keeping(res, 0)]
    out = Plan()
    for name, digest in keys(todo, folder).items():
        path = kept(folder, pkg.resources[name], digest)
        if path is None:
            out.missing.append(name)
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
            path = kept(folder, res, digest) or keep_copy(con, folder, res, digest)
            if path is not None:
                out[name] = path
    finally:
        con.close()
    return out


#: The writers this process started: held, so that they are not reported as left running when
#: this process lets go of them (subprocess reaps the finished ones as it starts others).
_WRITERS: list[Any] = []


def spawn(pkg: DataPackage, names: Collection[str]) -> None:
    """Start the detached writer of the kept copies of ``names`` (``python -m ruven.db.kept``); it
    outlives this process, and its output goes nowhere. Never raises."""
    import subprocess
    import sys

    folder = cache_dir()
    if not names or folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK):
            return  # nowhere to keep them: the queries read the CSVs
    except OSError:
        return
    cmd = [sys.executable, "-m", "ruven.db.kept", str(pkg.root / "datapackage.json"), *names]
    try:
        _WRITERS.append(subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        ))
    except OSError:
        pass


def main(argv: list[str] | None = None) -> int:
    """``python -m ruven.db.kept DATAPACKAGE TABLE...``: write the kept copies of those tables."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    try:
        keep_tables(DataPackage.load(args[0]), args[1:])
    except Exception:  # noqa: BLE001 - a background writer has no one to tell; the query reads the CSV
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover - run as a detached process by spawn()
    raise SystemExit(main())


__all__ = ["KEEP", "MIN_BYTES", "Plan", "cache_dir", "keep", "keep_tables", "kept", "key", "plan", "spawn", "tables_read", "worth_keeping"]
