"""Facts about the package for ``ruven info``, read from the typed connection (:mod:`ruven.db`)."""

from __future__ import annotations

import os
from typing import Any

from ruven.db.names import WITHDRAWN, all_table, ident
from ruven.package import DataPackage


def package_info(path: str | os.PathLike[str] | DataPackage | None = None) -> dict[str, Any]:
    """Rows, live rows and the span of the partial dates (their ``_min`` / ``_max`` bounds, every
    row counted) of each resource, and the span of the fact tables."""
    from ruven.db import connect

    pkg = path if isinstance(path, DataPackage) else DataPackage.load(path)
    resources = []
    lo_all: list[str] = []
    hi_all: list[str] = []
    with connect(pkg) as con:
        for res in pkg:
            dates = [f.name for f in res.fields if f.is_partial_date]
            table = ident(all_table(res))
            live = f"count(*) FILTER (WHERE {ident(WITHDRAWN)} IS NULL)" if WITHDRAWN in res.field_names else "NULL"
            mins = ", ".join("min(" + ident(d + "_min") + ")" for d in dates)
            maxs = ", ".join("max(" + ident(d + "_max") + ")" for d in dates)
            lo = f"least({mins})" if dates else "NULL"
            hi = f"greatest({maxs})" if dates else "NULL"
            rows, live_rows, date_min, date_max = con.execute(f"SELECT count(*), {live}, {lo}, {hi} FROM {table}").fetchone()  # type: ignore[misc]
            date_min = date_min.isoformat() if date_min is not None else None
            date_max = date_max.isoformat() if date_max is not None else None
            if res in pkg.fact_tables:
                lo_all += [date_min] if date_min else []
                hi_all += [date_max] if date_max else []
            resources.append(
                {
                    "name": res.name,
                    "path": res.relpath,
                    "rows": rows,
                    "live_rows": live_rows,
                    "date_min": date_min,
                    "date_max": date_max,
                    "title": res.title,
                    "description": res.description,
                }
            )
    return {
        "name": pkg.name,
        "title": pkg.title,
        "version": pkg.version,
        "license": pkg.license,
        "path": str(pkg.descriptor_path),
        "resources": resources,
        "date_min": min(lo_all) if lo_all else None,
        "date_max": max(hi_all) if hi_all else None,
    }
