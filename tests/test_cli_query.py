"""`ruven query`: formats, --file, readable errors, the sandbox, the README's questions."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, run_cli


def readme_queries() -> list[str]:
    """The SQL blocks of the README's "Query with SQL" section."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    m = re.search(r"^## Query with SQL\n(.*?)(?=^## )", text, re.S | re.M)
    assert m, "README has no 'Query with SQL' section"
    return re.findall(r"```sql\n(.+?)```", m.group(1), re.S)


def test_json_is_one_document_with_typed_values(mini: Path) -> None:
    code, out, _ = run_cli(
        "query",
        "-p",
        str(mini),
        "--format",
        "json",
        "SELECT id, personnel_best, source_ids, start_date_min FROM deployments",
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["ok"] is True and doc["row_count"] == 1
    assert doc["columns"] == [
        {"name": "id", "type": "VARCHAR"},
        {"name": "personnel_best", "type": "BIGINT"},
        {"name": "source_ids", "type": "VARCHAR[]"},
        {"name": "start_date_min", "type": "DATE"},
    ]
    assert doc["rows"] == [
        {
            "id": "DEP-0001",
            "personnel_best": 100,
            "source_ids": ["SRC-0001", "SRC-0002"],
            "start_date_min": "2019-03-23",
        }
    ]


def test_csv(mini: Path) -> None:
    code, out, _ = run_cli("query", "-p", str(mini), "--format", "csv", "SELECT table_name, id, date_min FROM timeline")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows] == ["ARM-0001", "INV-0001", "AGR-0001", "DEP-0001", "STM-0001"]
    assert rows[0]["date_min"] == "2011-01-01"


def test_markdown(mini: Path) -> None:
    code, out, _ = run_cli(
        "query", "-p", str(mini), "--format", "markdown", "SELECT id, personnel_best, 'a|b' AS x FROM deployments"
    )
    assert code == 0
    assert out.splitlines() == ["| id | personnel_best | x |", "| --- | ---: | --- |", "| DEP-0001 | 100 | a\\|b |"]


def test_table_is_the_default(mini: Path) -> None:
    code, out, _ = run_cli(
        "query", "-p", str(mini), "SELECT speaker_name, speaker_country FROM statements_with_speakers"
    )
    assert code == 0
    assert "speaker_name" in out and "Person A" in out and "US" in out


def test_file(mini: Path, tmp_path: Path) -> None:
    q = tmp_path / "q.sql"
    q.write_text("-- personnel\nSELECT sum(personnel_best) AS n FROM deployments;\n", encoding="utf-8")
    code, out, _ = run_cli("query", "-p", str(mini), "--file", str(q), "--format", "json")
    assert code == 0 and json.loads(out)["rows"] == [{"n": 100}]


@pytest.mark.parametrize(
    "args",
    [pytest.param((), id="no-sql"), pytest.param(("SELECT 1", "--file", "{q}"), id="sql-and-file")],
)
def test_usage_errors_exit_2(mini: Path, tmp_path: Path, args: tuple[str, ...]) -> None:
    q = tmp_path / "q.sql"
    q.write_text("SELECT 1", encoding="utf-8")
    code, _, err = run_cli("query", "-p", str(mini), *(a.format(q=q) for a in args))
    assert code == 2
    assert "usage-error" in err


def test_bad_sql_prints_duckdb_message_and_exits_1(mini: Path) -> None:
    code, out, err = run_cli("query", "-p", str(mini), "SELECT * FROM nowhere")
    assert code == 1
    assert "nowhere" in err and "(query-error)" in err and "hint:" in err
    assert "Traceback" not in err + out
    code, out, _ = run_cli("query", "-p", str(mini), "--format", "json", "SELEC 1")
    assert code == 1
    doc = json.loads(out)
    assert doc["ok"] is False and doc["error"]["code"] == "query-error" and "syntax error" in doc["error"]["message"]


def test_bad_sql_in_a_real_process_has_no_traceback(mini: Path) -> None:
    exe = Path(sys.executable).parent / "ruven"
    proc = subprocess.run(
        [str(exe), "query", "-p", str(mini), "SELECT FROM WHERE"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 1
    assert "Parser Error" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param("SELECT * FROM read_csv('/etc/passwd')", id="read-csv-etc-passwd"),
        pytest.param("COPY (SELECT * FROM sources) TO '{out}'", id="copy-to"),
        pytest.param("COPY sources TO '{out}' (FORMAT parquet)", id="copy-to-parquet"),
    ],
)
def test_sandbox_by_default(mini: Path, tmp_path: Path, sql: str) -> None:
    out = tmp_path / "leak.csv"
    code, stdout, err = run_cli("query", "-p", str(mini), sql.format(out=out))
    assert code == 1
    assert "(query-error)" in err and "--allow-external" in err
    assert "root:" not in stdout
    assert not out.exists()


def test_allow_external_exports(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "timeline.csv"
    code, _, err = run_cli("query", "-p", str(mini), "--allow-external", f"COPY (FROM timeline) TO '{out}'")
    assert code == 0, err
    assert "DEP-0001" in out.read_text(encoding="utf-8")


def test_include_withdrawn(mini: Path) -> None:
    from conftest import set_cell

    set_cell(mini / "data" / "statements.csv", "STM-0001", "withdrawn", "Wrong date.")
    sql = "SELECT count(*) AS n FROM statements"
    assert json.loads(run_cli("query", "-p", str(mini), "--format", "json", sql)[1])["rows"] == [{"n": 0}]
    assert json.loads(run_cli("query", "-p", str(mini), "--format", "json", "--include-withdrawn", sql)[1])["rows"] == [
        {"n": 1}
    ]


def test_readme_has_five_questions_and_each_runs_on_the_real_package() -> None:
    queries = readme_queries()
    assert len(queries) >= 5
    for sql in queries:
        code, out, err = run_cli("query", "-p", str(REPO), "--format", "json", sql)
        assert code == 0, (sql, err)
        assert json.loads(out)["ok"] is True
