"""The data behind each chart, as plain rows, read from the typed connection (:mod:`ruven.db`).

Every data function reads the live rows of the connection: values are typed, a row's year is
the first of its partial dates' ``_min`` bounds, and only rows the table's totals flag
(``x-ruven.kind: totals-flag``, a BOOLEAN column) marks true are counted.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ruven.db.names import ident
from ruven.package import DataPackage, Resource

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

EVENTS_PER_TABLE = 2


@contextmanager
def open_connection(package: DataPackage, con: duckdb.DuckDBPyConnection | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """``con``, or a typed connection opened (and closed) for the call."""
    if con is not None:
        yield con
        return
    from ruven.db import connect

    own = connect(package)
    try:
        yield own
    finally:
        own.close()


def live_records(con: duckdb.DuckDBPyConnection, res: Resource) -> list[dict[str, Any]]:
    """The live rows of ``res`` (its ``<name>`` view) as dicts of typed values."""
    cur = con.cursor()
    try:
        cur.execute(f"SELECT * FROM {ident(res.name)}")
        cols = [d[0] for d in cur.description or []]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    finally:
        cur.close()


def counted(res: Resource, row: dict[str, Any]) -> bool:
    """Whether ``row`` is counted in totals: its totals flag is true (always, without a flag)."""
    flag = res.totals_flag
    return flag is None or row.get(flag.name) is True


def row_year(res: Resource, row: dict[str, Any]) -> int | None:
    """Year of a fact row: the first day of its first partial date that holds a real date."""
    for f in res.fields:
        if f.is_partial_date:
            lo = row.get(f"{f.name}_min")
            if isinstance(lo, dt.date):
                return lo.year
    return None


def _magnitude_field(res: Resource) -> str | None:
    """The field that says how big a row is: a ``*_best`` number, money first."""
    best = [f.name for f in res.fields if f.name.endswith("_best") and f.type in ("integer", "number")]
    money = [n for n in best if "usd" in n]
    return (money or best or [None])[0]


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _text(row: dict[str, Any], name: str) -> str:
    value = row.get(name)
    return "" if value is None else str(value)


def timeline_rows(
    package: DataPackage | str | os.PathLike[str] | None = None, con: duckdb.DuckDBPyConnection | None = None
) -> list[dict[str, Any]]:
    """Live rows per year and fact table, only those counted in totals (``count_in_totals``, where
    a table has it): ``{"year", "table", "rows"}``, sorted by year then table order."""
    pkg = load_package(package)
    out = []
    with open_connection(pkg, con) as c:
        for res in pkg.fact_tables:
            years = (row_year(res, r) for r in live_records(c, res) if counted(res, r))
            counts = Counter(y for y in years if y is not None)
            out += [{"year": y, "table": res.name, "rows": n} for y, n in counts.items()]
    order = {r.name: i for i, r in enumerate(pkg.fact_tables)}
    return sorted(out, key=lambda r: (r["year"], order[r["table"]]))


def _actor_names(con: duckdb.DuckDBPyConnection, pkg: DataPackage) -> dict[str, str]:
    actors = pkg.resources.get("actors")
    if actors is None:
        return {}
    return {_text(r, "id"): _text(r, "name") for r in live_records(con, actors)}


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _money(v: float) -> str:
    if v >= 1e9:
        return f"${v / 1e9:.1f}bn"
    if v >= 1e6:
        return f"${v / 1e6:.0f}m"
    return f"${v:,.0f}"


def _event_label(res: Resource, row: dict[str, Any], mag_field: str | None, actors: dict[str, str]) -> str:
    names = res.field_names
    parts = []
    if "designation" in names and row.get("designation"):
        parts.append(_text(row, "designation"))
    if "title" in names and row.get("title"):
        parts.append(shorten(_text(row, "title"), 60))
    if "project" in names and row.get("project"):
        parts.append(shorten(_text(row, "project"), 40))
    v = _number(row.get(mag_field)) if mag_field else None
    if mag_field and v is not None:
        if "usd" in mag_field:
            parts.append(_money(v))
        else:
            parts.append(f"{v:,.0f} {mag_field.removesuffix('_best').replace('_', ' ')}")
    if "assets" in names and row.get("assets"):
        parts.append(shorten(_text(row, "assets"), 40))
    for fk in res.foreign_keys:
        if fk.resource == "actors" and not parts and actors.get(_text(row, fk.field)):
            who = actors[_text(row, fk.field)]
            quote = _text(row, "quote_en") or _text(row, "quote")
            parts.append(f"{who}: “{shorten(quote, 50)}”" if quote else who)
    if not parts:
        parts.append(shorten(_text(row, "summary") or _text(row, "id"), 60))
    return ", ".join(parts)


def key_events(
    package: DataPackage | str | os.PathLike[str] | None = None,
    per_table: int = EVENTS_PER_TABLE,
    con: duckdb.DuckDBPyConnection | None = None,
) -> list[dict[str, Any]]:
    """Events to annotate, chosen from the data. Per fact table: the live row with the largest
    ``*_best`` figure (money first), then the rows with the most sources; rows whose class is
    not counted in totals (``count_in_totals`` false: aggregates, plans, the other half of a deal)
    are not events. ``{"table", "id", "date",
    "year", "label", "magnitude", "sources", "reason"}``, sorted by date."""
    pkg = load_package(package)
    out = []
    with open_connection(pkg, con) as c:
        actors = _actor_names(c, pkg)
        for res in pkg.fact_tables:
            out += _events(res, live_records(c, res), actors, per_table)
    return sorted(out, key=lambda e: (e["date"], e["id"]))


def _events(res: Resource, rows: list[dict[str, Any]], actors: dict[str, str], per_table: int) -> list[dict[str, Any]]:
    mag = _magnitude_field(res)
    sf = next((f for f in res.fields if f.is_id_list and "sources" in f.list_references), None)
    date_field = next((f.name for f in res.fields if f.is_partial_date), None)
    cands = []
    for r in rows:
        year = row_year(res, r)
        if year is None or not counted(res, r):
            continue
        m = _number(r.get(mag)) if mag else None
        n_src = len(r.get(sf.name) or []) if sf else 0
        cands.append({"row": r, "year": year, "m": m, "n": n_src, "id": _text(r, "id")})
    chosen: list[tuple[dict[str, Any], str]] = []
    by_figure = sorted((c for c in cands if c["m"] is not None), key=lambda c: (-c["m"], -c["n"], c["id"]))
    if by_figure and mag:
        chosen.append((by_figure[0], f"largest {res.field(mag).title.lower()}"))
    by_sources = sorted(cands, key=lambda c: (-c["n"], -(c["m"] or 0.0), c["id"]))
    for c in by_sources:
        if len(chosen) >= per_table:
            break
        if all(c is not x for x, _ in chosen):
            chosen.append((c, "most sources"))
    out = []
    for c, reason in chosen[:per_table]:
        r = c["row"]
        out.append(
            {
                "table": res.name,
                "id": c["id"],
                "date": _text(r, date_field) if date_field else "",
                "year": c["year"],
                "label": _event_label(res, r, mag, actors),
                "magnitude": c["m"],
                "sources": c["n"],
                "reason": reason,
            }
        )
    return out


def arms_rows(
    package: DataPackage | str | os.PathLike[str] | None = None, con: duckdb.DuckDBPyConnection | None = None
) -> list[dict[str, Any]]:
    """Arms orders per order year and category: ``{"year", "category", "orders", "quantity"}``.

    ``orders`` counts live rows counted in totals (one deal for one designation; aggregates,
    requests and the delivery half of a deal are left out); ``quantity`` sums
    ``quantity_ordered_best`` where given. The year is the first year the order date covers;
    rows without an order date are counted under ``year`` ``None``.
    """
    pkg = load_package(package)
    res = pkg.resources.get("arms_purchases")
    if res is None:
        return []
    date_field = next((f.name for f in res.fields if f.is_partial_date), None)
    counts: Counter[tuple[int | None, str]] = Counter()
    qty: Counter[tuple[int | None, str]] = Counter()
    with open_connection(pkg, con) as c:
        rows = live_records(c, res)
    for r in rows:
        if not counted(res, r):
            continue
        lo = r.get(f"{date_field}_min") if date_field else None
        key = (lo.year if isinstance(lo, dt.date) else None, _text(r, "category"))
        counts[key] += 1
        qty[key] += int(_number(r.get("quantity_ordered_best")) or 0)
    cat_order = {c: i for i, c in enumerate(res.field("category").enum or [])} if "category" in res.field_names else {}
    out = [{"year": y, "category": c, "orders": n, "quantity": qty[(y, c)]} for (y, c), n in counts.items()]
    return sorted(out, key=lambda r: (r["year"] is None, r["year"] or 0, cat_order.get(r["category"], 99), r["category"]))



def load_package(package: DataPackage | str | os.PathLike[str] | None) -> DataPackage:
    return package if isinstance(package, DataPackage) else DataPackage.load(package)
