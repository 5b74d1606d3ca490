"""`ruven diff`: rows added/withdrawn/changed/deleted and schema changes between two commits
of a temporary git repository (or two folders), the implied bump, the three formats."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import append_row, git, git_package, run_cli, set_cell


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return git_package(tmp_path)


def _commit(repo: Path, msg: str = "change") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", msg)


def _remove_row(path: Path, row_id: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith(row_id + ",")), encoding="utf-8")


def test_no_differences_exit_0(repo: Path) -> None:
    code, out, _ = run_cli("diff", "HEAD", "HEAD", "--package", str(repo))
    assert code == 0
    assert "no differences" in out


def test_rows_between_two_commits(repo: Path) -> None:
    data = repo / "data"
    append_row(data / "actors.csv", {"id": "ACT-0005", "name": "New", "kind": "company", "country": "RU", "description": "Test."})
    set_cell(data / "deployments.csv", "DEP-0001", "personnel_best", "120")
    set_cell(data / "deployments.csv", "DEP-0001", "notes", "Corrected, a, b")
    set_cell(data / "investments.csv", "INV-0001", "withdrawn", "duplicate of INV-0009")
    _commit(repo)
    code, out, _ = run_cli("diff", "HEAD~1", "HEAD", "--package", str(repo), "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["ok"] is False and doc["bump"] == "minor"
    t = {x["resource"]: x for x in doc["tables"]}
    assert t["actors"]["added"] == ["ACT-0005"]
    assert t["deployments"]["changed"] == [
        {"id": "DEP-0001", "cells": [{"field": "personnel_best", "old": "100", "new": "120"}, {"field": "notes", "old": "Fixture note.", "new": "Corrected, a, b"}]}
    ]
    assert t["investments"]["withdrawn"] == [{"id": "INV-0001", "reason": "duplicate of INV-0009"}]
    assert t["investments"]["changed"] == []
    assert doc["violations"] == [] and doc["schema"] == []
    code, out, _ = run_cli("diff", "HEAD~1", "HEAD", "--package", str(repo))
    assert code == 1
    assert "changed: DEP-0001 personnel_best: '100' -> '120'" in out
    assert "withdrawn: INV-0001: duplicate of INV-0009" in out
    assert "bump: MINOR" in out
    code, md, _ = run_cli("diff", "HEAD~1", "HEAD", "--package", str(repo), "--format", "markdown")
    assert code == 1
    assert "**Version bump implied: MINOR**" in md
    assert re.search(r"^\| DEP-0001 +\| personnel_best +\| 100 +\| 120 +\|$", md, re.M), md
    assert re.search(r"^\| `actors` +\| +1 \| +0 \| +0 \| +0 \|$", md, re.M), md


def test_markdown_shows_each_added_row_s_content_and_each_withdrawal_s_reason(repo: Path) -> None:
    """Issue 14: a reviewer reads an added row's label, summary or quote, dates, figures and
    cited sources (label and URL) in the job summary, driven by the schema (x-ruven label and
    summary, the date and number fields, the source id list), and a withdrawn row's reason."""
    data = repo / "data"
    row = {
        "id": "DEP-0009", "start_date": "2020-05", "end_date": "2020/2021", "actor_id": "ACT-0002", "personnel_kind": "regular-military",
        "personnel_best": "250", "cargo_tonnes": "12.5", "location": "Fixture base", "status": "arrived", "confidence": "reported",
        "count_in_totals": "true", "summary": "A <b>new</b> deployment | of the fixture.", "source_ids": "SRC-0002;SRC-0001",
    }
    append_row(data / "deployments.csv", row)
    append_row(data / "statements.csv", {"id": "STM-0009", "date": "2020-06-01", "speaker_id": "ACT-0003", "speaker_role": "Fixture role", "medium": "press-briefing",
                                         "quote": "Una cita nueva.", "quote_language": "es", "spoken_language": "es", "is_translation": "false",
                                         "quote_en": "A new quote.", "topic": "deployments", "about_ids": "DEP-0009", "confidence": "reported", "source_ids": "SRC-0001"})
    set_cell(data / "investments.csv", "INV-0001", "withdrawn", "duplicate of INV-0009")
    _commit(repo)
    code, md, _ = run_cli("diff", "HEAD~1", "HEAD", "--package", str(repo), "--format", "markdown")
    assert code == 1
    block = md[md.index("#### Added rows of `deployments`") :]
    block = block[: block.index("###", 5)] if "###" in block[5:] else block
    assert "**`DEP-0009`** — Force A, regular-military, Fixture base" in block  # the actor id is shown as the actor's label
    assert "> A &lt;b&gt;new&lt;/b&gt; deployment \\| of the fixture." in block  # the summary, escaped
    assert "- dates: `start_date` 2020-05; `end_date` 2020/2021" in block
    assert "- figures: `personnel_best` 250; `cargo_tonnes` 12.5" in block
    assert '- source `SRC-0002`: Example wire' in block and '- source `SRC-0001`: Example, Fixture page A — <a href="https://example.org/a">' in block
    stm = md[md.index("#### Added rows of `statements`") :]
    assert "**`STM-0009`** — " in stm and "> A new quote." in stm  # the declared summary of statements: quote_en first
    assert "- Withdrawn: INV-0001 — reason: duplicate of INV-0009" in md
    code, out, _ = run_cli("diff", "HEAD~1", "HEAD", "--package", str(repo), "--format", "json")
    added = {r["id"]: r for t in json.loads(out)["tables"] for r in t["added_rows"]}
    assert added["DEP-0009"]["sources"][1] == {"id": "SRC-0001", "label": "Example, Fixture page A", "url": "https://example.org/a"}


def test_only_corrections_and_withdrawals_is_patch(repo: Path) -> None:
    set_cell(repo / "data" / "deployments.csv", "DEP-0001", "withdrawn", "wrong date")
    _commit(repo)
    code, out, _ = run_cli("diff", "HEAD~1", "HEAD", "--package", str(repo), "--format", "json")
    assert code == 1 and json.loads(out)["bump"] == "patch"


def test_deleted_row_is_flagged(repo: Path) -> None:
    _remove_row(repo / "data" / "statements.csv", "STM-0001")
    _commit(repo)
    code, out, _ = run_cli("diff", "HEAD~1", "HEAD", "--package", str(repo), "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["bump"] == "major"
    assert next(t for t in doc["tables"] if t["resource"] == "statements")["removed"] == ["STM-0001"]
    assert "never deleted" in doc["violations"][0]
    code, out, _ = run_cli("diff", "HEAD~1", "HEAD", "--package", str(repo))
    assert "DELETED: STM-0001" in out


def _edit_schema(repo: Path, name: str, fn) -> None:  # noqa: ANN001
    p = repo / "schemas" / f"{name}.json"
    doc = json.loads(p.read_text())
    fn(doc)
    p.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


@pytest.mark.parametrize(
    ("edit", "kind", "bump"),
    [
        pytest.param(lambda d: d["fields"][6]["constraints"]["enum"].append("museum"), "enum-values-added", "minor", id="enum-values-added"),
        pytest.param(lambda d: d["fields"][6]["constraints"]["enum"].remove("other"), "enum-values-removed", "major", id="enum-values-removed"),
        pytest.param(lambda d: d["fields"][4].update(type="date"), "type-changed", "major", id="type-changed"),
        pytest.param(lambda d: d.update(primaryKey=["url"]), "primary-key-changed", "major", id="primary-key-changed"),
        pytest.param(lambda d: d["fields"][2].update(description="Reworded."), "field-documentation-changed", "patch", id="documentation"),
    ],
)
def test_schema_changes(repo: Path, edit, kind: str, bump: str) -> None:  # noqa: ANN001
    _edit_schema(repo, "sources", edit)  # fields: 4 published, 6 kind
    _commit(repo)
    code, out, _ = run_cli("diff", "HEAD~1", "HEAD", "--package", str(repo), "--format", "json")
    doc = json.loads(out)
    assert code == 1
    assert [(s["kind"], s["bump"]) for s in doc["schema"]] == [(kind, bump)]
    assert doc["bump"] == bump


def test_field_and_resource_removed_is_major(repo: Path) -> None:
    _edit_schema(repo, "actors", lambda d: d["fields"].pop(6))  # wikidata_id
    dp = repo / "datapackage.json"
    desc = json.loads(dp.read_text())
    desc["resources"] = [r for r in desc["resources"] if r["name"] != "statements"]
    dp.write_text(json.dumps(desc, indent=2) + "\n")
    _commit(repo)
    code, out, _ = run_cli("diff", "HEAD~1", "HEAD", "--package", str(repo))
    assert code == 1
    assert "schema: actors: field wikidata_id removed (or renamed) [major]" in out
    assert "schema: statements: resource statements removed (or renamed) [major]" in out
    assert "bump: MAJOR" in out


def test_folders_and_working_tree(repo: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(repo, other, ignore=shutil.ignore_patterns(".git"))
    append_row(other / "data" / "sources.csv", {"id": "SRC-0003", "url": "https://example.org/c", "publisher": "X", "language": "en", "kind": "other", "accessed": "2026-11-25"})
    code, out, _ = run_cli("diff", str(repo), str(other), "--format", "json")
    assert code == 1 and json.loads(out)["tables"][0]["added"] == ["SRC-0003"]
    # a revision against the working tree (uncommitted changes)
    set_cell(repo / "data" / "actors.csv", "ACT-0001", "name", "State B")
    code, out, _ = run_cli("diff", "HEAD", str(repo), "--package", str(repo))
    assert code == 1 and "changed: ACT-0001 name: 'State A' -> 'State B'" in out


def test_first_release_against_empty(repo: Path) -> None:
    code, out, _ = run_cli("diff", "EMPTY", "HEAD", "--package", str(repo), "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["bump"] == "minor"
    assert {s["kind"] for s in doc["schema"]} == {"resource-added"}


def test_unknown_revision_is_usage_error(repo: Path) -> None:
    code, _, err = run_cli("diff", "no-such-branch", "HEAD", "--package", str(repo))
    assert code == 2
    assert "is neither a package path, a git revision nor a released version" in err


def test_markdown_escapes_cells(repo: Path) -> None:
    """A pipe or a line break in a cell cannot break the Markdown table of changed cells."""
    set_cell(repo / "data" / "deployments.csv", "DEP-0001", "notes", "a | b\nc")
    _commit(repo)
    code, md, _ = run_cli("diff", "HEAD~1", "HEAD", "--package", str(repo), "--format", "markdown")
    assert code == 1
    row = next(line for line in md.splitlines() if line.startswith("| DEP-0001") and "notes" in line)
    assert re.fullmatch(r"\| DEP-0001 +\| notes +\| Fixture note\. +\| a \\\| b⏎c +\|", row), row
