"""Charts of the package: the data behind each chart as plain rows, and deterministic rendering.

Each chart has a data function that returns plain rows (lists of dicts) computed from the
package, and a draw function that turns those rows into a matplotlib figure. Rendering uses
the Agg backend, a bundled font, text drawn as paths, a fixed SVG hash salt and no dates in
the files' metadata, so the same data gives byte-identical PNG and SVG files. matplotlib is
imported only inside the functions that draw.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ruven.errors import RuvenError
from ruven.package import DataPackage, Resource
from ruven.rows import live_rows, row_year, source_field, split_ids

FORMATS = ("png", "svg")
DEFAULT_OUT = "docs/charts"
#: The aggregated rows behind every chart, written beside the images: `ruven docs --check`
#: compares it with the data to tell when the committed images are out of date.
CHART_DATA_FILE = "charts.json"
EVENTS_PER_TABLE = 2
#: One colour per fact table, in the descriptor's order (colour-blind-safe Okabe–Ito palette).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
RC = {
    "svg.hashsalt": "ruven",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100,
    "savefig.dpi": 150,
}
METADATA = {"png": {"Software": "ruven chart"}, "svg": {"Creator": "ruven chart", "Date": None}}


class ChartError(RuvenError):
    code = "chart-error"


@dataclass
class ChartFile:
    chart: str
    path: str
    format: str
    bytes: int


@dataclass
class ChartResult:
    out_dir: str
    files: list[ChartFile] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": True, "out_dir": self.out_dir, "files": [asdict(f) for f in self.files], "data": self.data}


# --------------------------------------------------------------------------- chart data


def _magnitude_field(res: Resource) -> str | None:
    """The field that says how big a row is: a ``*_best`` number, money first."""
    best = [f.name for f in res.fields if f.name.endswith("_best") and f.type in ("integer", "number")]
    money = [n for n in best if "usd" in n]
    return (money or best or [None])[0]


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def timeline_rows(package: DataPackage | str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """Live rows per year and fact table, only those counted in totals (``count_in_totals``, where
    a table has it): ``{"year", "table", "rows"}``, sorted by year then table order."""
    pkg = _load(package)
    out = []
    for res in pkg.fact_tables:
        counts = Counter(y for y in (row_year(res, r) for r in live_rows(res) if res.in_totals(r)) if y is not None)
        out += [{"year": y, "table": res.name, "rows": n} for y, n in counts.items()]
    order = {r.name: i for i, r in enumerate(pkg.fact_tables)}
    return sorted(out, key=lambda r: (r["year"], order[r["table"]]))


def _actor_names(pkg: DataPackage) -> dict[str, str]:
    actors = pkg.resources.get("actors")
    if actors is None or not actors.path.exists():
        return {}
    return {r.get("id", ""): r.get("name", "") for r in actors.read_rows()}


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _money(v: float) -> str:
    if v >= 1e9:
        return f"${v / 1e9:.1f}bn"
    if v >= 1e6:
        return f"${v / 1e6:.0f}m"
    return f"${v:,.0f}"


def _event_label(res: Resource, row: dict[str, str], mag_field: str | None, actors: dict[str, str]) -> str:
    names = res.field_names
    parts = []
    if "designation" in names and row.get("designation"):
        parts.append(row["designation"])
    if "title" in names and row.get("title"):
        parts.append(_short(row["title"], 60))
    if "project" in names and row.get("project"):
        parts.append(_short(row["project"], 40))
    if mag_field and _number(row.get(mag_field)) is not None:
        v = _number(row.get(mag_field)) or 0.0
        if "usd" in mag_field:
            parts.append(_money(v))
        else:
            parts.append(f"{v:,.0f} {mag_field.removesuffix('_best').replace('_', ' ')}")
    if "assets" in names and row.get("assets"):
        parts.append(_short(row["assets"], 40))
    for fk in res.foreign_keys:
        if fk.resource == "actors" and not parts and actors.get(row.get(fk.field, "")):
            who = actors[row[fk.field]]
            quote = row.get("quote_en") or row.get("quote") or ""
            parts.append(f"{who}: “{_short(quote, 50)}”" if quote else who)
    if not parts:
        parts.append(_short(row.get("summary", "") or row.get("id", ""), 60))
    return ", ".join(parts)


def key_events(package: DataPackage | str | os.PathLike[str] | None = None, per_table: int = EVENTS_PER_TABLE) -> list[dict[str, Any]]:
    """Events to annotate, chosen from the data. Per fact table: the live row with the largest
    ``*_best`` figure (money first), then the rows with the most sources; rows whose class is
    not counted in totals (``count_in_totals`` false: aggregates, plans, the other half of a deal)
    are not events. ``{"table", "id", "date",
    "year", "label", "magnitude", "sources", "reason"}``, sorted by date."""
    pkg = _load(package)
    actors = _actor_names(pkg)
    out = []
    for res in pkg.fact_tables:
        mag = _magnitude_field(res)
        sf = source_field(res)
        date_field = next((f.name for f in res.fields if f.is_partial_date), None)
        cands = []
        for r in live_rows(res):
            year = row_year(res, r)
            if year is None or not res.in_totals(r):
                continue
            m = _number(r.get(mag)) if mag else None
            n_src = len(split_ids(sf, r.get(sf.name))) if sf else 0
            cands.append({"row": r, "year": year, "m": m, "n": n_src, "id": r.get("id", "")})
        chosen: list[tuple[dict[str, Any], str]] = []
        by_figure = sorted((c for c in cands if c["m"] is not None), key=lambda c: (-c["m"], -c["n"], c["id"]))
        if by_figure:
            chosen.append((by_figure[0], f"largest {res.field(mag).title.lower()}"))
        by_sources = sorted(cands, key=lambda c: (-c["n"], -(c["m"] or 0.0), c["id"]))
        for c in by_sources:
            if len(chosen) >= per_table:
                break
            if all(c is not x for x, _ in chosen):
                chosen.append((c, "most sources"))
        for c, reason in chosen[:per_table]:
            r = c["row"]
            out.append(
                {
                    "table": res.name,
                    "id": c["id"],
                    "date": r.get(date_field or "", ""),
                    "year": c["year"],
                    "label": _event_label(res, r, mag, actors),
                    "magnitude": c["m"],
                    "sources": c["n"],
                    "reason": reason,
                }
            )
    return sorted(out, key=lambda e: (e["date"], e["id"]))


def arms_rows(package: DataPackage | str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """Arms orders per order year and category: ``{"year", "category", "orders", "quantity"}``.

    ``orders`` counts live rows counted in totals (one deal for one designation; aggregates,
    requests and the delivery half of a deal are left out); ``quantity`` sums
    ``quantity_ordered_best`` where given. Rows without an order date are counted under
    ``year`` ``None``.
    """
    pkg = _load(package)
    res = pkg.resources.get("arms_purchases")
    if res is None:
        return []
    date_field = next((f.name for f in res.fields if f.is_partial_date), None)
    counts: Counter[tuple[int | None, str]] = Counter()
    qty: Counter[tuple[int | None, str]] = Counter()
    from ruven.package import date_bounds

    for r in live_rows(res):
        if not res.in_totals(r):
            continue
        b = date_bounds(r.get(date_field or "", "")) if date_field else None
        key = (int(b[0][:4]) if b else None, r.get("category", ""))
        counts[key] += 1
        qty[key] += int(_number(r.get("quantity_ordered_best")) or 0)
    cat_order = {c: i for i, c in enumerate(res.field("category").enum or [])} if "category" in res.field_names else {}
    rows = [{"year": y, "category": c, "orders": n, "quantity": qty[(y, c)]} for (y, c), n in counts.items()]
    return sorted(rows, key=lambda r: (r["year"] is None, r["year"] or 0, cat_order.get(r["category"], 99), r["category"]))


# --------------------------------------------------------------------------- drawing


def _empty(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#666666")
    ax.set_xticks([])
    ax.set_yticks([])


def draw_timeline(pkg: DataPackage, rows: list[dict[str, Any]], events: list[dict[str, Any]]) -> Any:
    from matplotlib.figure import Figure

    tables = pkg.fact_tables
    years = [r["year"] for r in rows]
    fig = Figure(figsize=(12, 2.0 + 1.45 * len(tables) + 0.26 * len(events)))
    n_list = max(len(events), 1)
    gs = fig.add_gridspec(len(tables) + 1, 1, height_ratios=[1.45] * len(tables) + [0.2 + 0.26 * n_list], hspace=0.35)
    fig.suptitle(f"{pkg.title}: rows per year", x=0.01, ha="left", fontsize=13, fontweight="bold")
    axes = [fig.add_subplot(gs[i, 0]) for i in range(len(tables))]
    lo, hi = (min(years), max(years)) if years else (0, 0)
    numbers = {(e["table"], e["id"]): i for i, e in enumerate(events, start=1)}
    for i, (ax, res) in enumerate(zip(axes, tables, strict=True)):
        color = PALETTE[i % len(PALETTE)]
        mine = {r["year"]: r["rows"] for r in rows if r["table"] == res.name}
        total = sum(mine.values())
        counted = f"{total} dated rows\nin totals" if res.totals_flag else f"{total} dated rows"
        ax.set_ylabel(f"{res.title}\n({counted})", rotation=0, ha="right", va="center", fontsize=10)
        if not years:
            _empty(ax, "no dated rows yet")
            continue
        xs = list(range(lo, hi + 1))
        ax.bar(xs, [mine.get(x, 0) for x in xs], color=color, width=0.8)
        top = max(mine.values(), default=0)
        ax.set_ylim(0, max(top * 1.45, 1.5))
        ax.set_xlim(lo - 0.6, hi + 0.6)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.set_xticks(xs)
        ax.tick_params(axis="x", labelbottom=(res is tables[-1]), labelsize=9, rotation=90 if len(xs) > 30 else 0)
        stacked: Counter[int] = Counter()
        for e in events:
            if e["table"] != res.name:
                continue
            y = mine.get(e["year"], 0) + top * 0.08 + stacked[e["year"]] * top * 0.22
            stacked[e["year"]] += 1
            ax.annotate(
                str(numbers[(e["table"], e["id"])]), (e["year"], y), ha="center", va="bottom", fontsize=8, fontweight="bold",
                color="white", bbox={"boxstyle": "circle,pad=0.25", "fc": "#222222", "ec": "none"},
            )
    legend_ax = fig.add_subplot(gs[len(tables), 0])
    legend_ax.axis("off")
    if events:
        legend_ax.text(0, 1, "Key events, chosen from the data (per table: the largest figure and the most-cited row; rows not counted in totals excluded):", fontsize=9.5, fontweight="bold", va="top", transform=legend_ax.transAxes)
        step = 1.0 / (n_list + 1)
        for i, e in enumerate(events, start=1):
            table = pkg.resources[e["table"]].title
            line = _short(f"{i}.  {e['date']}  {table} {e['id']}: {e['label']}", 120) + f"  [{e['reason']}; {e['sources']} sources]"
            legend_ax.text(0, 1 - step * i, line, fontsize=9, va="top", transform=legend_ax.transAxes)
    fig.subplots_adjust(left=0.13, right=0.99, top=0.93, bottom=0.03)
    return fig


def draw_arms(pkg: DataPackage, rows: list[dict[str, Any]]) -> Any:
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    res = pkg.resources.get("arms_purchases")
    categories = list(res.field("category").enum or []) if res is not None and "category" in res.field_names else []
    present = [c for c in categories if any(r["category"] == c for r in rows)] + sorted({r["category"] for r in rows} - set(categories))
    dated = [r for r in rows if r["year"] is not None]
    undated = sum(r["orders"] for r in rows if r["year"] is None)
    fig = Figure(figsize=(12, 5.5))
    ax = fig.add_subplot(1, 1, 1)
    title = res.title if res is not None else "Arms purchases"
    fig.suptitle(f"{title}: orders per year and category", x=0.01, ha="left", fontsize=13, fontweight="bold")
    if not dated:
        _empty(ax, "no dated orders yet")
    else:
        years = list(range(min(r["year"] for r in dated), max(r["year"] for r in dated) + 1))
        cmap = colormaps["tab10"]
        bottom = [0] * len(years)
        for i, c in enumerate(present):
            idx = categories.index(c) if c in categories else len(categories) + i
            color = cmap(idx if idx != 7 else 0) if idx < 10 else "#9a9a9a"
            color = "#393b79" if idx == 7 else color  # tab10's own grey is kept for `other`
            vals = [sum(r["orders"] for r in dated if r["year"] == y and r["category"] == c) for y in years]
            ax.bar(years, vals, bottom=bottom, width=0.8, label=c, color=color, edgecolor="white", linewidth=0.5)
            bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
        ax.set_xticks(years)
        ax.tick_params(axis="x", labelsize=9, rotation=90 if len(years) > 30 else 0)
        ax.set_xlim(years[0] - 0.6, years[-1] + 0.6)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_ylim(0, max(bottom) * 1.1 + 0.5)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.set_ylabel("orders (rows counted in totals)")
        ax.set_xlabel("year of order")
        ax.legend(title="category", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)
    if undated:
        ax.text(0, -0.16, f"{undated} order(s) without an order date are not shown.", transform=ax.transAxes, fontsize=9, color="#444444")
    fig.subplots_adjust(left=0.07, right=0.76, top=0.9, bottom=0.17)
    return fig


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    caption: str
    data: Callable[[DataPackage], dict[str, Any]]
    draw: Callable[[DataPackage, dict[str, Any]], Any]


CHARTS: tuple[Chart, ...] = (
    Chart(
        "timeline",
        "Timeline of the fact tables",
        "Live dated rows per year in each fact table; the numbered key events are picked from the data: per table, the row with the largest figure and the most-cited row. Only rows counted in totals (`count_in_totals`) are drawn, so an aggregate, a plan or the second half of a deal does not count twice.",
        lambda pkg: {"rows": timeline_rows(pkg), "events": key_events(pkg)},
        lambda pkg, d: draw_timeline(pkg, d["rows"], d["events"]),
    ),
    Chart(
        "arms_by_year",
        "Arms orders by year and category",
        "Venezuelan orders of Russian arms per year of order (the first year an order date range covers), one row per deal and weapon designation, stacked by category; only rows counted in totals, so aggregates, requests, credit ceilings and the delivery half of a deal are left out.",
        lambda pkg: {"rows": arms_rows(pkg)},
        lambda pkg, d: draw_arms(pkg, d["rows"]),
    ),
)


def readme_entries(out_dir: str = DEFAULT_OUT) -> list[tuple[str, str, str]]:
    """``(title, image path, caption)`` of each chart, for the README."""
    return [(c.title, f"{out_dir}/{c.name}.png", c.caption) for c in CHARTS]


def chart_data(package: DataPackage | str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The aggregated data behind every chart, by chart name (plain rows)."""
    pkg = _load(package)
    return {c.name: c.data(pkg) for c in CHARTS}


def chart_data_json(package: DataPackage | str | os.PathLike[str] | None = None) -> str:
    """:func:`chart_data` as canonical JSON text (what ``charts.json`` holds)."""
    import json

    return json.dumps(chart_data(package), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def render_charts(
    package: DataPackage | str | os.PathLike[str] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    formats: tuple[str, ...] = FORMATS,
) -> ChartResult:
    """Draw every chart into ``out_dir`` (default ``docs/charts`` in the package) as PNG and SVG."""
    pkg = _load(package)
    out = Path(out_dir) if out_dir is not None else pkg.root / DEFAULT_OUT
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import rc_context

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ChartError(f"cannot create {out}: {exc.strerror}", "choose a folder you can write to with --out", location=str(out)) from exc
    result = ChartResult(out_dir=str(out))
    with rc_context(RC):
        for chart in CHARTS:
            data = chart.data(pkg)
            result.data[chart.name] = data
            fig = chart.draw(pkg, data)
            for fmt in formats:
                target = out / f"{chart.name}.{fmt}"
                tmp = out / f".{chart.name}.tmp.{fmt}"
                fig.savefig(tmp, format=fmt, metadata=METADATA[fmt])
                os.replace(tmp, target)
                result.files.append(ChartFile(chart.name, str(target), fmt, target.stat().st_size))
    data_file = out / CHART_DATA_FILE
    tmp = out / f".{CHART_DATA_FILE}.tmp"
    tmp.write_text(chart_data_json(pkg), encoding="utf-8")
    os.replace(tmp, data_file)
    result.files.append(ChartFile("data", str(data_file), "json", data_file.stat().st_size))
    return result


def chart_step(ctx: Any) -> None:
    """Release-build step (``ruven.release.build.STEPS``): ``charts/<name>.png`` and ``.svg``.

    ``ctx`` is the build's ``BuildContext`` (package, out, progress, add); the images are
    byte-identical for the same data, so they count as reproducible artifacts.
    """
    ctx.progress("charts: drawing")
    titles = {c.name: c.title for c in CHARTS} | {"data": "The aggregated rows behind the charts"}
    result = render_charts(ctx.package, Path(ctx.out) / "charts")
    for f in result.files:
        ctx.add(Path(f.path), "chart", f"{titles[f.chart]} ({f.format.upper()})")


def _load(package: DataPackage | str | os.PathLike[str] | None) -> DataPackage:
    return package if isinstance(package, DataPackage) else DataPackage.load(package)
