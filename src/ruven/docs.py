"""Generated documentation: the codebook, the datasheet, README sections and CITATION.cff.

Everything here is derived from ``datapackage.json``, ``schemas/*.json`` and the data, so it
cannot drift from them: ``ruven docs`` rewrites the files and ``ruven docs --check`` says
which ones differ. This module never imports click, never prints and never exits; the CLI
reference (which needs click) is handed in by ``ruven.cli.docs`` as finished Markdown.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ruven.errors import RuvenError
from ruven.package import DataPackage, Field, Resource, date_bounds

FIX_COMMAND = "ruven docs"
CODEBOOK = "docs/codebook.md"
DATASHEET = "docs/datasheet.md"
CITATION = "CITATION.cff"
README = "README.md"
#: README sections that ``ruven docs`` owns, in the order they are reported.
README_SECTIONS = ("data-dictionary", "charts", "how-to-cite", "licence", "cli-reference")
#: A year whose live fact rows cite fewer distinct sources than this counts as thinly sourced.
FEW_SOURCES = 10
EXAMPLE_LIMIT = 60

#: A publisher that names another outlet it copies (``La Patilla (Reuters)``, ``… reposting Sputnik``).
REPRINT_RE = re.compile(r"\(|\b(citing|reposting|copy|via|relaying|mirror|excerpting|quoting|translation|translated|machine-translated)\b", re.I)


class DocsError(RuvenError):
    """The documentation cannot be generated (e.g. README markers missing)."""

    code = "docs-error"


@dataclass
class GeneratedFile:
    path: str  # relative to the package root
    status: str  # unchanged | written | would-change | skipped
    detail: str = ""


@dataclass
class DocsResult:
    check: bool
    files: list[GeneratedFile] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def drifted(self) -> list[GeneratedFile]:
        return [f for f in self.files if f.status == "would-change"]

    @property
    def ok(self) -> bool:
        return not self.drifted

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "check": self.check,
            "files": [asdict(f) for f in self.files],
            "fix": FIX_COMMAND if self.drifted else None,
            "figures": self.figures,
        }


# --------------------------------------------------------------------------- helpers


def cell(value: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ").strip()


def code(value: Any) -> str:
    s = str(value)
    return f"`` {s} ``" if "`" in s else f"`{s}`"


def live_rows(res: Resource) -> list[dict[str, str]]:
    """Rows of a resource that are not withdrawn (all rows when it has no ``withdrawn``)."""
    if not res.path.exists():
        return []
    rows = res.read_rows()
    if "withdrawn" in res.field_names:
        rows = [r for r in rows if not (r.get("withdrawn") or "").strip()]
    return rows


def split_ids(f: Field, value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(f.delimiter) if v.strip()]


def source_field(res: Resource) -> Field | None:
    for f in res.fields:
        if f.is_id_list and "sources" in f.list_references:
            return f
    return None


def row_year(res: Resource, row: dict[str, str]) -> int | None:
    """Year of a fact row: its first partial-date field that holds a real date."""
    for f in res.fields:
        if f.is_partial_date:
            b = date_bounds(row.get(f.name) or "")
            if b:
                return int(b[0][:4])
    return None


def example_value(res: Resource, name: str, rows: list[dict[str, str]]) -> str:
    for r in rows:
        v = (r.get(name) or "").strip()
        if v:
            v = " ".join(v.split())
            return v if len(v) <= EXAMPLE_LIMIT else v[: EXAMPLE_LIMIT - 1] + "…"
    return ""


def field_type(f: Field) -> str:
    if f.is_partial_date:
        return "partial date"
    if f.is_id_list:
        return f"id list (`{f.delimiter}`)"
    return f.type


def field_constraints(res: Resource, f: Field) -> list[str]:
    c = f.constraints
    out = []
    if c.get("required"):
        out.append("required")
    if c.get("unique"):
        out.append("unique")
    if f.name in res.primary_key:
        out.append("primary key")
    for fk in res.foreign_keys:
        if fk.field == f.name:
            out.append(f"→ `{fk.resource}.{fk.reference_field}`")
    if f.is_id_list and f.list_references:
        out.append("each id → " + ", ".join(f"`{t}`" for t in f.list_references))
    if f.enum:
        out.append(f"one of {len(f.enum)} values (below)")
    for key, label in (("minimum", "≥"), ("maximum", "≤"), ("minLength", "length ≥"), ("maxLength", "length ≤")):
        if key in c:
            out.append(f"{label} {c[key]}")
    if "pattern" in c and not f.enum:
        out.append("pattern " + code(c["pattern"]))
    for key, value in c.items():
        if key not in ("required", "unique", "enum", "pattern", "minimum", "maximum", "minLength", "maxLength"):
            out.append(f"{key} {value}")
    out += f.conventions()  # x-ruven conventions the rules check
    return out


def referenced_by(pkg: DataPackage, res: Resource) -> list[str]:
    out = []
    for other in pkg:
        for fk in other.foreign_keys:
            if fk.resource == res.name:
                out.append(f"`{other.name}.{fk.field}`")
        for f in other.fields:
            if f.is_id_list and res.name in f.list_references:
                out.append(f"`{other.name}.{f.name}` (list)")
    return out


def licence(pkg: DataPackage) -> dict[str, str]:
    lic = (pkg.descriptor.get("licenses") or [{}])[0]
    return {"name": str(lic.get("name", "")), "title": str(lic.get("title", lic.get("name", ""))), "path": str(lic.get("path", ""))}


def licence_statement(pkg: DataPackage) -> str:
    """The one sentence stating the data licence (README, xlsx About sheet): from the descriptor."""
    lic = licence(pkg)
    return f"{lic['title']} ({lic['name']}), {lic['path']}"


def citation_text(pkg: DataPackage) -> str:
    """Plain-text citation: ``ruven contributors (YEAR). TITLE (version X). Data set.``"""
    year = release_date(pkg)[:4]
    return f"{_authors(pkg)} ({year}). {pkg.title} (version {pkg.version}) [Data set]. Licence: {licence(pkg)['name']}."


def _authors(pkg: DataPackage) -> str:
    names = [str(c.get("title")) for c in pkg.descriptor.get("contributors", []) if c.get("role", "author") == "author" and c.get("title")]
    return " and ".join(names) or "ruven contributors"


def release_date(pkg: DataPackage) -> str:
    """Date of the current version: its CHANGELOG heading (``## [X.Y.Z] - DATE``), else ``created``."""
    changelog = pkg.root / "CHANGELOG.md"
    if changelog.exists():
        m = re.search(rf"^## \[{re.escape(pkg.version)}\] - (\d{{4}}-\d{{2}}-\d{{2}})", changelog.read_text(encoding="utf-8"), re.M)
        if m:
            return m.group(1)
    return str(pkg.descriptor.get("created", ""))[:10]


# --------------------------------------------------------------------------- codebook


def codebook_markdown(pkg: DataPackage) -> str:
    lines = [
        f"# Codebook: {pkg.title}",
        "",
        f"<!-- Generated by `{FIX_COMMAND}` from datapackage.json, schemas/*.json and data/*.csv. Do not edit by hand. -->",
        "",
        f"Data package `{pkg.name}` version {pkg.version}. Data licence: {licence_statement(pkg)}.",
        "",
        "How to read the tables below:",
        "",
        "- **partial date**: an EDTF date (ISO 8601-2, level 0): `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, as precise as the sources allow "
        "and no more, or an interval `A/B` of two such dates when the sources only place the event between them or disagree "
        "(`2008/2009`, `2009-08/2010-04`). The query layer adds `<field>_min` and `<field>_max` DATE columns: the earliest and "
        "latest day the value covers (`2008/2009` gives 2008-01-01 and 2009-12-31).",
        "- **id list**: one or more ids separated by the delimiter shown, each the `id` of a row in the table named.",
        "- `_low`, `_best`, `_high`: `_best` is what the sources most support; low and high only when sources disagree or give a range.",
        "- **Totals**: add up figures (personnel, quantities, values, amounts) only over rows where `count_in_totals` is true. "
        "It is false for aggregate and summary rows, subtotals, credit ceilings, forecasts, requests and plans, observations of "
        "equipment already counted, and the half of a deal (order or delivery) that another row counts; `overlaps_ids` names the "
        "rows such a row overlaps. A plain `sum()` over a whole table counts some deals two or three times. In SQL: "
        "`SELECT sum(value_usd_best) FROM arms_purchases WHERE count_in_totals`.",
        "- **withdrawn**: a row found wrong is never deleted; its `withdrawn` cell says why. Example values skip withdrawn rows.",
        "- An empty cell means unknown or not applicable; only fields marked *required* are never empty.",
        "",
        "Tables: " + ", ".join(f"[`{r.name}`](#{r.name})" for r in pkg) + ".",
        "",
    ]
    for res in pkg:
        rows = live_rows(res)
        lines += [f"## {res.name}", "", f"**{res.title}.** {res.description}", ""]
        lines.append(f"- File: `{res.relpath}`; schema: `{res.schema_path.relative_to(pkg.root).as_posix() if res.schema_path else '(inline)'}`")
        lines.append("- Primary key: " + (", ".join(f"`{k}`" for k in res.primary_key) or "none"))
        fks = [f"`{fk.field}` → `{fk.resource}.{fk.reference_field}`" for fk in res.foreign_keys]
        lines.append("- Foreign keys: " + ("; ".join(fks) or "none"))
        lists = [f"`{f.name}` → " + ", ".join(f"`{t}`" for t in f.list_references) for f in res.fields if f.is_id_list]
        lines.append("- Id-list references (`" + "`, `".join(sorted({f.delimiter for f in res.fields if f.is_id_list}) or [";"]) + "`-separated): " + ("; ".join(lists) or "none"))
        lines.append("- Referenced by: " + (", ".join(referenced_by(pkg, res)) or "nothing"))
        lines += ["", "| field | title | type | constraints | description | example |", "| --- | --- | --- | --- | --- | --- |"]
        for f in res.fields:
            ex = example_value(res, f.name, rows)
            lines.append(
                f"| `{f.name}` | {cell(f.title)} | {cell(field_type(f))} | {cell('; '.join(field_constraints(res, f)))} "
                f"| {cell(f.description)} | {code(cell(ex)) if ex else ''} |"
            )
        for f in res.fields:
            if not f.enum:
                continue
            meanings = f.value_meanings
            lines += ["", f"Allowed values of `{res.name}.{f.name}`:", "", "| value | meaning |", "| --- | --- |"]
            lines += [f"| `{v}` | {cell(meanings.get(v, ''))} |" for v in f.enum]
        lines.append("")
    from ruven.validate.codes import codebook_section

    return "\n".join(lines).rstrip() + "\n\n" + codebook_section()


def data_dictionary_markdown(pkg: DataPackage) -> str:
    lines = [
        "| table | one row is | key | fields |",
        "| --- | --- | --- | --- |",
    ]
    for res in pkg:
        lines.append(
            f"| [`{res.name}`](docs/codebook.md#{res.name}) | {cell(res.description)} | {', '.join(f'`{k}`' for k in res.primary_key)} "
            f"| {len(res.fields)}: {', '.join(f'`{n}`' for n in res.field_names)} |"
        )
    lines += [
        "",
        "Every field's type, constraints, allowed values and an example are in the codebook "
        "([docs/codebook.md](docs/codebook.md)); how the data was gathered and its known gaps are in the "
        "datasheet ([docs/datasheet.md](docs/datasheet.md)).",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- datasheet figures


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


def _year_ranges(years: list[int]) -> str:
    if not years:
        return "none"
    out: list[str] = []
    start = prev = years[0]
    for y in [*years[1:], None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        out.append(str(start) if start == prev else f"{start}–{prev}")
        if y is not None:
            start = prev = y
    return ", ".join(out)


def datasheet_markdown(pkg: DataPackage, fig: dict[str, Any]) -> str:
    src = fig["sources"]
    grp = src["groups"]
    total_fact = fig["single_source"]["rows"]
    dr = fig["date_range"]
    state_parts = ", ".join(f"{s['name']} {s['share']}%" for s in src["state_media"])
    lines = [
        f"# Datasheet: {pkg.title}",
        "",
        f"<!-- Generated by `{FIX_COMMAND}`: the prose is in src/ruven/docs.py, every figure is computed from the data. Do not edit by hand. -->",
        "",
        f"Version {pkg.version}. This datasheet follows the questions of *Datasheets for Datasets* "
        "(Gebru et al., 2021). Every number on this page is computed from the package by `ruven docs` "
        "and changes when the data does.",
        "",
        "## Motivation",
        "",
        "Russia's military presence in Venezuela, its arms sales and its loans and oil stakes are reported "
        "piecemeal, in many languages, often by outlets with a stake in the story. The package gathers what "
        "can be sourced into five fact tables (deployments, arms purchases, investments, statements and the agreements they rest on), one fact per row, each row citing the pages it rests on, so that "
        "reporters and researchers can count, date and check the ties instead of relying on one article's "
        "summary. It grew from one news story (Slate, 29 March 2019, source `SRC-0001`) and is built by "
        "the ruven contributors as an open project.",
        "",
        "## Composition",
        "",
        "| table | rows | live | withdrawn |",
        "| --- | ---: | ---: | ---: |",
    ]
    lines += [f"| `{t['table']}` | {t['rows']} | {t['live']} | {t['withdrawn']} |" for t in fig["tables"]]
    lines += [
        "",
        "Each fact row is one event or commitment: a deployment, an arms deal for one weapon designation, an "
        "investment or loan, or one quoted statement. `sources` lists every cited page and `actors` every "
        "state, body, company and person the facts name. The codebook ([codebook.md](codebook.md)) "
        "describes every field.",
        "",
        f"Dates covered by the fact tables: **{dr['min'] or 'none yet'}** to **{dr['max'] or 'none yet'}**.",
        "",
        "Rows per confidence level (live rows; `confirmed`: acknowledged by the party concerned or two or more "
        "independent original reports; `reported`: one credible original report, possibly reprinted; "
        "`disputed`: denied or contradicted):",
        "",
    ]
    if fig["confidence"]:
        levels = [k for k in fig["confidence"][0] if k not in ("table", "rows")]
        lines += ["| table | " + " | ".join(levels) + " | rows |", "| --- | " + " | ".join("---:" for _ in levels) + " | ---: |"]
        lines += [f"| `{c['table']}` | " + " | ".join(str(c.get(lvl, 0)) for lvl in levels) + f" | {c['rows']} |" for c in fig["confidence"]]
    ss = fig["single_source"]
    lines += [
        "",
        f"Rows resting on a single source: **{ss['single_source']} of {total_fact}** live fact rows "
        f"({ss['share']}%). " + "; ".join(f"`{t['table']}` {t['single_source']} of {t['rows']}" for t in ss["by_table"]) + ".",
        "",
        "## Collection process",
        "",
        "The facts were gathered in November 2026 from archived copies of web pages in many languages. Only "
        "excerpts of each page were read, so a detail outside the excerpt is not recorded, and a page that "
        "could not be retrieved again is still cited as it was read. Each fact was restated in the project's "
        "own words; only names, figures, dates, URLs and officials' quoted words were carried over. A spot "
        "check of randomly chosen facts against their pages found most fully supported, a few partly, and "
        "none contradicted. Every row names its sources in `source_ids`; `accessed` records when the page "
        "was read.",
        "",
        f"The package cites **{src['total']}** source pages. By kind of publisher:",
        "",
        "| kind | sources | share |",
        "| --- | ---: | ---: |",
    ]
    lines += [f"| `{k['kind']}` | {k['sources']} | {k['share']}% |" for k in src["by_kind"]]
    lines += [
        "",
        "| group | sources | share |",
        "| --- | ---: | ---: |",
        f"| state media (`state_affiliation` filled: the outlet is owned or controlled by a state) | {grp['state_media']['sources']} | {grp['state_media']['share']}% |",
        f"| news agencies (kind `news-agency`) | {grp['news_agencies']['sources']} | {grp['news_agencies']['share']}% |",
        f"| blogs, forums and aggregators (kinds `blog`, `aggregator`) | {grp['blogs_aggregators']['sources']} | {grp['blogs_aggregators']['share']}% |",
        f"| pages that copy or relay another outlet's story | {grp['reprints']['sources']} | {grp['reprints']['share']}% |",
        "",
        "State media by owning state (`sources.state_affiliation`):",
        "",
        "| state | sources | share |",
        "| --- | ---: | ---: |",
    ]
    lines += [f"| {s['name']} (`{s['country']}`) | {s['sources']} | {s['share']}% |" for s in src["state_media"]]
    lines += [
        "",
        "A source counts as state media when its `state_affiliation` names the state that owns or controls "
        "the outlet (a state news agency or broadcaster, a state-owned company, a government's own site), "
        "the same for every page of one publisher; the basis is the outlet's stated ownership, not its "
        "editorial line, so a privately owned outlet close to a government is not counted, and a page that "
        "only relays a state agency's story counts under its own publisher. "
        f"**{fig['state_media_only']['state_media_only']}** live fact rows ({fig['state_media_only']['share']}%) "
        "rest only on state media: every source they cite is state-affiliated.",
        "",
        "Languages of the source pages:",
        "",
        "| language | sources | share |",
        "| --- | ---: | ---: |",
    ]
    lines += [f"| {cell(lang['name'])} (`{lang['language']}`) | {lang['sources']} | {lang['share']}% |" for lang in fig["languages"]]
    lines += [
        "",
        "## Preprocessing, cleaning and labelling",
        "",
        "Rows were typed by the Table Schemas in `schemas/`, and `ruven validate` checks every constraint, key "
        "and cross-table rule before a release. Dates are kept as precise as the sources allow (`YYYY`, "
        "`YYYY-MM`, `YYYY-MM-DD`). Where sources disagree on a number, the range is kept in `_low`, `_best` and "
        "`_high`, and the disagreement in `notes`. Quotes are kept as the cited page reports them; when that is a "
        "translation, `is_translation` is true and the original language is noted. Money is in nominal US "
        "dollars as reported, with no conversion from memory. No row has been deleted: wrong rows are withdrawn "
        "with a reason.",
        "",
        "## Uses",
        "",
        "Suited to: counting and dating deployments, deals, loans and statements; finding the pages behind a "
        "claim; charting the ties over time. Not suited to: totals of Russian arms transfers or investment "
        "(the tables hold what could be sourced, not a census), measuring troop strength on a given day, or "
        "attributing intent. Check `confidence`, the number of sources and their `kind` before repeating a "
        "figure, and quote the cited page rather than the dataset when a wording matters.",
        "",
        "## Distribution",
        "",
        f"The package is published as a Frictionless Data Package (CSV files with JSON Table Schemas) and in the "
        f"release artifacts. Data licence: {licence_statement(pkg)}. Cite it as: {citation_text(pkg)} "
        "(see `CITATION.cff`).",
        "",
        "## Maintenance",
        "",
        "The package is versioned (`version` in `datapackage.json`; MAJOR for removed or renamed fields, MINOR for "
        "new rows, PATCH for corrections) and every change is listed in `CHANGELOG.md`. Ids are never reused; "
        "corrections withdraw a row with a reason instead of deleting it. Errors can be reported as issues on "
        "the project's repository.",
        "",
        "## Known gaps and biases",
        "",
        f"- **State media.** {grp['state_media']['share']}% of the cited pages come from outlets a state owns "
        f"or controls ({state_parts}), and {fig['state_media_only']['share']}% of live fact rows rest on such "
        "pages alone; many more pages relay their stories. For many events the Russian side's account is the "
        "one that was published; each row's sources show which pages it rests on.",
        f"- **Reprints.** {grp['reprints']['share']}% of the pages copy or relay another outlet's story, and "
        f"{grp['blogs_aggregators']['share']}% are blogs, forums or aggregators. Several URLs may therefore be "
        "one original report; `confidence` counts a wire story and its reprints once, the number of "
        "`source_ids` does not.",
        f"- **Single sources.** {ss['share']}% of live fact rows rest on one source page.",
        f"- **Thin years.** Years whose live fact rows cite fewer than {fig['few_sources_threshold']} distinct "
        f"sources: {_year_ranges(fig['few_sources_years'])}. Few rows in a year may mean little happened or "
        "little was found; the package cannot tell the two apart.",
        "- **Languages.** The pages are mostly in "
        + ", ".join(lang["name"] for lang in fig["languages"][:4])
        + "; Venezuelan and Russian official records were reached mainly through the press, and military "
        "registers such as SIPRI's only through secondary relays.",
        "- **Excerpts only.** Details outside the read excerpts are missing, and leads that no page supported "
        "were left out rather than guessed.",
        "",
        "Rows per year of the fact tables (year of each row's first date) and the distinct sources they cite:",
        "",
        "| year | rows | sources |",
        "| --- | ---: | ---: |",
    ]
    lines += [f"| {y['year']} | {y['rows']} | {y['sources']} |" for y in fig["years"]]
    if not fig["years"]:
        lines.append("| — | 0 | 0 |")
    return "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------- citation


def _yaml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def citation_cff(pkg: DataPackage) -> str:
    lic = licence(pkg)
    lines = [
        f"# Generated by `{FIX_COMMAND}` from datapackage.json: edit the descriptor, then run `{FIX_COMMAND}`.",
        "cff-version: 1.2.0",
        'message: "If you use this data package, please cite it as below."',
        "type: dataset",
        f"title: {_yaml_str(pkg.title)}",
        f"version: {_yaml_str(pkg.version)}",
        f"date-released: {_yaml_str(release_date(pkg))}",
        f"license: {_yaml_str(lic['name'])}",
        "authors:",
        *[f"  - name: {_yaml_str(a)}" for a in _authors(pkg).split(" and ")],
        f"abstract: {_yaml_str(str(pkg.descriptor.get('description', '')))}",
        "keywords:",
        *[f"  - {_yaml_str(str(k))}" for k in pkg.descriptor.get("keywords", [])],
    ]
    return "\n".join(lines) + "\n"


def how_to_cite_markdown(pkg: DataPackage) -> str:
    year = release_date(pkg)[:4]
    key = f"{pkg.name}_{pkg.version.replace('.', '_')}"
    return "\n".join(
        [
            "Cite the version you used:",
            "",
            f"> {citation_text(pkg)}",
            "",
            "```bibtex",
            f"@misc{{{key},",
            f"  author = {{{{{_authors(pkg)}}}}},",
            f"  title = {{{{{pkg.title}}}}},",
            f"  year = {{{year}}},",
            f"  version = {{{pkg.version}}},",
            "  note = {Data set}",
            "}",
            "```",
            "",
            "`CITATION.cff` holds the same in the Citation File Format. Cite the original page too (`sources.url`) "
            "when you quote a statement or a figure.",
        ]
    )


def licence_markdown(pkg: DataPackage) -> str:
    return (
        f"Data (`data/`, `schemas/`, `validation/`, `datapackage.json`): **{licence_statement(pkg)}**; "
        "see `LICENSE-DATA.md`."
    )


# --------------------------------------------------------------------------- README markers


def marker(name: str, end: bool = False) -> str:
    return f"<!-- {'END' if end else 'BEGIN'} GENERATED: {name} -->"


def replace_section(text: str, name: str, content: str, where: str = README) -> str:
    begin, end = marker(name), marker(name, end=True)
    i, j = text.find(begin), text.find(end)
    if i < 0 or j < 0 or j < i:
        raise DocsError(
            f"{where} has no {begin} … {end} pair",
            f"add the two marker lines where the {name} section belongs, then run `{FIX_COMMAND}`",
            location=where,
        )
    return text[: i + len(begin)] + "\n" + content.strip("\n") + "\n" + text[j:]


# --------------------------------------------------------------------------- driver


def _write_atomic(path: Path, text: str) -> None:
    """Atomic, and the file keeps its permissions (see :func:`ruven.canonical.atomic_write_text`)."""
    from ruven.canonical import atomic_write_text

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)


def generate_docs(
    package: str | os.PathLike[str] | DataPackage | None = None,
    *,
    check: bool = False,
    cli_reference: str | None = None,
    charts: Iterable[tuple[str, str, str]] | None = None,
) -> DocsResult:
    """Regenerate (or, with ``check``, compare) every generated document of the package.

    ``cli_reference`` is the Markdown of the README's CLI reference (built by the CLI layer from
    click's help); ``charts`` is ``(title, image path, caption)`` per chart, for the README.
    """
    pkg = package if isinstance(package, DataPackage) else DataPackage.load(package)
    result = DocsResult(check=check)
    figures = datasheet_figures(pkg)
    result.figures = figures
    if charts is None:
        from ruven.charts import readme_entries

        charts = readme_entries()
    sections: dict[str, Callable[[], str]] = {
        "data-dictionary": lambda: data_dictionary_markdown(pkg),
        "charts": lambda: charts_markdown(charts),
        "how-to-cite": lambda: how_to_cite_markdown(pkg),
        "licence": lambda: licence_markdown(pkg),
    }
    if cli_reference is not None:
        sections["cli-reference"] = lambda: cli_reference
    targets: list[tuple[str, Callable[[str | None], str | None]]] = [
        (CODEBOOK, lambda old: codebook_markdown(pkg)),
        (DATASHEET, lambda old: datasheet_markdown(pkg, figures)),
        (CITATION, lambda old: citation_cff(pkg)),
    ]

    def readme(old: str | None) -> str | None:
        if old is None:
            return None
        text = old
        for name in README_SECTIONS:
            if name in sections:
                text = replace_section(text, name, sections[name]())
        return text

    targets.append((README, readme))
    for rel, make in targets:
        path = pkg.root / rel
        old = path.read_text(encoding="utf-8") if path.exists() else None
        new = make(old)
        if new is None:
            result.files.append(GeneratedFile(rel, "skipped", f"no {rel} in the package"))
        elif new == old:
            result.files.append(GeneratedFile(rel, "unchanged"))
        elif check:
            result.files.append(GeneratedFile(rel, "would-change", "missing" if old is None else "differs from what the package generates"))
        else:
            _write_atomic(path, new)
            result.files.append(GeneratedFile(rel, "written"))
    _charts_target(pkg, result, check)
    return result


def _charts_target(pkg: DataPackage, result: DocsResult, check: bool) -> None:
    """The committed chart images: redrawn (``ruven chart``) when the data behind them changed."""
    from ruven.charts import CHART_DATA_FILE, DEFAULT_OUT, chart_data_json, render_charts

    rel = f"{DEFAULT_OUT}/{CHART_DATA_FILE}"
    path = pkg.root / rel
    old = path.read_text(encoding="utf-8") if path.exists() else None
    if old == chart_data_json(pkg):
        result.files.append(GeneratedFile(rel, "unchanged"))
    elif check:
        result.files.append(GeneratedFile(rel, "would-change", "the charts' data changed: their images need redrawing"))
    else:
        render_charts(pkg, pkg.root / DEFAULT_OUT)
        result.files.append(GeneratedFile(rel, "written", "charts redrawn"))


def charts_markdown(charts: Iterable[tuple[str, str, str]]) -> str:
    out = []
    for title, image, caption in charts:
        out += [f"**{title}.** {caption}", "", f"![{title}]({image})", ""]
    out.append("The charts are drawn from the data by `ruven chart` (PNG and SVG in `docs/charts/`); `ruven docs` redraws them when the data changes.")
    return "\n".join(out)
