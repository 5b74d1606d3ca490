"""A content-addressed cache of each validation layer's findings, kept outside the package.

Importing pandera and Great Expectations costs seconds on every run, while a layer's findings
depend only on what it reads. Each layer's findings are therefore kept under a key made of
everything they depend on: ruven's own code, the versions of the libraries, the environment
switches, the descriptor, schemas, suites and data files (every byte), the layer and, for the
date rules, today's date. Any changed byte is another key, so a cached answer is always the
answer the layer would give; ``ruven validate --no-cache`` (or ``RUVEN_CACHE=off``) skips it.

Two levels. A whole layer (:func:`key`): an unchanged package is answered without reading a
row. One table of a layer (:func:`table_keys`): after an edit to one table, only the tables
whose checks read it are checked again — the table itself and every table whose foreign keys
or id lists point into it (their reference checks read its keys) — and the whole-package
checks (the descriptor, uncited sources) run again; every other table's findings come from
the cache. A table's key holds the code, the libraries, the whole descriptor, and the bytes
of its own schema, suite and data and of every table it refers to, directly or not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ruven.digest import code_and_libraries, update_file
from ruven.package import DataPackage, Resource, paths
from ruven.report import Finding

LIBRARIES = ("frictionless", "pandera", "polars", "pandas", "great_expectations", "pycountry")
#: layers whose findings depend on the date that counts as today
DATED_LAYERS = ("pandera",)


def cache_dir() -> Path | None:
    """Where this cache lives (:func:`ruven.fs.user_cache`); None when ``RUVEN_CACHE=off``."""
    from ruven.fs import user_cache

    return user_cache("findings")


def base(h: hashlib._Hash) -> None:
    """The code, the libraries and the switches, into ``h``."""
    h.update(code_and_libraries(LIBRARIES))
    h.update(f"RUVEN_STRUCTURAL={os.environ.get('RUVEN_STRUCTURAL', '')}\0".encode())


def _table(h: hashlib._Hash, pkg: DataPackage, res: Resource) -> None:
    """One table's schema, suite and data (every byte), into ``h``."""
    h.update(json.dumps(res.schema, sort_keys=True).encode() + b"\0")
    for rel in (f"validation/{res.name}.json", res.relpath):
        h.update(res.name.encode() + b"\0" + rel.encode() + b"\0")
        problem = paths.check(pkg.root, rel, rel)
        if problem is None:  # only files the resolver lets be read
            update_file(h, pkg.root / rel)
        else:
            h.update(problem.message.encode() + b"\0")


def table_digests(pkg: DataPackage) -> dict[str, str]:
    """Each table's digest: its schema, suite and data, every byte (read once a run, for both
    levels)."""
    own: dict[str, str] = {}
    for res in pkg:
        h = hashlib.sha256()
        _table(h, pkg, res)
        own[res.name] = h.hexdigest()
    return own


def content_digest(pkg: DataPackage, own: dict[str, str] | None = None) -> str:
    """One digest of the code, the libraries and every file the layers read (``own``: the
    tables' digests, when already made)."""
    own = table_digests(pkg) if own is None else own
    h = hashlib.sha256()
    base(h)
    h.update(json.dumps(pkg.descriptor, sort_keys=True).encode() + b"\0")
    for res in pkg:
        h.update(f"{res.name}\0{own[res.name]}\0".encode())
    return h.hexdigest()


def referred(pkg: DataPackage, res: Resource) -> set[str]:
    """The tables ``res`` refers to through foreign keys and id lists, directly or not, and itself."""
    out: set[str] = set()
    todo = [res.name]
    while todo:
        name = todo.pop()
        if name in out or name not in pkg.resources:
            continue
        out.add(name)
        r = pkg.resources[name]
        todo.extend(fk.resource for fk in r.foreign_keys)
        todo.extend(ref for f in r.fields for ref in f.list_references)
    return out


def table_keys(pkg: DataPackage, layers: list[str], today: dt.date, max_per_kind: int | None = None, own: dict[str, str] | None = None) -> dict[tuple[str, str], str]:
    """``(layer, table) -> key`` for every table of the package (see the module's text;
    ``own``: the tables' digests, when already made)."""
    base_h = hashlib.sha256()
    base(base_h)
    base_h.update(json.dumps(pkg.descriptor, sort_keys=True).encode() + b"\0")
    own = table_digests(pkg) if own is None else own
    out = {}
    for res in pkg:
        deps = "".join(f"{n}={own[n]};" for n in sorted(referred(pkg, res)))
        for layer in layers:
            dated = today.isoformat() if layer in DATED_LAYERS else ""
            h = base_h.copy()
            h.update(f"table\0{layer}\0{dated}\0{res.name}\0{deps}\0{max_per_kind}".encode())
            out[(layer, res.name)] = h.hexdigest()
    return out


def key(digest: str, layer: str, today: dt.date, max_per_kind: int | None = None) -> str:
    """A layer's key; the findings also depend on how many of one kind are listed."""
    dated = today.isoformat() if layer in DATED_LAYERS else ""
    return hashlib.sha256(f"{digest}\0{layer}\0{dated}\0{max_per_kind}".encode()).hexdigest()


@dataclass
class Entry:
    findings: list[Finding]
    rows: dict[str, int]


def load(k: str) -> Entry | None:
    folder = cache_dir()
    if folder is None:
        return None
    try:
        doc = json.loads((folder / f"{k}.json").read_text(encoding="utf-8"))
        return Entry([Finding.from_dict(f) for f in doc["findings"]], {str(n): int(c) for n, c in doc["rows"].items()})
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(k: str, entry: Entry) -> None:
    """Keep an entry (atomically); a cache folder that can't be written is simply skipped."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        from ruven.fs import atomic_write_text

        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(folder / f"{k}.json", json.dumps({"findings": [f.to_dict() for f in entry.findings], "rows": entry.rows}))
    except OSError:
        pass
