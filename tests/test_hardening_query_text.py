"""Nothing lost, nothing outside the package: each test reproduces one class of problem that an
adversarial run found (issue: hardening) and holds the fix in place."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import RUVEN, run_cli, set_cell, sub

# ------------------------------------------------------------------ 7. query


def test_explain_analyze_of_a_write_is_refused(mini: Path) -> None:
    code, _, err = run_cli("query", "-p", str(mini), "EXPLAIN ANALYZE DROP TABLE actors")
    assert code == 1 and "read-only" in err  # errors go to stderr in text mode
    code, out, _ = run_cli("query", "-p", str(mini), "SELECT count(*) AS n FROM actors", "--format", "json")
    assert code == 0 and json.loads(out)["rows"][0]["n"] == 4


def test_query_timeout(mini: Path) -> None:
    start = time.monotonic()
    proc = sub("query", "-p", str(mini), "--timeout", "2", "SELECT count(*) FROM range(1000000000000) a", timeout=60)
    assert proc.returncode == 1 and "timeout" in (proc.stdout + proc.stderr).lower()
    assert time.monotonic() - start < 30


def test_json_keeps_duplicate_columns_and_writes_no_nan(mini: Path) -> None:
    code, out, _ = run_cli("query", "-p", str(mini), "SELECT 1 AS x, 2 AS x, 'nan'::DOUBLE AS y, 'inf'::DOUBLE AS z", "--format", "json")
    assert code == 0
    doc = json.loads(out)  # strict JSON: NaN and Infinity are not JSON
    assert "NaN" not in out and "Infinity" not in out
    row = doc["rows"][0]
    assert sorted(row.values(), key=str) == sorted([1, 2, None, None], key=str)
    assert row == {"x": 1, "x_2": 2, "y": None, "z": None}
    assert doc["columns"][1] == {"name": "x_2", "type": "INTEGER", "renamed_from": "x"}


@pytest.mark.parametrize(
    "sql",
    [
        "EXPLAIN ANALYZE DROP TABLE actors",
        "EXPLAIN ANALYSE DROP TABLE actors",
        "EXPLAIN (ANALYZE) DROP TABLE actors",
        "EXPLAIN (FORMAT json, ANALYZE) CREATE TABLE x AS SELECT 1",
        "explain /* a comment */ analyze -- another\n insert into actors select * from actors",
        "EXPLAIN ANALYZE SET threads = 1",
        "EXPLAIN DELETE FROM actors",
        "SELECT 1; DROP TABLE actors",
    ],
)
def test_the_sandbox_judges_what_a_statement_does(mini: Path, sql: str) -> None:
    from ruven.db import connect, run
    from ruven.errors import QueryError

    con = connect(mini, sandbox=True)
    try:
        with pytest.raises(QueryError, match="read-only"):
            run(con, sql)
        assert con.execute("SELECT count(*) FROM actors").fetchone() == (4,)  # nothing ran
    finally:
        con.close()


@pytest.mark.parametrize("sql", ["EXPLAIN SELECT 1", "EXPLAIN ANALYZE SELECT count(*) FROM actors", "EXPLAIN (FORMAT json) FROM actors", "SUMMARIZE actors"])
def test_the_sandbox_runs_reads_and_their_plans(mini: Path, sql: str) -> None:
    from ruven.db import query

    assert query(sql, mini).rows


def test_timeout_stops_every_statement_of_a_script(mini: Path) -> None:
    from ruven.db import query
    from ruven.errors import QueryError

    slow = "SELECT count(*) FROM range(1000000000000) a"
    start = time.monotonic()
    with pytest.raises(QueryError, match=r"timeout of 0.5 seconds.*") as info:
        query(f"{slow}; {slow}; SELECT 1", mini, timeout=0.5)
    assert "--timeout" in info.value.hint
    assert time.monotonic() - start < 20


# ------------------------------------------------------------------ 8. text rules


def test_crlf_inside_a_quoted_cell_is_not_a_file_line_ending(mini: Path) -> None:
    set_cell(mini / "data" / "deployments.csv", "DEP-0001", "notes", "Line one.\r\nLine two.")
    code, out, _ = run_cli("validate", "-p", str(mini), "--format", "json", "--layer", "frictionless", "--layer", "pandera")
    codes = {f["code"] for f in json.loads(out)["findings"]}
    assert "line-endings" not in codes
    assert "control-character" in codes  # the carriage return is the cell's own finding
    fmt_code, fmt_out, fmt_err = run_cli("fmt", "--check", "-p", str(mini))
    assert fmt_code == 0, fmt_out + fmt_err  # fmt agrees: the file's line ends are canonical
    set_cell(mini / "data" / "actors.csv", "ACT-0001", "description", "Trailing space. ")
    fmt_code, fmt_out, fmt_err = run_cli("fmt", "--check", "-p", str(mini))
    assert fmt_code == 1 and "whitespace" in fmt_out + fmt_err and "line ends" not in fmt_out + fmt_err


@pytest.mark.parametrize(
    ("data", "crlf"),
    [
        pytest.param(b'id,notes\nA,"one\r\ntwo"\n', False, id="crlf-in-quoted-cell"),
        pytest.param(b'id,notes\nA,"say ""hi""\r\nthere"\n', False, id="crlf-after-escaped-quote"),
        pytest.param(b'id,notes\r\nA,"one\ntwo"\r\n', True, id="crlf-records"),
        pytest.param(b'id,notes\nA,"x"\r\n', True, id="crlf-after-a-quoted-cell"),
        pytest.param(b'id,notes\r', True, id="cut-between-cr-and-lf"),
        pytest.param(b'id,notes\nA,"open\r', False, id="cut-inside-a-cell"),
    ],
)
def test_crlf_line_ends_outside_quoted_cells(data: bytes, crlf: bool) -> None:
    from ruven.text import crlf_line_ends

    assert crlf_line_ends(data) is crlf


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        pytest.param("-40 C at altitude", False, id="minus-then-words"),
        pytest.param("-5", False, id="negative-number"),
        pytest.param("- a dash and a space", False, id="dash-space"),
        pytest.param("-2+3", True, id="minus-arithmetic"),
        pytest.param("-A1*2", True, id="minus-cell-reference"),
        pytest.param("-SUM(A1:A2)", True, id="minus-function"),
        pytest.param("-cmd|' /C calc'!A0", True, id="minus-dde"),
        pytest.param("=1+1", True, id="equals"),
        pytest.param("+1+1", True, id="plus"),
        pytest.param("@SUM(A1)", True, id="at"),
    ],
)
def test_formula_rule_is_precise(mini: Path, text: str, bad: bool) -> None:
    set_cell(mini / "data" / "deployments.csv", "DEP-0001", "notes", text)
    code, out, _ = run_cli("validate", "-p", str(mini), "--format", "json", "--layer", "pandera")
    hits = [f for f in json.loads(out)["findings"] if f["code"] == "formula-injection"]
    assert bool(hits) == bad, hits


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        *[(t, False) for t in ["-40 C at altitude", "-5", "-5.5", "-1e3", "+5", "- a dash", "-- a note", "-3 to -5 per cent", "-40% of it", "-e.g. this", "-ACT-0005 replaced", "A-1", "plain", ""]],
        *[
            (t, True)
            for t in [
                "=1+1", "=A1", "+1+1", "+A1", "@SUM(A1)", "@handle", "\tA", "\r=1", "-2+3", "- 2+3", "-5*A1", "-2^2",
                "-A1", "-A1*2", "-$A$1", "-A1:A2", "-Sheet1!A1", "-'My sheet'!A1", "-SUM(A1:A2)", "-HYPERLINK(\"x\")",
                "-cmd|' /C calc'!A0", "-(1+2)", "--1", "-+A1", "-=1", "-@x", "-2019-05",
            ]
        ],
    ],
)
def test_is_formula(text: str, bad: bool) -> None:
    from ruven.text import is_formula

    assert is_formula(text) is bad


# ------------------------------------------------------------------ 9. invisible characters


def test_every_invisible_character_is_named() -> None:
    from ruven.text import BIDI_CONTROLS, ZERO_WIDTH, describe, hygiene_problems

    listed = {*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C, *range(0x200B, 0x200E), 0x2060, 0xFEFF}
    assert {ord(c) for c in BIDI_CONTROLS + ZERO_WIDTH} == listed
    for c in BIDI_CONTROLS + ZERO_WIDTH:
        assert hygiene_problems(f"a{c}b") == ["invisible-character"]
        assert describe(c).startswith(f"U+{ord(c):04X} ") and "UNNAMED" not in describe(c)
    assert describe("\u202e") == "U+202E RIGHT-TO-LEFT OVERRIDE"
    assert hygiene_problems("Кириллица, español, 中文 — ok") == []


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\ufeff", "\u2066"])
def test_invisible_characters_are_flagged(mini: Path, char: str) -> None:
    set_cell(mini / "data" / "deployments.csv", "DEP-0001", "notes", f"Fixture{char} note.")
    code, out, _ = run_cli("validate", "-p", str(mini), "--format", "json", "--layer", "pandera")
    hits = [f for f in json.loads(out)["findings"] if f["field"] == "notes"]
    assert code == 1 and hits and f"U+{ord(char):04X}" in hits[0]["message"]
    code, out, _ = run_cli("add", "actors", "-p", str(mini), "--set", f"name=Bad{char}name", "--set", "kind=company", "--set", "country=RU", "--set", "description=x.")
    assert code == 1 and f"U+{ord(char):04X}" in out




def _no_internal_error(out: str) -> None:
    assert "internal-error" not in out and "Traceback" not in out, out


def test_ctrl_c_during_query_exits_130(mini: Path) -> None:
    child = subprocess.Popen([*RUVEN, "query", "-p", str(mini), "SELECT count(*) FROM range(1000000000000) a"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.5)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=30)
    assert child.returncode == 130, (out, err)
    _no_internal_error(out + err)


