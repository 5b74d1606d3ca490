"""The per-table cache: after an edit, only the tables whose checks read it run again, and the
report is exactly the report of a run without the cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli, set_cell


def _validate(pkg: Path, *extra: str) -> tuple[int, dict]:
    rc, out, _ = run_cli("validate", "--package", str(pkg), "--format", "json", "--today", "2026-11-25", *extra)
    return rc, json.loads(out)


def _same_as_uncached(pkg: Path) -> dict:
    rc, cached = _validate(pkg)
    rc2, fresh = _validate(pkg, "--no-cache")
    assert rc == rc2
    assert cached["findings"] == fresh["findings"]
    return cached


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RUVEN_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_an_edit_rechecks_its_table_and_the_tables_that_refer_to_it(mini: Path, cache: Path) -> None:
    rc, doc = _validate(mini)
    assert rc == 0 and doc["summary"]["reused"] == {}
    set_cell(mini / "data" / "deployments.csv", "DEP-0001", "notes", "Edited in a test.")
    doc = _same_as_uncached(mini)
    assert doc["summary"]["cached"] == []
    # statements (about_ids) and agreements (related_ids) point into deployments: checked again
    unchanged = {"sources", "actors", "arms_purchases", "investments"}
    for layer in ("frictionless", "pandera", "expectations"):
        assert set(doc["summary"]["reused"][layer]) == unchanged, layer


def test_a_change_to_a_referenced_table_is_never_answered_from_the_cache(mini: Path, cache: Path) -> None:
    """Removing an actor breaks a deployment's reference: the deployment's cached (clean)
    findings must not be reused."""
    rc, _ = _validate(mini)
    assert rc == 0
    actors = mini / "data" / "actors.csv"
    lines = actors.read_text(encoding="utf-8").splitlines(keepends=True)
    used = {line.split(",")[0] for line in lines[1:]} & set((mini / "data" / "deployments.csv").read_text(encoding="utf-8").split(","))
    assert used
    actors.write_text("".join(line for line in lines if line.split(",")[0] not in used), encoding="utf-8")
    doc = _same_as_uncached(mini)
    assert any(f["resource"] == "deployments" and f["code"] == "foreign-key" for f in doc["findings"])
    assert "deployments" not in doc["summary"]["reused"].get("frictionless", [])


def test_an_error_then_its_fix(mini: Path, cache: Path) -> None:
    _validate(mini)
    line = set_cell(mini / "data" / "arms_purchases.csv", "ARM-0001", "quantity_delivered", "many")
    rc, doc = _validate(mini)
    assert rc == 1 and [f["line"] for f in doc["findings"] if f["code"] == "type-error"] == [line]
    set_cell(mini / "data" / "arms_purchases.csv", "ARM-0001", "quantity_delivered", "")
    doc = _same_as_uncached(mini)
    assert doc["ok"]


def test_the_descriptor_check_is_cached_in_a_long_lived_process(mini: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--watch`` checks in its own process: after an edit to a row, frictionless' check of the
    unchanged descriptor and schemas comes from the cache, and the report is the same."""
    import datetime as dt

    from ruven.validate import preflight, validate_package

    calls = []
    real = preflight.metadata
    monkeypatch.setattr(preflight, "metadata", lambda *a: calls.append(1) or real(*a))
    today = dt.date(2026, 11, 25)
    first = validate_package(mini, layers=["frictionless", "pandera"], today=today, in_process=True)
    set_cell(mini / "data" / "deployments.csv", "DEP-0001", "personnel_low", "many")
    again = validate_package(mini, layers=["frictionless", "pandera"], today=today, in_process=True)
    assert len(calls) == 1
    assert first.ok() and [f.code for f in again.findings] == ["type-error"]
    fresh = validate_package(mini, layers=["frictionless", "pandera"], today=today, cache=False, in_process=True)
    assert [f.to_dict() for f in again.findings] == [f.to_dict() for f in fresh.findings]


@pytest.mark.parametrize("setting", ["on", "off"])
def test_each_file_is_hashed_once_a_run_and_not_at_all_with_the_cache_off(mini: Path, cache: Path, setting: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both levels of keys come from one read of every byte; with ``RUVEN_CACHE=off`` there is
    no key to look up, so nothing is hashed (a gigabyte is about 0.7 s a pass)."""
    from ruven.validate import cache as findings_cache

    monkeypatch.setenv("RUVEN_CACHE", setting)
    hashed: list[str] = []
    update_file = findings_cache.update_file

    def counting(h: object, path: Path) -> None:
        hashed.append(Path(path).name)
        update_file(h, path)

    monkeypatch.setattr(findings_cache, "update_file", counting)
    rc, _ = _validate(mini, "--layer", "frictionless", "--layer", "pandera")
    assert rc == 0
    if setting == "off":
        assert hashed == []
    else:
        assert "deployments.csv" in hashed and len(hashed) == len(set(hashed))
