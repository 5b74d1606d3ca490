"""Drawing the charts: plain rows in, a matplotlib figure out (matplotlib imported inside)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ruven.charts.data import shorten
from ruven.package import DataPackage

#: One colour per fact table, in the descriptor's order (colour-blind-safe Okabe–Ito palette).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")


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
            line = shorten(f"{i}.  {e['date']}  {table} {e['id']}: {e['label']}", 120) + f"  [{e['reason']}; {e['sources']} sources]"
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

