"""A content-addressed copy of the typed connection on disk, for ``ruven query``.

Loading a large package into DuckDB's typed tables takes seconds (about 7 s for 1M rows per
fact table), and every ``ruven query`` is a new process. The loaded database is therefore kept,
once, as a DuckDB file under the user cache folder, named by a digest of everything it is built
from: ruven's code and SQL, DuckDB's version, whether withdrawn rows are shown, and every byte
of the descriptor, schemas and data files. A later query over the very same bytes opens that
file read-only (:func:`ruven.db.connection.connect_for_query`) instead of loading the CSVs again; any changed byte is another name, so the
answer is always the one a fresh load would give. ``RUVEN_CACHE=off`` turns it off; only the
sandboxed (read-only) query uses it, and only the newest few files are kept.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from ruven.package import DataPackage

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

#: how many cached databases to keep (the newest by use)
KEEP = 3


def cache_dir() -> Path | None:
    """Where this cache lives (:func:`ruven.fs.user_cache`); None when ``RUVEN_CACHE=off``."""
    from ruven.fs import user_cache

    return user_cache("db")


@lru_cache(maxsize=1)
def _code() -> bytes:
    """ruven's database code and SQL, and DuckDB's version."""
    import duckdb

    h = hashlib.sha256(f"duckdb={duckdb.__version__}\0".encode())
    top = Path(__file__).resolve().parents[1]
    for path in sorted([*top.rglob("*.py"), *top.rglob("*.sql")]):
        h.update(str(path.relative_to(top)).encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.digest()


def key(pkg: DataPackage, include_withdrawn: bool) -> str | None:
    """The digest naming the database built from ``pkg``; None if a file cannot be read."""
    h = hashlib.sha256(_code())
    h.update(f"withdrawn={include_withdrawn}\0".encode())
    h.update(json.dumps(pkg.descriptor, sort_keys=True).encode() + b"\0")
    for res in pkg:
        h.update(json.dumps(res.schema, sort_keys=True).encode() + b"\0")
        if res.path_problem is not None:
            return None
        try:
            with res.path.open("rb") as fh:
                h.update(hashlib.file_digest(fh, "sha256").digest())
        except OSError:
            return None
    return h.hexdigest()


def cached(pkg: DataPackage, include_withdrawn: bool) -> Path | None:
    """The kept database of these very bytes, if there is one (marked as the newest used)."""
    folder = cache_dir()
    k = key(pkg, include_withdrawn) if folder is not None else None
    if folder is None or k is None:
        return None
    path = folder / f"{k}.duckdb"
    if not path.is_file():
        return None
    try:
        os.utime(path)  # newest by use
    except OSError:
        pass
    return path


def store(con: duckdb.DuckDBPyConnection, pkg: DataPackage, include_withdrawn: bool) -> None:
    """Copy the in-memory database into the cache (atomically); a cache folder that cannot be
    written is simply skipped."""
    from ruven.db.names import literal

    folder = cache_dir()
    k = key(pkg, include_withdrawn) if folder is not None else None
    if folder is None or k is None:
        return
    dest = folder / f"{k}.duckdb"
    tmp = folder / f".ruven-{os.getpid()}-{k[:12]}.duckdb"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp.unlink(missing_ok=True)
        con.execute(f"ATTACH {literal(str(tmp))} AS ruven_cache")
        try:
            con.execute("COPY FROM DATABASE memory TO ruven_cache")
        finally:
            con.execute("DETACH ruven_cache")
        os.replace(tmp, dest)
        _evict(folder)
    except Exception:  # noqa: BLE001 - no cache is never an error: the query already has its data
        tmp.unlink(missing_ok=True)


def _evict(folder: Path) -> None:
    files = sorted(folder.glob("*.duckdb"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEEP:]:
        old.unlink(missing_ok=True)
        old.with_suffix(".duckdb.wal").unlink(missing_ok=True)


__all__ = ["cache_dir", "cached", "key", "store"]
