"""`ruven chart`: the charts' data comes from the package, and the images rebuild identically."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import REPO, append_row, copy_package, run_cli, set_cell
from ruven.charts import CHARTS, arms_rows, chart_data, key_events, timeline_rows
from ruven.package import DataPackage


def _load(pkg: Path) -> DataPackage:
    return DataPackage.load(pkg)


def test_a_new_row_changes_the_timeline_data(mini: Path) -> None:
    before = timeline_rows(_load(mini))
    assert {"year": 2019, "table": "deployments", "rows": 1} in before
    append_row(mini / "data" / "deployments.csv", {"id": "DEP-0002", "start_date": "2019-06", "source_ids": "SRC-0001", "count_in_totals": "true"})
    after = timeline_rows(_load(mini))
    assert {"year": 2019, "table": "deployments", "rows": 2} in after
    assert after != before
    # the same rotation recorded again, not counted in totals: not a second event
    append_row(mini / "data" / "deployments.csv", {"id": "DEP-0003", "start_date": "2019-06", "source_ids": "SRC-0001", "count_in_totals": "false", "overlaps_ids": "DEP-0002"})
    assert timeline_rows(_load(mini)) == after


def test_withdrawn_rows_leave_the_chart_data(mini: Path) -> None:
    set_cell(mini / "data" / "deployments.csv", "DEP-0001", "withdrawn", "Duplicate.")
    assert all(r["table"] != "deployments" for r in timeline_rows(_load(mini)))


def test_a_new_order_changes_the_arms_data(mini: Path) -> None:
    assert arms_rows(_load(mini)) == [{"year": 2011, "category": "aircraft", "orders": 1, "quantity": 10}]
    append_row(mini / "data" / "arms_purchases.csv", {"id": "ARM-0002", "order_date": "2011-05", "category": "aircraft", "quantity_ordered_best": "4", "count_in_totals": "true"})
    append_row(mini / "data" / "arms_purchases.csv", {"id": "ARM-0003", "order_date": "2009", "category": "air-defence", "count_in_totals": "true"})
    append_row(mini / "data" / "arms_purchases.csv", {"id": "ARM-0004", "category": "ships", "count_in_totals": "true"})
    # an aggregate of ARM-0001 and ARM-0002: not counted again
    append_row(mini / "data" / "arms_purchases.csv", {"id": "ARM-0005", "order_date": "2011", "category": "aircraft", "quantity_ordered_best": "14", "count_in_totals": "false", "overlaps_ids": "ARM-0001;ARM-0002"})
    assert arms_rows(_load(mini)) == [
        {"year": 2009, "category": "air-defence", "orders": 1, "quantity": 0},
        {"year": 2011, "category": "aircraft", "orders": 2, "quantity": 14},
        {"year": None, "category": "ships", "orders": 1, "quantity": 0},
    ]


def test_key_events_are_chosen_from_the_data(mini: Path) -> None:
    events = key_events(_load(mini))
    assert {e["id"] for e in events} == {"DEP-0001", "ARM-0001", "INV-0001", "STM-0001", "AGR-0001"}
    dep = next(e for e in events if e["id"] == "DEP-0001")
    assert dep["reason"] == "largest personnel (best)" or dep["reason"].startswith("largest")
    assert "100 personnel" in dep["label"]
    # the largest deployment becomes an event; a row not counted in totals (an aggregate) never does
    append_row(
        mini / "data" / "deployments.csv",
        {"id": "DEP-0002", "start_date": "2020-01", "personnel_best": "5000", "assets": "Big fleet", "source_ids": "SRC-0001", "count_in_totals": "true"},
    )
    append_row(
        mini / "data" / "arms_purchases.csv",
        {"id": "ARM-0002", "order_date": "2012", "category": "other", "value_usd_best": "99000000000", "designation": "Aggregate", "source_ids": "SRC-0001;SRC-0002", "count_in_totals": "false"},
    )
    events = key_events(_load(mini), per_table=1)
    ids = [e["id"] for e in events]
    assert "DEP-0002" in ids and "DEP-0001" not in ids
    assert "ARM-0002" not in ids and "ARM-0001" in ids


def test_chart_data_covers_every_chart(mini: Path) -> None:
    data = chart_data(_load(mini))
    assert set(data) == {c.name for c in CHARTS}
    json.dumps(data)  # plain rows


def test_chart_writes_png_and_svg_that_rebuild_identically(mini: Path, tmp_path: Path) -> None:
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        code, stdout, _ = run_cli("chart", "--package", str(mini), "--out", str(out), "--format", "json")
        assert code == 0
        doc = json.loads(stdout)
        assert doc["ok"] is True
    for c in CHARTS:
        for fmt in ("png", "svg"):
            a, b = (out / f"{c.name}.{fmt}" for out in outs)
            assert a.read_bytes() == b.read_bytes(), f"{a.name} differs between two builds"
        assert (outs[0] / f"{c.name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        svg = (outs[0] / f"{c.name}.svg").read_text(encoding="utf-8")
        assert "<dc:date>" not in svg and "Matplotlib v" not in svg
    assert doc["data"]["arms_by_year"]["rows"][0]["category"] == "aircraft"
    assert not list(outs[0].glob(".*")), "no temporary files left behind"


def test_chart_draws_an_empty_package(tmp_path: Path) -> None:
    pkg = copy_package(tmp_path)
    for name in ("deployments", "arms_purchases", "investments", "statements", "agreements"):
        path = pkg / "data" / f"{name}.csv"
        path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    code, out, _ = run_cli("chart", "--package", str(pkg), "--out", str(tmp_path / "charts"))
    assert code == 0, out
    assert "0 dated rows" in out
    assert (tmp_path / "charts" / "timeline.png").stat().st_size > 0


def test_readme_shows_the_committed_charts() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\((docs/charts/[^)]+\.png)\)", readme)
    assert sorted(images) == sorted(f"docs/charts/{c.name}.png" for c in CHARTS)
    for image in images:
        assert (REPO / image).stat().st_size > 10_000
        assert (REPO / image).with_suffix(".svg").exists()


def test_chart_step_adds_the_charts_to_the_release(mini: Path, tmp_path: Path) -> None:
    from ruven.charts import chart_step
    from ruven.release.build import build

    result = build(mini, tmp_path / "dist", steps=[chart_step])
    charts = sorted(a.relpath for a in result.artifacts if a.kind == "chart")
    assert charts == sorted([f"charts/{c.name}.{fmt}" for c in CHARTS for fmt in ("png", "svg")] + ["charts/charts.json"])
    assert all(a.reproducible and a.bytes > 0 for a in result.artifacts if a.kind == "chart")
    sums = (tmp_path / "dist" / "SHA256SUMS").read_text(encoding="utf-8")
    assert "charts/timeline.png" in sums


def test_chart_data_is_read_from_the_typed_connection(mini: Path) -> None:
    """The charts count what the connection they are given holds (not the CSV text): a connection
    that shows withdrawn rows makes a withdrawn deployment count."""
    import ruven

    set_cell(mini / "data" / "deployments.csv", "DEP-0001", "withdrawn", "Duplicate.")
    pkg = _load(mini)
    assert all(r["table"] != "deployments" for r in timeline_rows(pkg))
    with ruven.connect(pkg, include_withdrawn=True) as con:
        assert {"year": 2019, "table": "deployments", "rows": 1} in timeline_rows(pkg, con)
        assert chart_data(pkg, con)["timeline"]["rows"] == timeline_rows(pkg, con)


def test_charts_and_info_read_no_csv_and_no_docs_helpers() -> None:
    """charts and summary go through ruven.db only: no csv module, no ruven.docs (no docs<->charts cycle)."""
    import ast

    src = Path(__file__).resolve().parents[1] / "src" / "ruven"
    for path in [*sorted((src / "charts").glob("*.py")), src / "summary.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not imported & {"csv", "ruven.docs"}, (path.name, imported)
        assert "read_rows" not in path.read_text(encoding="utf-8"), path.name
