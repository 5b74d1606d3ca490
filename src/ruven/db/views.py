"""The research views, kept as ``.sql`` files in ``ruven/db/sql/`` (package data).

Each ``<view>.sql`` starts with ``--`` header lines: ``description:``, ``column <name>:``
(a column comment), ``inherit:`` (relations whose column comments carry over), ``requires:``
(tables the view needs; it is left out of a package without them) and ``part:`` (a per-fact-table
template, ``<view>.part.sql``, whose copies, one per fact table, are joined by ``UNION ALL`` into
``${parts}``). ``${name}`` placeholders are filled from the package: ``${sources}`` and
``${sources_key}`` (the sources table and its key), ``${source_columns}``, and in a part
``${table}``, ``${table_name}``, ``${title}``, ``${summary}`` (from the schema's x-ruven label,
see :mod:`ruven.db.labels`), ``${joins}``, ``${date_text}``, ``${date_min}``, ``${date_max}``,
``${confidence}``. Views are created in the order their SQL needs (a view naming another comes after it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from string import Template

from ruven.db.labels import summary_sql, title_sql
from ruven.db.names import SOURCE_IDS, ident, literal
from ruven.db.types import column_names
from ruven.package import DataPackage, Resource

SQL_PACKAGE = "ruven.db"
SQL_FOLDER = "sql"


@dataclass
class View:
    name: str
    description: str
    sql: str
    columns: dict[str, str] = field(default_factory=dict)  # own column comments
    inherit: tuple[str, ...] = ()  # relations whose column comments carry over


@dataclass
class ViewFile:
    """A parsed ``<view>.sql`` file: its header and its SQL body (a template)."""

    name: str
    description: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    inherit: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    part: str = ""
    body: str = ""


def _folder() -> resources.abc.Traversable:
    return resources.files(SQL_PACKAGE).joinpath(SQL_FOLDER)


@cache
def view_files() -> tuple[ViewFile, ...]:
    """Every ``<view>.sql`` of the package data (``*.part.sql`` templates are read by their view)."""
    out = []
    for entry in sorted(_folder().iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".sql") and not entry.name.endswith(".part.sql"):
            out.append(parse(entry.name.removesuffix(".sql"), entry.read_text(encoding="utf-8")))
    return tuple(out)


@cache
def part_template(name: str) -> str:
    return _body(_folder().joinpath(name).read_text(encoding="utf-8"))


def _body(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("--")).strip()


def _names(value: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in value.split(",") if n.strip())


def parse(name: str, text: str) -> ViewFile:
    vf = ViewFile(name)
    for line in text.splitlines():
        if not line.startswith("-- "):
            continue
        key, _, value = line[3:].partition(":")
        value = value.strip()
        if key == "description":
            vf.description = value
        elif key.startswith("column "):
            vf.columns[key.removeprefix("column ").strip()] = value
        elif key == "inherit":
            vf.inherit = _names(value)
        elif key == "requires":
            vf.requires = _names(value)
        elif key == "part":
            vf.part = value
    vf.body = _body(text)
    return vf


def _reference_of(res: Resource, fname: str, default: str) -> str:
    try:
        refs = res.field(fname).list_references
    except KeyError:
        return default
    return refs[0] if refs else default


def _fact_values(res: Resource) -> dict[str, str]:
    """The placeholders of a per-fact-table template for ``res``."""
    partial = [f.name for f in res.fields if f.is_partial_date]
    dates = partial + [f.name for f in res.fields if f.type == "date" and not f.is_partial_date]
    mins = [f"t.{ident(d + '_min')}" if d in partial else f"t.{ident(d)}" for d in dates]
    maxs = [f"t.{ident(d + '_max')}" if d in partial else f"t.{ident(d)}" for d in dates]
    title, joins = title_sql(res, "t")
    return {
        "table": ident(res.name),
        "table_name": literal(res.name),
        "title": title,
        "summary": summary_sql(res, "t"),
        "joins": " ".join(joins),
        "date_text": f"t.{ident(dates[0])}" if dates else "NULL",
        "date_min": f"least({', '.join(mins)})" if mins else "NULL::DATE",
        "date_max": f"greatest({', '.join(maxs)})" if maxs else "NULL::DATE",
        "confidence": "t.confidence" if "confidence" in res.field_names else "NULL",
    }


def _order(found: list[View]) -> list[View]:
    """Views in an order where every view comes after the views its SQL names."""
    names = {v.name for v in found}
    deps = {
        v.name: {n for n in names - {v.name} if n in v.inherit or re.search(rf"\b{re.escape(n)}\b", v.sql)} for v in found
    }
    out: list[View] = []
    done: set[str] = set()
    while len(out) < len(found):
        ready = [v for v in found if v.name not in done and deps[v.name] <= done]
        if not ready:  # a cycle: keep the files' order for the rest (DuckDB reports the error)
            ready = [v for v in found if v.name not in done]
        for v in ready:
            out.append(v)
            done.add(v.name)
    return out


def views(pkg: DataPackage) -> list[View]:
    """The research views of ``pkg``, from the ``.sql`` files and the package's fact tables."""
    facts = pkg.fact_tables
    if not facts:
        return []
    sources = pkg.resource(_reference_of(facts[0], SOURCE_IDS, "sources"))
    src_fields = [n for n in column_names(sources) if n not in sources.primary_key]
    common = {
        "sources": ident(sources.name),
        "sources_key": ident(sources.primary_key[0] if sources.primary_key else "id"),
        "source_columns": ", ".join(f"s.{ident(n)} AS {ident('source_' + n)}" for n in src_fields),
    }
    have = set(pkg.resources)
    out = []
    for vf in view_files():
        if not set(vf.requires) <= have:
            continue
        values = dict(common)
        columns = dict(vf.columns)
        if vf.part:
            template = Template(part_template(vf.part))
            values["parts"] = " UNION ALL ".join(template.substitute(common | _fact_values(r)) for r in facts)
        if "${source_columns}" in vf.body:
            columns |= {f"source_{n}": f"`sources.{n}` of the cited source." for n in src_fields}
        out.append(View(vf.name, vf.description, Template(vf.body).substitute(values), columns, vf.inherit))
    return _order(out)
