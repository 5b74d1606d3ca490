"""The pages of the site: what each page holds, computed from the :class:`SiteModel`, and the
Jinja2 templates (``templates/*.html.j2``) that lay it out.

Every field shows with its title from the schema, an enumerated value with its meaning
(``x-ruven.values``), a partial date in words, a low/best/high triple (``x-ruven.range``) as one
range, a foreign key or an id list as links to the pages of the rows it names. Links inside the
site are relative, so the site works under any path (``https://owner.github.io/ruven/``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from ruven.db.names import WITHDRAWN
from ruven.package import Field, Resource
from ruven.site.model import SOURCES, SiteModel
from ruven.site.values import (
    EMPTY,
    date_words,
    enum_html,
    external_link,
    link_ids,
    number,
    paragraphs,
    plain_text,
    range_text,
)
from ruven.urls import is_link

if TYPE_CHECKING:  # pragma: no cover
    import jinja2

#: A field whose pattern is exactly one of these holds an ISO code; its name is shown beside it.
LANGUAGE_PATTERN = "^[a-z]{2}$"
COUNTRY_PATTERN = "^[A-Z]{2}$"


@cache
def _env() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("ruven.site", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def render(name: str, **context: Any) -> str:
    return _env().get_template(name).render(**context)


# --------------------------------------------------------------------------- one value


def _code_name(f: Field, value: str) -> str:
    from ruven.docs.figures import country_name, language_name

    pattern = f.constraints.get("pattern", "")
    if pattern == LANGUAGE_PATTERN:
        name = language_name(value)
    elif pattern == COUNTRY_PATTERN:
        name = country_name(value)
    else:
        return ""
    return name if name != value else ""


def _range_members(res: Resource) -> tuple[dict[str, dict[str, str]], set[str]]:
    """best field -> its low/best/high members; the low and high fields shown inside it."""
    ranges = {f.name: f.range_members for f in res.fields if f.range_members}
    inside = {n for members in ranges.values() for k, n in members.items() if k != "best"}
    return ranges, inside


class Renderer:
    """Turns typed values into HTML for a page at ``root`` (the relative path to the site root)."""

    def __init__(self, model: SiteModel, root: str, *, source_anchors: bool = False) -> None:
        self.model = model
        self.root = root
        self.source_anchors = source_anchors  # source ids point at the sources listed on this page

    def row_link(self, row_id: str, *, with_label: bool = True) -> Markup:
        url = self.model.urls.get(row_id)
        if url is None:
            return escape(row_id)
        label = self.model.labels.get(row_id, "")
        if with_label and label and label != row_id:
            return Markup('<a href="{}"><span class="id">{}</span> <span class="label">{}</span></a>').format(self.root + url, row_id, label)
        return Markup('<a class="id" href="{}">{}</a>').format(self.root + url, row_id)

    def source_link(self, row_id: str) -> Markup:
        if self.source_anchors:
            return Markup('<a href="#{}">{}</a>').format(row_id, row_id)
        return self.row_link(row_id, with_label=False)

    def value(self, res: Resource, f: Field, row: dict[str, Any], *, meanings: bool = True) -> Markup:
        v = row.get(f.name)
        if v is None or v == "" or v == []:
            return Markup('<span class="empty">{}</span>').format(EMPTY)
        fks = {fk.field: fk.resource for fk in res.foreign_keys}
        if f.is_id_list:
            if SOURCES in f.list_references:  # ids only, in a row: the sources are listed in full below
                return Markup('<ul class="ids inline">{}</ul>').format(Markup("").join(Markup("<li>{}</li>").format(self.source_link(str(i))) for i in v))
            links = [self.row_link(str(i)) for i in v]
            return Markup('<ul class="ids">{}</ul>').format(Markup("").join(Markup("<li>{}</li>").format(x) for x in links))
        if f.name in fks and f.name != "id":
            return self.row_link(str(v))
        if f.enum:
            return enum_html(f, str(v)) if meanings else Markup('<span class="code">{}</span>').format(v)
        if f.is_partial_date:
            return Markup('{} <span class="raw">({})</span>').format(date_words(str(v)), v)
        if isinstance(v, bool):
            return escape("yes" if v else "no")
        if isinstance(v, int | float):
            return escape(number(v))
        if isinstance(v, dt.date):
            return escape(plain_text(v))
        text = str(v)
        if is_link(text):
            return external_link(text)
        name = _code_name(f, text)
        if name:
            return Markup('<span class="code">{}</span> {}').format(text, name)
        if f.name == WITHDRAWN:
            return link_ids(text, self.model.urls, self.root)
        return paragraphs(text)

    def fields(self, res: Resource, row: dict[str, Any]) -> list[dict[str, Any]]:
        """Every field of ``row`` with its title, description and value (a range shown once, on its best field)."""
        ranges, inside = _range_members(res)
        out = []
        for f in res.fields:
            if f.name in inside:
                continue
            if f.name in ranges:
                members = ranges[f.name]
                vals = {k: row.get(n) for k, n in members.items()}
                text = range_text(vals.get("low"), vals.get("best"), vals.get("high"))
                parts = [f"{res.field(n).title}: {number(row.get(n)) if row.get(n) is not None else EMPTY}" for n in members.values()]
                if not text:  # nothing recorded: the fields' titles alone
                    parts = [" / ".join(res.field(n).title for n in members.values())]
                shown = Markup("{}").format(text) if text else Markup('<span class="empty">{}</span>').format(EMPTY)
                html = Markup('{} <span class="raw">({})</span>').format(shown, "; ".join(parts))
                out.append({"name": f.name, "title": f.title, "description": f.description, "html": html, "members": ""})
                continue
            out.append({"name": f.name, "title": f.title, "description": f.description, "html": self.value(res, f, row), "members": ""})
        return out

    def referenced_by(self, row_id: str) -> list[dict[str, Any]]:
        """The rows naming ``row_id``, grouped by table and field: statements about it, agreements
        related to it, rows that overlap it, rows naming an actor."""
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        for ref in self.model.referenced_by.get(row_id, []):
            groups[(ref.table, ref.field)].append(ref.row_id)
        order = self.model.table_order  # fact tables first
        out = []
        for (table, field_name), ids in sorted(groups.items(), key=lambda kv: order.get(kv[0][0], (True, 0))):
            res = self.model.pkg.resources[table]
            f = res.field(field_name)
            out.append(
                {
                    "heading": f"{res.title} naming this row in “{f.title}”",
                    "table": table,
                    "field": field_name,
                    "items": [self.row_link(i) for i in ids],
                    "withdrawn": [i for i in ids if (self.model.row(i) or {}).get(WITHDRAWN)],
                }
            )
        return out

    def source_entry(self, source_id: str) -> dict[str, Any] | None:
        """A source as a list entry: its title linking to its URL, then every other field (made
        once per source and page depth: the row pages of one table cite the same sources)."""
        key = (self.root, self.source_anchors, source_id)
        if key not in self.model.entries:
            self.model.entries[key] = self._source_entry(source_id)
        entry = self.model.entries[key]
        return None if entry is None else dict(entry)

    def _source_entry(self, source_id: str) -> dict[str, Any] | None:
        res = self.model.pkg.resources.get(SOURCES)
        row = self.model.row(source_id)
        if res is None or row is None:
            return None
        link_field = next((f for f in res.fields if isinstance(row.get(f.name), str) and is_link(str(row[f.name]))), None)
        heading_text = self.model.labels.get(source_id, source_id)
        heading = external_link(str(row[link_field.name]), heading_text) if link_field is not None else escape(heading_text)
        shown = {"id", *res.label_fields, link_field.name if link_field is not None else ""}
        details = [{"title": f.title, "html": self.value(res, f, row, meanings=False)} for f in res.fields if f.name not in shown and row.get(f.name) not in (None, "")]
        return {"id": source_id, "heading": heading, "details": details, "url": str(row[link_field.name]) if link_field else ""}


# --------------------------------------------------------------------------- citing a row


def bibtex_escape(text: str) -> str:
    return re.sub(r"([&%$#_{}])", r"\\\1", text).replace("~", r"\textasciitilde{}").replace("^", r"\textasciicircum{}")


@dataclass
class Cite:
    text: str
    bibtex: str
    permalink: str


def cite_row(model: SiteModel, row_id: str, permalink: str, year: str, authors: str) -> Cite:
    pkg = model.pkg
    label = model.labels.get(row_id, row_id)
    version = pkg.version
    text = f"{authors} ({year}). “{label}” ({row_id}). In {pkg.title}, version {version} [Data set]. {permalink}"
    key = re.sub(r"[^A-Za-z0-9_]+", "_", f"{pkg.name}_{row_id}_{version}")
    bib = "\n".join(
        [
            f"@misc{{{key},",
            f"  author = {{{{{bibtex_escape(authors)}}}}},",
            f"  title = {{{{{bibtex_escape(row_id)}: {bibtex_escape(label)}}}}},",
            f"  year = {{{year}}},",
            f"  howpublished = {{\\url{{{permalink}}}}},",
            f"  note = {{{bibtex_escape(pkg.title)}, data version {version}}},",
            f"  version = {{{version}}}",
            "}",
        ]
    )
    return Cite(text, bib, permalink)


# --------------------------------------------------------------------------- tables


def table_columns(res: Resource) -> list[dict[str, Any]]:
    """The columns of a table page, from the schema: the id, the label, every partial date, every
    low/best/high range, every enumerated field, and the number of sources."""
    cols: list[dict[str, Any]] = [{"key": "id", "title": res.field("id").title, "kind": "id"}, {"key": "__label", "title": "Row", "kind": "label"}]
    cols += [{"key": f.name, "title": f.title, "kind": "date", "field": f} for f in res.fields if f.is_partial_date]
    cols += [{"key": f.name, "title": f.title, "kind": "range", "field": f} for f in res.fields if f.range_members]
    cols += [{"key": f.name, "title": f.title, "kind": "enum", "field": f} for f in res.fields if f.enum]
    sf = res.source_field
    if sf is not None:
        cols.append({"key": sf.name, "title": sf.title, "kind": "count", "field": sf})
    return cols


def table_cell(model: SiteModel, res: Resource, col: dict[str, Any], row: dict[str, Any], root: str) -> dict[str, Any]:
    """``{"html", "sort"}`` of one cell of a table page (``sort``: the key the script sorts by)."""
    kind = col["kind"]
    rid = str(row["id"])
    if kind == "id":
        return {"html": Markup('<a href="{}">{}</a>').format(root + model.urls[rid], rid), "sort": rid}
    if kind == "label":
        return {"html": escape(model.labels.get(rid, "")), "sort": model.labels.get(rid, "").lower()}
    v = row.get(col["key"])
    if kind == "date":
        low = row.get(f"{col['key']}_min")
        return {"html": escape(date_words(str(v)) if v else ""), "sort": low.isoformat() if isinstance(low, dt.date) else ""}
    if kind == "range":
        members = col["field"].range_members
        vals = {k: row.get(n) for k, n in members.items()}
        best = next((vals[k] for k in ("best", "low", "high") if vals.get(k) is not None), None)
        return {"html": escape(range_text(vals.get("low"), vals.get("best"), vals.get("high"), short=True)), "sort": "" if best is None else f"{float(best):020.2f}", "num": True}
    if kind == "enum":
        return {"html": escape(v or ""), "sort": str(v or "")}
    if kind == "count":
        n = len(v or [])
        return {"html": escape(str(n)), "sort": f"{n:06d}", "num": True}
    return {"html": escape(plain_text(v)), "sort": plain_text(v)}
