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
) -> ValidationReport:
    """Run the requested layers over the package and return the finished report.

    Never writes to the package. Raises :class:`ruven.errors.PackageReadError` only when the
    descriptor itself cannot be read; every other problem is a finding in the report.
    """
    pkg = path if isinstance(path, DataPackage) else DataPackage.load(path)
    from ruven.validate.layers import DEFAULT_LAYERS

    order = [layer for layer in LAYERS if layer in (DEFAULT_LAYERS if layers is None else layers)]
    report = ValidationReport(pkg.name, pkg.version, order)
    for res in pkg:
        if res.path.exists() and res.path.is_file() and "://" not in res.relpath:
            try:
                report.rows[res.name] = res.row_count()
            except (UnicodeDecodeError, OSError, ValueError):
                report.rows[res.name] = 0
    for layer in order:
        if progress:
            progress(layer)
        t0 = time.perf_counter()
        if layer == "frictionless":
            from ruven.validate import structural

            report.extend(structural.check(pkg))
        elif layer == "pandera":
            from ruven.validate import rules

            report.extend(rules.check(pkg, today=today))
        elif layer == "expectations":
            from ruven.validate import expectations

            report.extend(expectations.check(pkg))
        report.timings[layer] = time.perf_counter() - t0
    return report.finalize()
