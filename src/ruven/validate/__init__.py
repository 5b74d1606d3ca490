"""Validate a ruven data package through its layers into one ValidationReport."""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from ruven.package import DataPackage
from ruven.report import LAYERS, ValidationReport
from ruven.validate.limit import PER_KIND, cap

ProgressFn = Callable[[str], None]


def validate_package(
    path: str | os.PathLike[str] | DataPackage | None = None,
    *,
    layers: Sequence[str] | None = None,
    today: dt.date | None = None,
    progress: ProgressFn | None = None,
    cache: bool = True,
    in_process: bool = False,
    max_per_kind: int | None = PER_KIND,
) -> ValidationReport:
    """Run the requested layers over the package and return the finished report.

    Never writes to the package. Raises :class:`ruven.errors.PackageReadError` only when the
    descriptor itself cannot be read; every other problem is a finding in the report.
    With ``cache`` a layer reuses its findings from an earlier run over the very same bytes,
    code and libraries (see :mod:`ruven.validate.cache`); a cached answer is never stale.
    Great Expectations runs in a child process (its import overlaps layers 1 and 2), or with
    ``in_process`` here (for a long-lived caller that keeps it imported: ``--watch``).
    Each layer lists at most ``max_per_kind`` rows of one kind of problem per table and counts
    the rest (:mod:`ruven.validate.limit`; None lists them all).
    """
    pkg = path if isinstance(path, DataPackage) else DataPackage.load(path, check_paths=False)
    from ruven.validate.layers import DEFAULT_LAYERS

    order = [layer for layer in LAYERS if layer in (DEFAULT_LAYERS if layers is None else layers)]
    today = today or dt.date.today()
    report = ValidationReport(pkg.name, pkg.version, order)
    keys: dict[str, str] = {}
    own: dict[str, str] = {}
    from ruven.validate import cache as findings_cache

    if cache and findings_cache.cache_dir() is not None:  # (RUVEN_CACHE=off: no key to look up)
        own = findings_cache.table_digests(pkg)  # every byte read once, for both levels
        digest = findings_cache.content_digest(pkg, own)
        keys = {layer: findings_cache.key(digest, layer, today, max_per_kind) for layer in order}
        for layer in order:
            hit = findings_cache.load(keys[layer])
            if hit is not None:
                report.extend(hit.findings)
                report.rows.update(hit.rows)
                report.cached.append(layer)
                report.timings[layer] = 0.0
    todo = [layer for layer in order if layer not in report.cached]
    tables = TableCache(pkg, todo, today, max_per_kind, own) if keys and todo else None
    child = None
    if "expectations" in todo and len(todo) > 1 and not in_process and os.environ.get("RUVEN_GE_IN_PROCESS") != "1":
        from ruven.validate import expectations

        only = tables.missing("expectations", pkg) if tables else None
        if only is None or only:
            child = expectations.start(pkg, only)  # GE's import overlaps layers 1 and 2 on another core
    if "frictionless" in todo or "pandera" in todo:
        _row_layers(pkg, report, todo, today, progress, tables, max_per_kind, in_process)
    if "expectations" in todo:
        if progress:
            progress("expectations")
        from ruven.validate import expectations

        only = tables.missing("expectations", pkg) if tables else None
        if tables:
            report.extend(tables.hits("expectations", pkg))
        if child is not None:
            findings, seconds = expectations.collect(child, pkg, only)
        elif only is None or only:
            t0 = time.perf_counter()
            findings = expectations.check(pkg, only)
            seconds = time.perf_counter() - t0
        else:
            findings, seconds = [], 0.0
        findings = cap(findings, "expectations", max_per_kind)
        report.extend(findings)
        report.timings["expectations"] = seconds
        if tables:
            tables.store("expectations", findings, report.rows)
    if keys:
        for layer in todo:
            mine = [f for f in report.findings if f.layer == layer]
            findings_cache.store(keys[layer], findings_cache.Entry(mine, dict(report.rows)))
    if tables:
        report.reused = {layer: names for layer, names in tables.reused.items() if names}
    for res in pkg:  # row counts of tables the row layers did not read (parsed once, here)
        if res.name not in report.rows and res.path_problem is None and res.path.is_file():
            try:
                report.rows[res.name] = res.row_count()
            except (UnicodeDecodeError, OSError, ValueError):
                report.rows[res.name] = 0
    return report.finalize()


def _row_layers(pkg: DataPackage, report: ValidationReport, order: list[str], today: dt.date, progress: ProgressFn | None, tables: TableCache | None = None, max_per_kind: int | None = PER_KIND, in_process: bool = False) -> None:
    """Layers 1 and 2 in one pass over the tables: each CSV is parsed once, checked by the
    structural engine, then by the pandera rules, then dropped (only the key columns and the
    small reference tables stay), so memory holds one big table at a time."""
    from ruven.validate import preflight, rules
    from ruven.validate.blocks import BadBytes
    from ruven.validate.tables import in_parts

    structural_on = "frictionless" in order
    if progress:
        progress(" + ".join(layer for layer in order if layer != "expectations"))
    if structural_on and os.environ.get("RUVEN_STRUCTURAL") == "frictionless":
        from ruven.validate.reference import check_frictionless

        report.extend(check_frictionless(pkg))
        structural_on = False
    # A big table's bytes are scanned as its rows are read, not before (the preflight reads only
    # its first line). Where they are not clean, the run starts again with the preflight over
    # every byte, as before: it leaves that table out and says why.
    late = preflight.LateScan(lambda res: in_parts(res) and not rules.keep_whole(pkg, res))
    try:
        _row_layers_once(pkg, report, order, today, tables, max_per_kind, in_process, structural_on, late)
    except BadBytes:
        _row_layers_once(pkg, report, order, today, tables, max_per_kind, in_process, structural_on, None)


def _row_layers_once(pkg: DataPackage, report: ValidationReport, order: list[str], today: dt.date, tables: TableCache | None, max_per_kind: int | None, in_process: bool, structural_on: bool, late: Any) -> None:
    """One run of :func:`_row_layers`; the report is written only at its end. With ``late``,
    raises :class:`ruven.validate.blocks.BadBytes` when a table's bytes left to the reader of
    its rows are not clean."""
    from ruven.validate import preflight
    from ruven.validate.blocks import BadBytes
    from ruven.validate.row_checks import check_rows

    t = {"frictionless": 0.0, "pandera": 0.0}
    rules_on = "pandera" in order
    t0 = time.perf_counter()
    findings, safe = preflight.preflight(pkg, late)
    # frictionless' check of the descriptor and schemas: from the cache, here (when frictionless
    # is imported already, e.g. by a long-lived caller), or in a child process that imports it
    # and checks while the row checks run
    meta = tables.metadata_hit(pkg, safe) if tables else None
    pending = None
    if meta is None and (in_process or "frictionless" in sys.modules):
        meta = preflight.metadata(pkg, safe)
        if tables:
            tables.metadata_store(pkg, safe, meta)
    elif meta is None:
        pending = preflight.MetadataCheck(pkg, safe)
    broken = preflight.patterns(pkg, safe)  # (not found by frictionless; the row checks would fail)
    if broken:
        meta = [*(meta or []), *broken]
    t["frictionless" if structural_on else "pandera"] += time.perf_counter() - t0
    try:
        if not meta:
            rows, found, puts = check_rows(pkg, order, today, safe, t, tables, max_per_kind, structural_on, rules_on, late)
    except BadBytes:  # (the run starts again: do not wait for the child)
        if pending is not None:
            pending.cancel()
        raise
    except Exception:
        # row checks over schemas frictionless rejects may fail: that rejection is the report
        if pending is None or not pending.result():
            raise
    except BaseException:  # Ctrl-C: do not wait for the child
        if pending is not None:
            pending.cancel()
        raise
    finally:
        if pending is not None and not pending.cancelled:  # (a stopped child's empty answer is not kept)
            t0 = time.perf_counter()
            meta = pending.result()
            t["frictionless" if structural_on else "pandera"] += time.perf_counter() - t0
            if tables:
                tables.metadata_store(pkg, safe, meta)
            meta = [*meta, *broken]
    if late is not None:  # (the tables whose rows were not all read: their bytes are scanned here)
        late.settle(safe)
    if "frictionless" in order:
        report.extend(findings)
        report.extend(meta)
    if not meta:  # (when the schemas themselves are broken, row checks are meaningless)
        report.rows.update(rows)
        report.extend(found)
        for layer, name, table_found, n in puts:
            if tables:
                tables.put(layer, name, table_found, n)
    _store(report, t, order)


def _store(report: ValidationReport, t: dict[str, float], order: list[str]) -> None:
    for layer, seconds in t.items():
        if layer in order:
            report.timings[layer] = seconds


class TableCache:
    """The per-table level of :mod:`ruven.validate.cache` for one run: which tables of which
    layer can take their findings from an earlier run, and storing the fresh ones."""

    def __init__(self, pkg: DataPackage, layers: list[str], today: dt.date, max_per_kind: int | None = PER_KIND, own: dict[str, str] | None = None) -> None:
        from ruven.validate import cache as findings_cache

        self._cache = findings_cache
        self._keys = findings_cache.table_keys(pkg, layers, today, max_per_kind, own)
        self._hits: dict[tuple[str, str], list[Any]] = {}
        for (layer, name), k in self._keys.items():
            entry = findings_cache.load(k)
            if entry is not None:
                self._hits[(layer, name)] = entry.findings
        #: (layer -> tables) whose findings came from the cache in this run
        self.reused: dict[str, list[str]] = {}

    def hit(self, layer: str, name: str) -> list[Any] | None:
        found = self._hits.get((layer, name))
        if found is not None and name not in (reused := self.reused.setdefault(layer, [])):
            reused.append(name)
        return found

    def put(self, layer: str, name: str, findings: list[Any], rows: int) -> None:
        self._cache.store(self._keys[(layer, name)], self._cache.Entry(list(findings), {name: rows}))

    def _metadata_key(self, pkg: DataPackage, safe: list[Any]) -> str:
        """frictionless' check of the descriptor and schemas is kept under the digest of what it
        reads (the descriptor it is given, the code and the libraries)."""
        import hashlib
        import json

        from ruven.validate import preflight

        h = hashlib.sha256()
        self._cache.base(h)
        h.update(json.dumps(preflight.descriptor_for_frictionless(pkg, safe), sort_keys=True).encode())
        return hashlib.sha256(b"metadata\0" + h.digest()).hexdigest()

    def metadata_hit(self, pkg: DataPackage, safe: list[Any]) -> list[Any] | None:
        hit = self._cache.load(self._metadata_key(pkg, safe))
        return None if hit is None else hit.findings

    def metadata_store(self, pkg: DataPackage, safe: list[Any], found: list[Any]) -> None:
        self._cache.store(self._metadata_key(pkg, safe), self._cache.Entry(found, {}))

    def missing(self, layer: str, pkg: DataPackage) -> list[str]:
        return [res.name for res in pkg if (layer, res.name) not in self._hits]

    def hits(self, layer: str, pkg: DataPackage) -> list[Any]:
        out = []
        for res in pkg:
            found = self.hit(layer, res.name)
            if found is not None:
                out.extend(found)
        return out

    def store(self, layer: str, findings: list[Any], rows: dict[str, int]) -> None:
        """Keep a layer's fresh findings table by table (findings not tied to one table are
        left to the whole-layer level)."""
        for (lay, name), _ in self._keys.items():
            if lay != layer or (lay, name) in self._hits:
                continue
            mine = [f for f in findings if f.resource == name]
            self.put(layer, name, mine, rows.get(name, 0))
