"""What the site shows, read from the one typed connection: every row of every table (withdrawn
ones included), each row's label and summary (the schemas' ``x-ruven.label`` / ``summary``
through :mod:`ruven.db.labels`), the page each id has, and who names whom (foreign keys and id
lists, both ways). Nothing here keeps a list of columns or labels of its own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ruven.db.labels import summary_sql, title_sql
from ruven.db.names import WITHDRAWN, all_table, ident
from ruven.package import DataPackage, Resource

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

__all__ = ["Reference", "SiteModel", "read_model"]

#: The reference table whose rows are the cited documents (one page lists them all).
SOURCES = "sources"


@dataclass(frozen=True)
class Reference:
    """Row ``row_id`` of ``table`` names the target in its field ``field``."""

    table: str
    field: str
    row_id: str


@dataclass
class SiteModel:
    pkg: DataPackage
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # table -> every row (typed), by id
    labels: dict[str, str] = field(default_factory=dict)  # id -> label
    summaries: dict[str, str] = field(default_factory=dict)  # id -> summary
    tables: dict[str, str] = field(default_factory=dict)  # id -> table name
    urls: dict[str, str] = field(default_factory=dict)  # id -> page, relative to the site root
    referenced_by: dict[str, list[Reference]] = field(default_factory=lambda: defaultdict(list))
    #: the pages' source entries, by (page depth, source anchors, source id): see ``Renderer.source_entry``
    entries: dict[tuple[str, bool, str], Any] = field(default_factory=dict)

    def row(self, row_id: str) -> dict[str, Any] | None:
        table = self.tables.get(row_id)
        if table is None:
            return None
        return self.by_id[table].get(row_id)

    @property
    def by_id(self) -> dict[str, dict[str, dict[str, Any]]]:
        if not hasattr(self, "_by_id"):
            self._by_id = {t: {str(r["id"]): r for r in rows if "id" in r} for t, rows in self.rows.items()}
        return self._by_id

    def live(self, table: str) -> list[dict[str, Any]]:
        return [r for r in self.rows.get(table, []) if not r.get(WITHDRAWN)]

    def withdrawn(self, table: str) -> list[dict[str, Any]]:
        return [r for r in self.rows.get(table, []) if r.get(WITHDRAWN)]

    @cached_property
    def fact_tables(self) -> list[Resource]:
        """Tables whose rows cite sources: each row gets a page of its own (the model is a
        snapshot of the package: worked out once, not on every page)."""
        return [r for r in self.pkg if r.source_field is not None]

    @cached_property
    def reference_tables(self) -> list[Resource]:
        return [r for r in self.pkg if r.source_field is None]

    @cached_property
    def table_order(self) -> dict[str, tuple[bool, int]]:
        """Each table's place in a list of tables: fact tables first, then the descriptor's order."""
        return {res.name: (res.source_field is None, i) for i, res in enumerate(self.pkg)}


def page_of(res: Resource, row_id: str) -> str:
    """The page of a row, relative to the site root: ``deployments/DEP-0013/``; a source is an
    entry of the sources page (``sources/#SRC-0001``)."""
    if res.name == SOURCES:
        return f"{SOURCES}/#{row_id}"
    return f"{res.name}/{row_id}/"


def read_model(pkg: DataPackage, con: duckdb.DuckDBPyConnection) -> SiteModel:
    """Every row, label, summary, page and reference of the package, from the typed connection."""
    model = SiteModel(pkg)
    for res in pkg:
        if "id" not in res.field_names:
            continue
        title, joins = title_sql(res, "t")
        summary = summary_sql(res, "t")
        order = " ORDER BY t.id"
        cur = con.execute(f"SELECT t.*, {title} AS __label, {summary} AS __summary FROM {ident(all_table(res))} t {' '.join(joins)}{order}")
        names = [d[0] for d in cur.description or []]
        rows = []
        for values in cur.fetchall():
            row = dict(zip(names, values, strict=True))
            label = row.pop("__label")
            summ = row.pop("__summary")
            rid = str(row["id"])
            model.labels[rid] = str(label or rid)
            model.summaries[rid] = str(summ or "")
            model.tables[rid] = res.name
            model.urls[rid] = page_of(res, rid)
            rows.append(row)
        model.rows[res.name] = rows
    for res in pkg:
        fks = {fk.field: fk.resource for fk in res.foreign_keys}
        for f in res.fields:
            if not (f.is_id_list or f.name in fks) or f.name == "id":
                continue
            for row in model.rows.get(res.name, []):
                value = row.get(f.name)
                for target in value if isinstance(value, list) else [value]:
                    if target is not None and str(target) in model.tables:
                        model.referenced_by[str(target)].append(Reference(res.name, f.name, str(row["id"])))
    return model
