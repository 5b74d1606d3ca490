"""Conventions a rule depends on are declared in the schemas' ``x-ruven`` and read in one place
(:class:`ruven.package.Field`): a rule fires because a field declares it, never by its name."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from conftest import REPO, set_cell
from ruven.package import DataPackage
from ruven.validate import validate_package

TODAY = dt.date(2026, 11, 25)


def test_conventions_are_declared_in_the_schemas() -> None:
    pkg = DataPackage.load(REPO)
    dep = pkg.resource("deployments")
    assert dep.field("personnel_best").range_members == {"low": "personnel_low", "best": "personnel_best", "high": "personnel_high"}
    assert dep.field("end_date").not_before == "start_date"
    arms = pkg.resource("arms_purchases")
    assert arms.field("quantity_delivered").not_more_than == ["quantity_ordered_high", "quantity_ordered_best"]
    stm = pkg.resource("statements")
    assert (stm.field("quote_en").translation_of, stm.field("quote_en").language_field) == ("quote", "quote_language")
    assert stm.field("speaker_id").actor_kinds == ["person", "government-body"]
    assert stm.field("date").not_after_sources and stm.field("quote").duplicate_key == ["speaker_id", "date"]
    assert pkg.resource("sources").field("published").is_publication_date
    assert all(r.field("source_ids").cites_sources for r in pkg if "source_ids" in r.field_names)
    assert pkg.resource("sources").field("state_affiliation").same_within == "publisher"


def test_every_range_is_declared() -> None:
    """Each low/best/high triple of the schemas is one declared range (none left to a name rule)."""
    pkg = DataPackage.load(REPO)
    for res in pkg:
        declared = {n for f in res.fields for n in f.range_members.values()}
        named = {n for n in res.field_names if n.endswith(("_low", "_best", "_high"))}
        assert named == declared, res.name


def test_conventions_are_shown_in_the_codebook() -> None:
    text = (REPO / "docs" / "codebook.md").read_text(encoding="utf-8")
    assert "range `personnel_low` <= `personnel_best` <= `personnel_high`" in text
    assert "actor kinds: `person`, `government-body`" in text
    assert "not more than `quantity_ordered_high`, else `quantity_ordered_best`" in text


def _undeclare(pkg: Path, resource: str, field: str, key: str) -> None:
    path = pkg / "schemas" / f"{resource}.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    for f in doc["fields"]:
        if f["name"] == field:
            del f["x-ruven"][key]
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("resource", "row_id", "cell", "value", "declared_on", "key", "code"),
    [
        pytest.param("deployments", "DEP-0001", "personnel_low", "120", "personnel_best", "range", "range-order", id="range"),
        pytest.param("arms_purchases", "ARM-0001", "quantity_delivered", "11", "quantity_delivered", "not-more-than", "delivered-exceeds-ordered", id="not-more-than"),
        pytest.param("statements", "STM-0001", "quote_en", "", "quote_en", "translation-of", "missing-translation", id="translation-of"),
        pytest.param("statements", "STM-0001", "speaker_id", "ACT-0001", "speaker_id", "actor-kinds", "actor-kind", id="actor-kinds"),
        pytest.param("statements", "STM-0001", "date", "2019-04-15", "date", "not-after-sources", "date-after-sources", id="not-after-sources"),
    ],
)
def test_rule_follows_the_declaration_not_the_name(mini: Path, resource: str, row_id: str, cell: str, value: str, declared_on: str, key: str, code: str) -> None:
    line = set_cell(mini / "data" / f"{resource}.csv", row_id, cell, value)
    found = [(f.code, f.line) for f in validate_package(mini, layers=["pandera"], today=TODAY, cache=False).findings]
    assert (code, line) in found
    _undeclare(mini, resource, declared_on, key)
    found = [f.code for f in validate_package(mini, layers=["pandera"], today=TODAY, cache=False).findings]
    assert code not in found


def test_one_reading_of_a_cell() -> None:
    """Field.parse is the package model's one schema-to-value reading; booleans follow trueValues."""
    from ruven.package import Field

    flag = Field({"name": "ok", "type": "boolean", "trueValues": ["yes"], "falseValues": ["no"]})
    assert (flag.parse("yes"), flag.parse("no"), flag.parse("true"), flag.parse("")) == (True, False, None, None)
    assert Field({"name": "n", "type": "integer"}).parse(" 1_500 ") == 1500.0
    assert Field({"name": "n", "type": "number"}).parse("about 3") is None
    assert Field({"name": "s", "type": "string"}).parse("") is None


def test_expectations_read_booleans_by_true_values(tmp_path: Path) -> None:
    """Layer 3's frame reads a boolean through the field's trueValues (it ignored them before)."""
    from conftest import copy_package
    from ruven.validate.expectations import _frame

    pkg_dir = copy_package(tmp_path)
    path = pkg_dir / "schemas" / "deployments.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    for f in doc["fields"]:
        if f["name"] == "count_in_totals":
            f["trueValues"], f["falseValues"] = ["Y"], ["N"]
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    set_cell(pkg_dir / "data" / "deployments.csv", "DEP-0001", "count_in_totals", "Y")
    df = _frame(DataPackage.load(pkg_dir).resource("deployments"), {"count_in_totals"})
    assert df["count_in_totals"].tolist() == [True]


def test_cache_folder_is_the_platform_user_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from platformdirs import user_cache_dir

    from ruven.validate.cache import cache_dir

    monkeypatch.delenv("RUVEN_CACHE_DIR", raising=False)
    monkeypatch.delenv("RUVEN_CACHE", raising=False)
    assert cache_dir() == Path(user_cache_dir("ruven", appauthor=False)) / "findings"
    monkeypatch.setenv("RUVEN_CACHE_DIR", str(tmp_path))
    assert cache_dir() == tmp_path / "findings"
    monkeypatch.setenv("RUVEN_CACHE", "off")
    assert cache_dir() is None
