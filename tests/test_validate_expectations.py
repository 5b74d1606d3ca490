"""Layer 3 (Great Expectations): the suites in validation/, their findings, Data Docs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import REPO, append_row, copy_package, run_cli, set_cell
from ruven.package import DataPackage

SUITES = sorted((REPO / "validation").glob("*.json"))


def test_one_suite_per_resource_and_no_orphans() -> None:
    pkg = DataPackage.load(REPO)
    assert {p.stem for p in SUITES} == set(pkg.resources)


@pytest.mark.parametrize("path", SUITES, ids=[p.stem for p in SUITES])
def test_suite_shape_matches_the_schema(path: Path) -> None:
    """Plain GE ExpectationSuite JSON; columns exist; value sets are the schema's enums."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["name"] == path.stem and doc["expectations"]
    res = DataPackage.load(REPO).resource(path.stem)
    types = {e["type"] for e in doc["expectations"]}
    assert "expect_table_row_count_to_be_between" in types
    for e in doc["expectations"]:
        assert set(e) <= {"type", "kwargs", "meta"} and e["type"].startswith("expect_")
        assert e.get("meta", {}).get("severity", "error") in ("error", "warning")
        for key in ("column", "column_A", "column_B"):
            if key in e["kwargs"]:
                assert e["kwargs"][key] in res.field_names
        if e["type"] == "expect_column_values_to_be_in_set":
            assert e["kwargs"]["value_set"] == res.field(e["kwargs"]["column"]).enum
    assert path.read_text(encoding="utf-8").endswith("}\n")


def _plant(pkg: Path) -> dict[str, tuple[str, int | None, str]]:
    """One problem per expectation kind; returns code -> (resource, line, field)."""
    d = pkg / "data"
    planted = {}
    planted["duplicate-id"] = ("actors", append_row(d / "actors.csv", {"id": "ACT-0001", "name": "X", "kind": "state", "country": "RU"}), "id")
    planted["missing-id"] = ("actors", append_row(d / "actors.csv", {"id": "", "name": "Y", "kind": "state"}), "id")
    planted["value-not-in-set"] = ("deployments", set_cell(d / "deployments.csv", "DEP-0001", "status", "gone"), "status")
    planted["range-order"] = ("deployments", set_cell(d / "deployments.csv", "DEP-0001", "personnel_low", "120"), "personnel_best")
    planted["delivered-exceeds-ordered"] = ("arms_purchases", set_cell(d / "arms_purchases.csv", "ARM-0001", "quantity_ordered_high", "5"), "quantity_ordered_high")
    planted["implausible-value"] = ("investments", set_cell(d / "investments.csv", "INV-0001", "amount_usd_best", "90000000000"), "amount_usd_best")
    planted["implausible-quote-length"] = ("statements", set_cell(d / "statements.csv", "STM-0001", "quote", "No"), "quote")
    planted["duplicate-url"] = ("sources", set_cell(d / "sources.csv", "SRC-0002", "url", "https://example.org/a"), "url")
    # table-level: the fixture's one-row tables meet the real suites, so tighten two bounds
    _bound(pkg / "validation" / "deployments.json", "row-count-below-minimum", "min_value", 2)
    planted["row-count-below-minimum"] = ("deployments", None, "")
    _bound(pkg / "validation" / "sources.json", "row-count-implausible", "max_value", 1)
    planted["row-count-implausible"] = ("sources", None, "")
    return planted


def _bound(suite: Path, code: str, key: str, value: int) -> None:
    doc = json.loads(suite.read_text())
    for e in doc["expectations"]:
        if e["meta"].get("code") == code:
            e["kwargs"][key] = value
    suite.write_text(json.dumps(doc, indent=2))


def test_empty_table_trips_the_minimum(tmp_path: Path) -> None:
    from ruven.validate import expectations

    pkg = copy_package(tmp_path)
    path = pkg / "data" / "statements.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n")
    found = [(f.code, f.resource, f.severity) for f in expectations.check(DataPackage.load(pkg))]
    assert found == [("row-count-below-minimum", "statements", "error")]


@pytest.fixture(scope="module")
def ge_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict, str]:
    """One GE run (the import costs seconds) over a fixture with every kind planted, and Data Docs."""
    pkg = copy_package(tmp_path_factory.mktemp("ge"))
    planted = _plant(pkg)
    docs = tmp_path_factory.mktemp("docs") / "site"
    rc, out, err = run_cli("validate", "--package", str(pkg), "--layer", "expectations", "--format", "json", "--data-docs", str(docs))
    assert rc == 1, err
    return pkg, planted, json.loads(out), str(docs)


@pytest.mark.parametrize(
    "code",
    ["duplicate-id", "missing-id", "value-not-in-set", "range-order", "delivered-exceeds-ordered", "implausible-value", "implausible-quote-length", "duplicate-url", "row-count-below-minimum", "row-count-implausible"],
)
def test_expectation_trips(ge_run: tuple, code: str) -> None:
    _, planted, doc, _ = ge_run
    resource, line, field = planted[code]
    hits = [f for f in doc["findings"] if f["code"] == code and f["resource"] == resource]
    assert any(f["line"] == line and f["field"] == field for f in hits), [f for f in doc["findings"] if f["code"] == code]
    f = hits[0]
    assert f["layer"] == "expectations" and f["message"] and f["hint"]
    want = "warning" if code in ("implausible-value", "implausible-quote-length", "row-count-implausible") else "error"
    assert f["severity"] == want


def test_data_docs_written_and_package_untouched(ge_run: tuple) -> None:
    pkg, _, _, docs = ge_run
    assert (Path(docs) / "index.html").exists()
    assert list(Path(docs).rglob("*.html"))[1:]  # suite and validation pages besides the index
    assert not (pkg / "gx").exists() and not (pkg / "great_expectations").exists()
    assert not list(pkg.rglob("*.html"))


def test_repo_has_no_gx_folder() -> None:
    assert not (REPO / "gx").exists()


def test_mini_passes_every_layer(mini: Path) -> None:
    rc, out, _ = run_cli("validate", "--package", str(mini), "--format", "json", "--today", "2026-11-25")
    doc = json.loads(out)
    assert rc == 0, doc["findings"]
    assert doc["layers"] == ["frictionless", "pandera", "expectations"]
