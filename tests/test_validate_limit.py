"""At most so many rows of one kind of problem per table are listed, the rest counted: a schema
change that breaks every row of a big table gives a short report and bounded memory, not
millions of findings (the first 10M-row benchmark was killed for memory that way)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from conftest import REPO, copy_package, load_json, run_cli
from ruven.validate import tables, validate_package

TODAY = dt.date(2026, 11, 25)
LAYERS = ["frictionless", "pandera"]


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic package whose 400 deployments all break the id pattern (layer 1) and all
    end their summary with a space (layer 2)."""
    out = tmp_path_factory.mktemp("limit") / "pkg"
    subprocess.run([sys.executable, str(REPO / "bench" / "make_synthetic.py"), "--rows", "400", "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
    schema = out / "schemas" / "deployments.json"
    schema.write_text(schema.read_text(encoding="utf-8").replace('"^DEP-[0-9]{4,}$"', '"^DEP-[0-9]{3}$"'), encoding="utf-8")
    path = out / "data" / "deployments.csv"
    df = pl.read_csv(path, infer_schema=False)
    df.with_columns(pl.col("summary") + " ").write_csv(path)
    return out


def _kind(report, code: str, field: str, resource: str = "deployments") -> list:
    return [f for f in report.findings if (f.resource, f.code, f.field) == (resource, code, field)]


def _check_listed(report, code: str, field: str, per_kind: int, total: int) -> None:
    found = _kind(report, code, field)
    listed = [f for f in found if f.line is not None]
    summary = [f for f in found if f.line is None]
    assert [f.line for f in listed] == list(range(2, 2 + per_kind))  # the first rows, in file order
    assert len(summary) == 1
    assert f"{total - per_kind:,} more rows of data/deployments.csv" in summary[0].message
    assert "--max-per-kind 0" in summary[0].hint


@pytest.mark.parametrize("part_bytes", [None, 4000])
def test_a_kind_lists_its_first_rows_and_counts_the_rest(broken: Path, part_bytes: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    if part_bytes:  # the budget holds across the parts of a big table
        monkeypatch.setattr(tables, "PART_BYTES", part_bytes)
    report = validate_package(broken, layers=LAYERS, today=TODAY, cache=False, max_per_kind=7)
    _check_listed(report, "constraint-error", "id", 7, 400)  # layer 1
    _check_listed(report, "whitespace", "summary", 7, 400)  # layer 2
    # other problems keep their own budget: the planted ones are all still there
    planted = {(p["resource"], p["line"], p["field"], p["code"]) for p in load_json((broken / "planted.json").read_text()) if p["layer"] in LAYERS and not p.get("upstream_only") and p["field"] not in ("id", "summary")}
    got = {(f.resource, f.line, f.field, f.code) for f in report.findings}
    assert planted <= got


def test_no_limit_lists_every_row(broken: Path) -> None:
    report = validate_package(broken, layers=LAYERS, today=TODAY, cache=False, max_per_kind=None)
    assert len([f for f in _kind(report, "constraint-error", "id") if f.line is not None]) == 400
    assert not [f for f in report.findings if f.line is None and f.resource == "deployments"]


def test_the_cache_keeps_each_limit_apart(broken: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUVEN_CACHE_DIR", str(tmp_path / "cache"))
    pkg = tmp_path / "pkg"
    shutil.copytree(broken, pkg)
    few = validate_package(pkg, layers=LAYERS, today=TODAY, max_per_kind=3)
    every = validate_package(pkg, layers=LAYERS, today=TODAY, max_per_kind=None)
    again = validate_package(pkg, layers=LAYERS, today=TODAY, max_per_kind=3)
    assert len(_kind(few, "constraint-error", "id")) == 4
    assert len(_kind(every, "constraint-error", "id")) == 400
    assert [f.to_dict() for f in again.findings] == [f.to_dict() for f in few.findings]


def test_blank_rows_beyond_the_limit_leave_out_their_row(tmp_path: Path) -> None:
    """A blank row stands for every problem of its row: one left out is not reported as its
    empty required cells instead."""
    pkg = copy_package(tmp_path)
    path = pkg / "data" / "actors.csv"
    width = path.read_text(encoding="utf-8").splitlines()[0].count(",")
    n_lines = len(path.read_text(encoding="utf-8").splitlines())
    with path.open("a", encoding="utf-8") as fh:
        fh.write(("," * width + "\n") * 6)
    report = validate_package(pkg, layers=["frictionless"], today=TODAY, cache=False, max_per_kind=2)
    blank = _kind(report, "blank-row", "", "actors")
    assert [f.line for f in blank if f.line is not None] == [n_lines + 1, n_lines + 2]
    assert "4 more rows" in next(f.message for f in blank if f.line is None)
    late = {f.line for f in report.findings if f.resource == "actors" and f.line and f.line > n_lines + 2}
    assert not late


def test_cli_option_and_its_default(broken: Path) -> None:
    code, out, _ = run_cli("validate", "--package", str(broken), "--layer", "frictionless", "--format", "json", "--no-cache", "--today", "2026-11-25")
    assert code == 1
    listed = [f for f in load_json(out)["findings"] if (f["resource"], f["field"], f["code"]) == ("deployments", "id", "constraint-error")]
    assert len(listed) == 400  # 400 rows: under the default of 1,000 per kind
    code, out, _ = run_cli("validate", "--package", str(broken), "--layer", "frictionless", "--format", "json", "--no-cache", "--today", "2026-11-25", "--max-per-kind", "5")
    listed = [f for f in load_json(out)["findings"] if (f["resource"], f["field"], f["code"]) == ("deployments", "id", "constraint-error")]
    assert len(listed) == 6
    assert sum(f["line"] is None for f in listed) == 1
    code, out, err = run_cli("validate", "--package", str(broken), "--max-per-kind", "-1")
    assert code == 2 and "-1" in (out + err)


def test_great_expectations_rows_are_limited_too(broken: Path, tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    shutil.copytree(broken, pkg)
    path = pkg / "data" / "deployments.csv"
    pl.read_csv(path, infer_schema=False).with_columns(personnel_best=pl.lit("6000")).write_csv(path)
    report = validate_package(pkg, layers=["expectations"], today=TODAY, cache=False, max_per_kind=7)
    found = _kind(report, "implausible-value", "personnel_best")
    assert [f.line for f in found if f.line is not None] == list(range(2, 9))
    assert ["393 more rows of data/deployments.csv" in f.message for f in found if f.line is None] == [True]
    every = validate_package(pkg, layers=["expectations"], today=TODAY, cache=False, max_per_kind=None)
    assert len(_kind(every, "implausible-value", "personnel_best")) == 400
