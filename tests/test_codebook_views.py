"""The codebook documents every query view (from the connection) and its research recipes run."""

from __future__ import annotations

import re

import pytest

import ruven
from conftest import REPO
from ruven.db import views
from ruven.package import DataPackage
from ruven.query import query as run_sql


def _section(name: str) -> str:
    text = (REPO / "docs" / "codebook.md").read_text(encoding="utf-8")
    start = text.index(f"\n## {name}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else len(text)]


def _recipes() -> list[str]:
    return re.findall(r"```sql\n(.+?)```", _section("Research recipes"), re.S)


def test_every_view_is_documented_with_its_columns() -> None:
    pkg = DataPackage.load(REPO)
    section = _section("Query views")
    found = re.findall(r"^### (\S+)$", section, re.M)
    assert found == [v.name for v in views(pkg)] and len(found) >= 7
    with ruven.connect(pkg) as con:
        for v in views(pkg):
            part = section[section.index(f"### {v.name}\n") :]
            part = part[: part.find("\n### ", 1)] if "\n### " in part[1:] else part
            (comment,) = con.execute("SELECT comment FROM duckdb_views() WHERE view_name = ?", [v.name]).fetchone()
            assert comment and " ".join(comment.split()) in " ".join(part.split())
            for (column,) in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [v.name]).fetchall():
                assert f"| `{column}` " in part, (v.name, column)


def test_there_are_five_recipes_and_they_use_what_they_teach() -> None:
    sqls = _recipes()
    assert len(sqls) == 5
    joined = "\n".join(sqls)
    for needle in ("count_in_totals", "list_contains(about_ids", "Roszarubezhneft", "citations", "source_state_affiliation"):
        assert needle in joined, needle


@pytest.mark.parametrize("sql", _recipes(), ids=lambda s: s.split("FROM")[1].split()[0])
def test_each_recipe_runs_and_answers(sql: str) -> None:
    result = run_sql(sql, REPO)
    assert result.rows, sql


def test_the_transfer_recipe_shows_rosneft_assets_under_roszarubezhneft() -> None:
    sql = next(s for s in _recipes() if "Roszarubezhneft" in s)
    rows = run_sql(sql, REPO).records()
    investors = [r["investor_name"] for r in rows]
    assert "Rosneft" in investors and "Roszarubezhneft" in investors
    transfer = run_sql("SELECT investor_name, project FROM investments_with_parties WHERE id = 'INV-0042'", REPO).rows
    assert transfer and transfer[0][0] == "Roszarubezhneft" and "Rosneft" in transfer[0][1]
