"""Validate a ruven data package through its layers into one ValidationReport."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Sequence

from ruven.package import DataPackage
from ruven.report import LAYERS, ValidationReport

ProgressFn = Callable[[str], None]


def validate_package(
    path: str | os.PathLike[str] | DataPackage | None = None,
    *,
    layers: Sequence[str] | None = None,
    today: dt.date | None = None,
    progress: ProgressFn | None = None,
    cache: bool = True,
) -> ValidationReport:
    """Run the requested layers over the package and return the finished report.

    Never writes to the package. Raises :class:`ruven.errors.PackageReadError` only when the
    descriptor itself cannot be read; every other problem is a finding in the report.
    With ``cache`` a layer reuses its findings from an earlier run over the very same bytes,
    code and libraries (see :mod:`ruven.validate.cache`); a cached answer is never stale.
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
        keys = {layer: findings_cache.key(digest, layer, today) for layer in order}
        for layer in order:
            hit = findings_cache.load(keys[layer])
            if hit is not None:
                report.extend(hit.findings)
                report.rows.update(hit.rows)
                report.cached.append(layer)
                report.timings[layer] = 0.0
    todo = [layer for layer in order if layer not in report.cached]
    child = None
    if "expectations" in todo and len(todo) > 1 and os.environ.get("RUVEN_GE_IN_PROCESS") != "1":
        from ruven.validate import expectations

        child = expectations.start(pkg)  # GE's import overlaps layers 1 and 2 on another core
    if "frictionless" in todo or "pandera" in todo:
        _row_layers(pkg, report, todo, today, progress)
    if "expectations" in todo:
        if progress:
            progress("expectations")
        from ruven.validate import expectations

        if child is not None:
            findings, seconds = expectations.collect(child, pkg)
        else:
            t0 = time.perf_counter()
            findings = expectations.check(pkg)
            seconds = time.perf_counter() - t0
        report.extend(findings)
        report.timings["expectations"] = seconds
    if keys:
        from ruven.validate import cache as findings_cache

        for layer in todo:
            mine = [f for f in report.findings if f.layer == layer]
            findings_cache.store(keys[layer], findings_cache.Entry(mine, dict(report.rows)))
    for res in pkg:  # row counts of tables the row layers did not read (parsed once, here)
        if res.name not in report.rows and res.path_problem is None and res.path.is_file():
            try:
                report.rows[res.name] = res.row_count()
            except (UnicodeDecodeError, OSError, ValueError):
                report.rows[res.name] = 0
    return report.finalize()


def _row_layers(pkg: DataPackage, report: ValidationReport, order: list[str], today: dt.date, progress: ProgressFn | None) -> None:
    """Layers 1 and 2 in one pass over the tables: each CSV is parsed once, checked by the
    structural engine, then by the pandera rules, then dropped (only the key columns and the
    small reference tables stay), so memory holds one big table at a time."""
    import os

    from ruven.validate import keys, preflight, structural

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
    meta = preflight.metadata(pkg, safe)
    if "frictionless" in order:
        report.extend(findings + meta)
    t["frictionless" if structural_on else "pandera"] += time.perf_counter() - t0
    if meta:  # the schemas themselves are broken: row checks would be meaningless
        _store(report, t, order)
        return
    from ruven.validate import rules
    from ruven.validate.tables import load

    ctx = rules.Context(pkg, today)
    needed = keys.key_fields(pkg)
    for res in keys.load_order(pkg, safe):
        t0 = time.perf_counter()
        table = load(res)
        table_keys = keys.keys_of(table, needed.get(res.name, set()))
        report.rows[res.name] = table.df.height
        t1 = time.perf_counter()
        if structural_on:
            report.extend(structural.check_table(pkg, table, ctx.keys))
        t2 = time.perf_counter()
        t["frictionless" if structural_on else "pandera"] += t1 - t0
        t["frictionless"] += t2 - t1
        ctx.keys.update(table_keys)
        if rules_on:
            report.extend(rules.check_table(table, ctx))
            if rules.keep_whole(pkg, res):
                ctx.tables[res.name] = table
        t["pandera"] += time.perf_counter() - t2
        del table
    if rules_on:
        t0 = time.perf_counter()
        report.extend(rules.finish(ctx))
        t["pandera"] += time.perf_counter() - t0
    _store(report, t, order)


def _store(report: ValidationReport, t: dict[str, float], order: list[str]) -> None:
    for layer, seconds in t.items():
        if layer in order:
            report.timings[layer] = seconds
