"""Every figure the datasheet quotes, computed from the data (plain JSON-able values).

Rows are read through :mod:`ruven.rows` (live rows: not withdrawn); nothing here is typed
by hand. The datasheet template (``templates/datasheet.md.j2``) only formats these figures.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from ruven.package import DataPackage, Resource, date_bounds
from ruven.rows import live_rows, row_year, source_field, split_ids

__all__ = ["FEW_SOURCES", "country_name", "datasheet_figures", "language_name"]

#: A year whose live fact rows cite fewer distinct sources than this counts as thinly sourced.
FEW_SOURCES = 10

#: A publisher that names another outlet it copies (``La Patilla (Reuters)``, ``… reposting Sputnik``).
REPRINT_RE = re.compile(r"\(|\b(citing|reposting|copy|via|relaying|mirror|excerpting|quoting|translation|translated|machine-translated)\b", re.I)


def country_name(code_: str) -> str:
    """The ISO 3166-1 short name of an alpha-2 code (pycountry), or the code itself."""
    try:
        import pycountry

        c = pycountry.countries.get(alpha_2=code_)
    except (LookupError, KeyError):
        c = None
    return str(getattr(c, "common_name", None) or c.name) if c is not None else code_


def _share(n: int, total: int) -> float:
    return round(100.0 * n / total, 1) if total else 0.0


def datasheet_figures(pkg: DataPackage) -> dict[str, Any]:
    """Every figure the datasheet quotes, computed from the data (plain JSON-able values)."""
    tables = []
    facts: list[tuple[Resource, list[dict[str, str]]]] = []
    for res in pkg:
        all_rows = res.read_rows() if res.path.exists() else []
        live = live_rows(res)
        tables.append({"table": res.name, "rows": len(all_rows), "live": len(live), "withdrawn": len(all_rows) - len(live)})
        if res in pkg.fact_tables:
            facts.append((res, live))

    src_res = pkg.resources.get("sources")
    sources = src_res.read_rows() if src_res is not None and src_res.path.exists() else []
    n_src = len(sources)
    kind_field = src_res.field("kind") if src_res is not None and "kind" in src_res.field_names else None
    kinds = Counter(s.get("kind", "") for s in sources)
    kind_order = list(kind_field.enum or []) if kind_field else sorted(kinds)
    by_kind = [{"kind": k, "sources": kinds.get(k, 0), "share": _share(kinds.get(k, 0), n_src)} for k in kind_order if kinds.get(k, 0)]

    # state media: the sources' own `state_affiliation` (the owning state), not a list kept here
    owner = {s.get("id", ""): s.get("state_affiliation", "") for s in sources}
    by_state = Counter(v for v in owner.values() if v)
    reprints = sum(1 for s in sources if REPRINT_RE.search(s.get("publisher", "")))
    state = [
        {"country": c, "name": country_name(c), "sources": n, "share": _share(n, n_src)}
        for c, n in sorted(by_state.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    blogs = kinds.get("blog", 0) + kinds.get("aggregator", 0)
    source_groups = {
        "state_media": {"sources": sum(by_state.values()), "share": _share(sum(by_state.values()), n_src)},
        "news_agencies": {"sources": kinds.get("news-agency", 0), "share": _share(kinds.get("news-agency", 0), n_src)},
        "blogs_aggregators": {"sources": blogs, "share": _share(blogs, n_src)},
        "reprints": {"sources": reprints, "share": _share(reprints, n_src)},
    }

    langs = Counter(s.get("language", "") for s in sources)
    languages = [{"language": code_, "name": language_name(code_), "sources": n, "share": _share(n, n_src)} for code_, n in sorted(langs.items(), key=lambda kv: (-kv[1], kv[0]))]

    confidence = []
    for res, rows in facts:
        if "confidence" not in res.field_names:
            continue
        levels = res.field("confidence").enum or sorted({r.get("confidence", "") for r in rows})
        c = Counter(r.get("confidence", "") for r in rows)
        confidence.append({"table": res.name, **{lvl: c.get(lvl, 0) for lvl in levels}, "rows": len(rows)})

    per_year_rows: Counter[int] = Counter()
    per_year_sources: dict[int, set[str]] = {}
    single = 0
    only_state = 0
    n_fact = 0
    single_by_table = []
    lo: list[str] = []
    hi: list[str] = []
    for res, rows in facts:
        sf = source_field(res)
        t_single = 0
        for r in rows:
            ids = split_ids(sf, r.get(sf.name)) if sf else []
            n_fact += 1
            if len(ids) == 1:
                single += 1
                t_single += 1
            if ids and all(owner.get(i) for i in ids):
                only_state += 1
            y = row_year(res, r)
            if y is not None:
                per_year_rows[y] += 1
                per_year_sources.setdefault(y, set()).update(ids)
            for f in res.fields:
                if f.is_partial_date:
                    b = date_bounds(r.get(f.name) or "")
                    if b:
                        lo.append(b[0])
                        hi.append(b[1])
        single_by_table.append({"table": res.name, "rows": len(rows), "single_source": t_single, "share": _share(t_single, len(rows))})
    years = []
    if per_year_rows:
        for y in range(min(per_year_rows), max(per_year_rows) + 1):
            years.append({"year": y, "rows": per_year_rows.get(y, 0), "sources": len(per_year_sources.get(y, set()))})
    few = [y["year"] for y in years if y["sources"] < FEW_SOURCES]

    return {
        "version": pkg.version,
        "tables": tables,
        "sources": {"total": n_src, "by_kind": by_kind, "groups": source_groups, "state_media": state},
        "languages": languages,
        "confidence": confidence,
        "years": years,
        "few_sources_threshold": FEW_SOURCES,
        "few_sources_years": few,
        "single_source": {"rows": n_fact, "single_source": single, "share": _share(single, n_fact), "by_table": single_by_table},
        "state_media_only": {"rows": n_fact, "state_media_only": only_state, "share": _share(only_state, n_fact)},
        "date_range": {"min": min(lo) if lo else None, "max": max(hi) if hi else None},
    }


def language_name(code_: str) -> str:
    try:
        import pycountry

        lang = pycountry.languages.get(alpha_2=code_)
    except (LookupError, KeyError):
        lang = None
    return re.sub(r" \([^)]*\d[^)]*\)$", "", str(lang.name)) if lang is not None else code_


