"""Every figure the datasheet quotes, computed from the data (plain JSON-able values).

Rows are read through the typed connection (:func:`ruven.connect`): nothing here parses a
cell or a date. The datasheet template (``templates/datasheet.md.j2``) only formats these figures.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from ruven.package import DataPackage, Resource
from ruven.query import all_table, ident

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

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


def _records(con: duckdb.DuckDBPyConnection, relation: str) -> list[dict[str, Any]]:
    cur = con.execute(f"SELECT * FROM {ident(relation)}")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def datasheet_figures(pkg: DataPackage, con: duckdb.DuckDBPyConnection | None = None) -> dict[str, Any]:
    """Every figure the datasheet quotes, computed from the data (plain JSON-able values).

    Rows are read through the typed connection (:func:`ruven.connect`; ``con`` reuses one):
    the ``<table>`` views hold the live rows, ``<table>_all`` every row, id lists are lists
    and each partial date has its ``_min`` / ``_max`` bounds."""
    if con is None:
        from ruven import connect

        with connect(pkg) as own:
            return datasheet_figures(pkg, own)
    tables = []
    facts: list[tuple[Resource, list[dict[str, Any]]]] = []
    for res in pkg:
        live = _records(con, res.name)
        n_all = con.execute(f"SELECT count(*) FROM {ident(all_table(res))}").fetchone()[0]  # type: ignore[index]
        tables.append({"table": res.name, "rows": n_all, "live": len(live), "withdrawn": n_all - len(live)})
        if res in pkg.fact_tables:
            facts.append((res, live))

    src_res = pkg.resources.get("sources")
    sources = [{k: _text(v) for k, v in r.items()} for r in _records(con, all_table(src_res))] if src_res is not None else []
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
        levels = res.field("confidence").enum or sorted({_text(r.get("confidence")) for r in rows})
        c = Counter(_text(r.get("confidence")) for r in rows)
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
        sf = res.source_field
        dates = [f.name for f in res.fields if f.is_partial_date]
        t_single = 0
        for r in rows:
            ids = [i for i in (r.get(sf.name) or []) if i] if sf else []
            n_fact += 1
            if len(ids) == 1:
                single += 1
                t_single += 1
            if ids and all(owner.get(i) for i in ids):
                only_state += 1
            first = next((r[f"{d}_min"] for d in dates if r.get(f"{d}_min") is not None), None)  # the row's year: its first date
            if first is not None:
                per_year_rows[first.year] += 1
                per_year_sources.setdefault(first.year, set()).update(ids)
            for d in dates:
                if r.get(f"{d}_min") is not None:
                    lo.append(r[f"{d}_min"].isoformat())
                    hi.append(r[f"{d}_max"].isoformat())
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


