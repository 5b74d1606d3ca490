"""Charts of the package: the data behind each chart as plain rows, and deterministic rendering.

Each chart has a data function that returns plain rows (lists of dicts) computed from the
package, and a draw function that turns those rows into a matplotlib figure. Rendering uses
the Agg backend, a bundled font, text drawn as paths, a fixed SVG hash salt and no dates in
the files' metadata, so the same data gives byte-identical PNG and SVG files. matplotlib is
imported only inside the functions that draw.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruven.charts.data import EVENTS_PER_TABLE, arms_rows, key_events, load_package, open_connection, timeline_rows
from ruven.charts.draw import PALETTE, draw_arms, draw_timeline
from ruven.errors import RuvenError
from ruven.fs import atomic_path, atomic_write_text
from ruven.package import DataPackage

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

FORMATS = ("png", "svg")
DEFAULT_OUT = "docs/charts"
#: The aggregated rows behind every chart, written beside the images: `ruven docs --check`
#: compares it with the data to tell when the committed images are out of date.
CHART_DATA_FILE = "charts.json"
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


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    caption: str
    data: Callable[[DataPackage, duckdb.DuckDBPyConnection], dict[str, Any]]
    draw: Callable[[DataPackage, dict[str, Any]], Any]


CHARTS: tuple[Chart, ...] = (
    Chart(
        "timeline",
        "Timeline of the fact tables",
        "Live dated rows per year in each fact table; the numbered key events are picked from the data: per table, the row with the largest figure and the most-cited row. Only rows counted in totals (`count_in_totals`) are drawn, so an aggregate, a plan or the second half of a deal does not count twice.",
        lambda pkg, con: {"rows": timeline_rows(pkg, con), "events": key_events(pkg, con=con)},
        lambda pkg, d: draw_timeline(pkg, d["rows"], d["events"]),
    ),
    Chart(
        "arms_by_year",
        "Arms orders by year and category",
        "Venezuelan orders of Russian arms per year of order (the first year an order date range covers), one row per deal and weapon designation, stacked by category; only rows counted in totals, so aggregates, requests, credit ceilings and the delivery half of a deal are left out.",
        lambda pkg, con: {"rows": arms_rows(pkg, con)},
        lambda pkg, d: draw_arms(pkg, d["rows"]),
    ),
)


def readme_entries(out_dir: str = DEFAULT_OUT) -> list[tuple[str, str, str]]:
    """``(title, image path, caption)`` of each chart, for the README."""
    return [(c.title, f"{out_dir}/{c.name}.png", c.caption) for c in CHARTS]


def chart_data(
    package: DataPackage | str | os.PathLike[str] | None = None, con: duckdb.DuckDBPyConnection | None = None
) -> dict[str, Any]:
    """The aggregated data behind every chart, by chart name (plain rows), from one typed connection."""
    pkg = load_package(package)
    with open_connection(pkg, con) as c:
        return {chart.name: chart.data(pkg, c) for chart in CHARTS}


def _json(data: dict[str, Any]) -> str:
    import json

    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def chart_data_json(
    package: DataPackage | str | os.PathLike[str] | None = None, con: duckdb.DuckDBPyConnection | None = None
) -> str:
    """:func:`chart_data` as canonical JSON text (what ``charts.json`` holds)."""
    return _json(chart_data(package, con))


def render_charts(
    package: DataPackage | str | os.PathLike[str] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    formats: tuple[str, ...] = FORMATS,
    con: duckdb.DuckDBPyConnection | None = None,
) -> ChartResult:
    """Draw every chart into ``out_dir`` (default ``docs/charts`` in the package) as PNG and SVG,
    from the typed connection ``con`` (opened here when not given)."""
    pkg = load_package(package)
    data = chart_data(pkg, con)
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
            result.data[chart.name] = data[chart.name]
            fig = chart.draw(pkg, data[chart.name])
            for fmt in formats:
                target = out / f"{chart.name}.{fmt}"
                with atomic_path(target, keep_mode=True) as tmp:
                    fig.savefig(tmp, format=fmt, metadata=METADATA[fmt])
                result.files.append(ChartFile(chart.name, str(target), fmt, target.stat().st_size))
    data_file = out / CHART_DATA_FILE
    atomic_write_text(data_file, _json(data))
    result.files.append(ChartFile("data", str(data_file), "json", data_file.stat().st_size))
    return result


def chart_step(ctx: Any) -> None:
    """Release-build step (``ruven.release.build.STEPS``): ``charts/<name>.png`` and ``.svg``.

    ``ctx`` is the build's ``BuildContext`` (package, out, the loaded connection, progress, add);
    the images are byte-identical for the same data, so they count as reproducible artifacts.
    """
    ctx.progress("charts: drawing")
    titles = {c.name: c.title for c in CHARTS} | {"data": "The aggregated rows behind the charts"}
    result = render_charts(ctx.package, Path(ctx.out) / "charts", con=ctx.con)
    for f in result.files:
        ctx.add(Path(f.path), "chart", f"{titles[f.chart]} ({f.format.upper()})")


__all__ = [
    "CHARTS",
    "EVENTS_PER_TABLE",
    "PALETTE",
    "Chart",
    "ChartError",
    "ChartResult",
    "arms_rows",
    "chart_data",
    "chart_data_json",
    "chart_step",
    "key_events",
    "render_charts",
    "timeline_rows",
]
