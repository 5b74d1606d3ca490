"""Facts about the package for ``ruven info`` (plain CSV reading, no heavy imports)."""

from __future__ import annotations

import os
from typing import Any

from ruven.package import DataPackage, date_bounds


def package_info(path: str | os.PathLike[str] | DataPackage | None = None) -> dict[str, Any]:
    pkg = path if isinstance(path, DataPackage) else DataPackage.load(path)
    resources = []
    lo_all: list[str] = []
    hi_all: list[str] = []
    for res in pkg:
        rows = res.read_rows() if res.path.exists() else []
        dates = [f.name for f in res.fields if f.is_partial_date]
        lo: list[str] = []
        hi: list[str] = []
        live = None
        if "withdrawn" in res.field_names:
            live = sum(1 for r in rows if not (r.get("withdrawn") or "").strip())
        for r in rows:
            for name in dates:
                b = date_bounds(r.get(name) or "")
                if b:
                    lo.append(b[0])
                    hi.append(b[1])
        if res in pkg.fact_tables:
            lo_all += lo
            hi_all += hi
        resources.append(
            {
                "name": res.name,
                "path": res.relpath,
                "rows": len(rows),
                "live_rows": live,
                "date_min": min(lo) if lo else None,
                "date_max": max(hi) if hi else None,
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
