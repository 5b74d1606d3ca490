"""Validate a ruven data package through its layers into one ValidationReport."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from ruven.package import DataPackage
from ruven.report import LAYERS, ValidationReport
from ruven.validate.limit import PER_KIND, Limit, cap

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
    digest = None
    keys: dict[str, str] = {}
    if cache:
        from ruven.validate import cache as findings_cache

        digest = findings_cache.content_digest(pkg)
        keys = {layer: findings_cache.key(digest, layer, today, max_per_kind) for layer in order}
        for layer in order:
            hit = findings_cache.load(keys[layer])
            if hit is not None:
                report.extend(hit.findings)
                report.rows.update(hit.rows)
                report.cached.append(layer)
                report.timings[layer] = 0.0
    todo = [layer for layer in order if layer not in report.cached]
    tables = TableCache(pkg, todo, today, max_per_kind) if keys and todo else None
    child = None
    if "expectations" in todo and len(todo) > 1 and not in_process and os.environ.get("RUVEN_GE_IN_PROCESS") != "1":
        from ruven.validate import expectations

        only = tables.missing("expectations", pkg) if tables else None
        if only is None or only:
            child = expectations.start(pkg, only)  # GE's import overlaps layers 1 and 2 on another core
    if "frictionless" in todo or "pandera" in todo:
        _row_layers(pkg, report, todo, today, progress, tables, max_per_kind)
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
        from ruven.validate import cache as findings_cache

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


def _row_layers(pkg: DataPackage, report: ValidationReport, order: list[str], today: dt.date, progress: ProgressFn | None, tables: TableCache | None = None, max_per_kind: int | None = PER_KIND) -> None:
    """Layers 1 and 2 in one pass over the tables: each CSV is parsed once, checked by the
    structural engine, then by the pandera rules, then dropped (only the key columns and the
    small reference tables stay), so memory holds one big table at a time."""
    import os

    from ruven.validate import keys, preflight

    t = {"frictionless": 0.0, "pandera": 0.0}
    structural_on = "frictionless" in order
    rules_on = "pandera" in order
    if progress:
        progress(" + ".join(layer for layer in order if layer != "expectations"))
    t0 = time.perf_counter()
    if structural_on and os.environ.get("RUVEN_STRUCTURAL") == "frictionless":
        from ruven.validate.reference import check_frictionless

        report.extend(check_frictionless(pkg))
        structural_on = False
    findings, safe = preflight.preflight(pkg)
    meta = tables.metadata(pkg, safe) if tables else preflight.metadata(pkg, safe)
    if "frictionless" in order:
        report.extend(findings + meta)
    t["frictionless" if structural_on else "pandera"] += time.perf_counter() - t0
    if meta:  # the schemas themselves are broken: row checks would be meaningless
        _store(report, t, order)
        return
    from ruven.validate import rules

    ctx = rules.Context(pkg, today)
    needed = keys.key_fields(pkg)
    checks = []
    across = _Across()
    try:
        for res in keys.load_order(pkg, safe):
            hit_s = tables.hit("frictionless", res.name) if tables and structural_on else None
            hit_r = tables.hit("pandera", res.name) if tables and rules_on else None
            check = _TableCheck(pkg, ctx, needed.get(res.name, set()), structural_on and hit_s is None, rules_on and hit_r is None, t, Limit(res.name, res.relpath, max_per_kind))
            check.run(res, whole=rules.keep_whole(pkg, res), across=across)
            checks.append((res, check, hit_s, hit_r))
        across.wait()
    finally:
        across.close()
    for res, check, hit_s, hit_r in checks:
        check.finish()
        report.rows[res.name] = check.rows
        for layer, hit, found in (("frictionless", hit_s, check.structural), ("pandera", hit_r, check.rules)):
            if layer not in order or (layer == "frictionless" and not structural_on):
                continue
            report.extend(found if hit is None else hit)
            if tables and hit is None:
                tables.put(layer, res.name, found, check.rows)
    if rules_on:
        t0 = time.perf_counter()
        report.extend(rules.finish(ctx))
        t["pandera"] += time.perf_counter() - t0
    _store(report, t, order)


class _TableCheck:
    """Layers 1 and 2 over one table, in parts when it is big (see :func:`ruven.validate.tables.parts`):
    each part's rows are checked and dropped, keeping only the columns that the checks across
    rows (unique values, primary keys, references, the pandera rules that compare rows) and the
    other tables (referenced keys) need; those run once at the end."""

    def __init__(self, pkg: DataPackage, ctx: Any, key_fields: set[str], structural_on: bool, rules_on: bool, t: dict[str, float], limit: Limit) -> None:
        self.pkg, self.ctx, self.key_fields, self.t = pkg, ctx, key_fields, t
        self.limit = limit
        self.structural_on, self.rules_on = structural_on, rules_on
        self.structural: list[Any] = []
        self.rules: list[Any] = []
        self.rows = 0

    def run(self, res: Any, whole: bool, across: _Across) -> None:
        """The row checks now; the checks across rows (which need the keys of the tables this
        one refers to) handed to ``across``, which runs them in the tables' order while this
        thread reads the next table. A table kept ``whole`` (a reference table) waits for
        ``across`` and is checked at once."""
        from ruven.validate.tables import PartsRefused, load, parts

        if whole:
            across.wait()
            self._whole(load(res))
            return
        try:
            self._parts(res, parts(res), across)
        except PartsRefused:  # a part the fast reader may misread: the exact reader reads it whole
            self.structural, self.rules, self.rows = [], [], 0
            self.limit = Limit(self.limit.resource, self.limit.path, self.limit.per_kind)
            across.wait()
            self._whole(load(res))

    def finish(self) -> None:
        """After every check ran: the counts of the rows of one kind left out (the limit)."""
        self.structural.extend(self.limit.findings("frictionless"))
        self.rules.extend(self.limit.findings("pandera"))

    def _whole(self, table: Any) -> None:
        """A table read whole: every check at once."""
        from ruven.validate import keys

        self.rows = table.df.height
        self._rows(table, "all", header=True, keys=keys.keys_of(table, self.key_fields))

    def _parts(self, res: Any, tables: Any, across: _Across) -> None:
        """Each part's row checks as it is read (one part for a table up to ``PART_BYTES``), the
        checks across rows once over the columns they need, by ``across``."""
        import polars as pl

        from ruven.validate import keys
        from ruven.validate.tables import LINE, Table

        kept: list[Any] = []
        columns: list[str] = []
        first = None
        t0 = time.perf_counter()
        for part in tables:
            self.t["frictionless" if self.structural_on else "pandera"] += time.perf_counter() - t0
            if first is None:
                first = part
                columns = [LINE, *(c for c in part.df.columns if c in self._across(part))]
            self.rows += part.df.height
            self._rows(part, "rows", header=part is first)
            kept.append(part.df.select(columns))
            del part
            t0 = time.perf_counter()
        if first is None:
            return
        whole_table = Table(res, first.labels, pl.concat(kept, rechunk=False), [c for c in first.fields if c in columns])
        del kept, first
        across.submit(lambda: self._rows(whole_table, "across", header=False, keys=keys.keys_of(whole_table, self.key_fields)))

    def _across(self, part: Any) -> set[str]:
        """The columns the checks across rows and the other tables read."""
        from ruven.validate import rules

        res = part.resource
        cols = set(self.key_fields) | set(res.primary_key)
        cols |= {f.name for f in res.fields if f.constraints.get("unique")}
        cols |= {c for fk in res.foreign_keys for c in ((fk.field, fk.reference_field) if fk.resource == res.name else (fk.field,))}
        if self.rules_on:
            cols |= rules.across_columns(part, self.ctx)
        return cols

    def _rows(self, table: Any, scope: str, header: bool, keys: Any = None) -> None:
        from ruven.validate import rules, structural

        t, ctx = self.t, self.ctx
        t1 = time.perf_counter()
        if self.structural_on:
            self.structural.extend(structural.check_table(self.pkg, table, ctx.keys, scope=scope, header=header, limit=self.limit))
        t2 = time.perf_counter()
        if keys is not None:
            ctx.keys.update(keys)
        if self.rules_on:
            self.rules.extend(rules.check_table(table, ctx, scope=scope, limit=self.limit))
        elif scope != "across":  # the table's pandera findings are cached, but its citations count
            rules.remember_citations(table, ctx, keep=False)
        if scope == "all" and rules.keep_whole(self.pkg, table.resource):
            ctx.tables[table.resource.name] = table
        with _CLOCK:  # two threads add to the layers' seconds
            t["frictionless"] += t2 - t1
            t["pandera"] += time.perf_counter() - t2


_CLOCK = threading.Lock()


class _Across:
    """One thread that runs the checks across rows, table after table in the order handed in,
    while the caller reads and checks the next table's rows: polars (and so most of each check)
    runs without holding Python's GIL, so the two overlap on two cores. ``wait`` returns when
    all handed in ran, raising what one of them raised. ``RUVEN_THREADS=1`` runs each at once,
    in the caller's thread."""

    def __init__(self) -> None:
        import queue

        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if os.environ.get("RUVEN_THREADS") != "1":
            self._thread = threading.Thread(target=self._loop, name="ruven-across", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                if self._error is None:
                    job()
            except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread by wait()
                self._error = exc
            finally:
                self._jobs.task_done()
        self._jobs.task_done()

    def submit(self, job: Callable[[], None]) -> None:
        if self._thread is None:
            job()
        else:
            self._jobs.put(job)

    def wait(self) -> None:
        if self._thread is not None:
            self._jobs.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def close(self) -> None:
        if self._thread is not None:
            self._jobs.put(None)


def _store(report: ValidationReport, t: dict[str, float], order: list[str]) -> None:
    for layer, seconds in t.items():
        if layer in order:
            report.timings[layer] = seconds


class TableCache:
    """The per-table level of :mod:`ruven.validate.cache` for one run: which tables of which
    layer can take their findings from an earlier run, and storing the fresh ones."""

    def __init__(self, pkg: DataPackage, layers: list[str], today: dt.date, max_per_kind: int | None = PER_KIND) -> None:
        from ruven.validate import cache as findings_cache

        self._cache = findings_cache
        self._keys = findings_cache.table_keys(pkg, layers, today, max_per_kind)
        self._hits: dict[tuple[str, str], list[Any]] = {}
        for (layer, name), k in self._keys.items():
            entry = findings_cache.load(k)
            if entry is not None:
                self._hits[(layer, name)] = entry.findings
        #: (layer -> tables) whose findings came from the cache in this run
        self.reused: dict[str, list[str]] = {}

    def hit(self, layer: str, name: str) -> list[Any] | None:
        found = self._hits.get((layer, name))
        if found is not None:
            self.reused.setdefault(layer, []).append(name)
        return found

    def put(self, layer: str, name: str, findings: list[Any], rows: int) -> None:
        self._cache.store(self._keys[(layer, name)], self._cache.Entry(list(findings), {name: rows}))

    def metadata(self, pkg: DataPackage, safe: list[Any]) -> list[Any]:
        """frictionless' check of the descriptor and schemas, kept under the digest of what it
        reads (the descriptor it is given, the code and the libraries)."""
        import hashlib
        import json

        from ruven.validate import preflight

        h = hashlib.sha256()
        self._cache.base(h)
        h.update(json.dumps(preflight.descriptor_for_frictionless(pkg, safe), sort_keys=True).encode())
        k = hashlib.sha256(b"metadata\0" + h.digest()).hexdigest()
        hit = self._cache.load(k)
        if hit is not None:
            return hit.findings
        found = preflight.metadata(pkg, safe)
        self._cache.store(k, self._cache.Entry(found, {}))
        return found

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
