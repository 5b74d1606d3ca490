"""Layer 3 (Great Expectations): the suites in validation/, their findings, Data Docs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import REPO, copy_package, copy_repo_package, read_csv, run_cli, set_cell
from ruven.package import DataPackage
from ruven.validate import validate_package

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
        assert e["type"] not in REPEATS, f"{e['type']} repeats a check of layers 1 and 2"
    assert path.read_text(encoding="utf-8").endswith("}\n")


#: Expectation types that would repeat what layers 1 and 2 already check (ids, enums, required
#: fields, uniqueness, ranges): the suites judge only what table-level plausibility can say.
REPEATS = {
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_unique",
    "expect_column_values_to_be_in_set",
    "expect_column_pair_values_a_to_be_greater_than_b",
    "expect_column_values_to_match_regex",
    "expect_compound_columns_to_be_unique",
}
#: Every finding code the suites report; each has a planted fixture below (test_expectation_trips).
TRIPPED = ["implausible-value", "implausible-quote-length", "row-count-below-minimum", "row-count-implausible"]


def test_every_expectation_has_a_bad_fixture() -> None:
    """The declared-check-has-a-bad-data-test rule: each (suite, code) is planted in ``_plant``."""
    codes = {(p.stem, e["meta"]["code"]) for p in SUITES for e in json.loads(p.read_text())["expectations"]}
    assert {c for _, c in codes} == set(TRIPPED)
    from ruven.validate.codes import CODES

    assert all(CODES[c].layer == "expectations" for c in TRIPPED)


def _plant(pkg: Path) -> dict[str, list[tuple[str, int | None, str]]]:
    """One problem per expectation of the real suites; returns code -> [(resource, line, field)]."""
    d = pkg / "data"
    planted: dict[str, list[tuple[str, int | None, str]]] = {}
    for suite in SUITES:
        for e in json.loads(suite.read_text())["expectations"]:
            kw, code = e["kwargs"], e["meta"]["code"]
            if e["type"] == "expect_column_values_to_be_between":  # an implausible magnitude in the first row
                first = read_csv(d / f"{suite.stem}.csv")[0]["id"]
                bad = str(int(kw["max_value"]) * 10 + 1) if kw.get("max_value") is not None else str(int(kw["min_value"]) - 1)
                planted.setdefault(code, []).append((suite.stem, set_cell(d / f"{suite.stem}.csv", first, kw["column"], bad), kw["column"]))
    planted["implausible-quote-length"] = [("statements", set_cell(d / "statements.csv", "STM-0001", "quote", "No"), "quote")]
    # table-level: the fixture's one-row tables meet the real suites, so tighten two bounds
    _bound(pkg / "validation" / "deployments.json", "row-count-below-minimum", "min_value", 2)
    planted["row-count-below-minimum"] = [("deployments", None, "")]
    _bound(pkg / "validation" / "sources.json", "row-count-implausible", "max_value", 1)
    planted["row-count-implausible"] = [("sources", None, "")]
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


@pytest.mark.parametrize("code", TRIPPED)
def test_expectation_trips(ge_run: tuple, code: str) -> None:
    _, planted, doc, _ = ge_run
    assert planted[code]
    for resource, line, field in planted[code]:
        hits = [f for f in doc["findings"] if f["code"] == code and f["resource"] == resource]
        assert any(f["line"] == line and f["field"] == field for f in hits), (resource, field, [f for f in doc["findings"] if f["code"] == code])
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


@pytest.mark.parametrize("line_break", [False, True])
def test_rows_are_placed_on_their_physical_line(tmp_path: Path, line_break: bool) -> None:
    """GE reads only the suite's columns of a plain file (one line per record); a line break
    inside a cell sends it to the reading that counts them, so the line stays the physical one."""
    pkg = copy_repo_package(tmp_path)
    path = pkg / "data" / "deployments.csv"
    rows = read_csv(path)
    if line_break:
        set_cell(path, rows[0]["id"], "notes", "first line\nsecond line")
    set_cell(path, rows[-1]["id"], "personnel_best", "9000")
    text = path.read_text(encoding="utf-8")
    physical = text[: text.index("\n" + rows[-1]["id"] + ",")].count("\n") + 2
    assert physical == len(rows) + 1 + line_break
    report = validate_package(pkg, layers=["expectations"], cache=False)
    found = [(f.line, f.value) for f in report.findings if (f.resource, f.code, f.field) == ("deployments", "implausible-value", "personnel_best")]
    assert found == [(physical, "9000")]


def test_a_changed_suite_is_used_in_a_long_lived_process(tmp_path: Path) -> None:
    """``--watch`` keeps each suite it made for the next run: a suite edited between two runs
    in one process is made again, so its new bounds are the ones checked."""
    from ruven.validate import expectations

    pkg = copy_package(tmp_path)
    assert expectations.check(DataPackage.load(pkg), ["deployments"]) == []
    assert expectations.check(DataPackage.load(pkg), ["deployments"]) == []  # (the kept suite)
    _bound(pkg / "validation" / "deployments.json", "row-count-below-minimum", "min_value", 2)
    found = [(f.code, f.resource) for f in expectations.check(DataPackage.load(pkg), ["deployments"])]
    assert found == [("row-count-below-minimum", "deployments")]
