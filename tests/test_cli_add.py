"""`ruven add`: --set/--json/--dry-run, refusals with the field's error (file untouched),
interactive prompts generated from the schema, and concurrent adds losing no row."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO, _Entry, read_csv, run_cli

GOOD_DEP = {
    "start_date": "2019-05",
    "actor_id": "ACT-0002",
    "personnel_kind": "aircrew",
    "status": "arrived",
    "confidence": "reported",
    "count_in_totals": "true",
    "summary": "Test row.",
    "source_ids": "SRC-0001",
}


def _sets(values: dict[str, str]) -> list[str]:
    out: list[str] = []
    for k, v in values.items():
        out += ["--set", f"{k}={v}"]
    return out


def test_add_good_row_keeps_other_bytes(mini: Path) -> None:
    path = mini / "data" / "deployments.csv"
    before = path.read_bytes()
    code, out, _ = run_cli("add", "deployments", "--package", str(mini), *_sets(GOOD_DEP), "--format", "json")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["ok"] is True and doc["written"] is True
    row = doc["rows"][0]
    assert row["id"] == "DEP-0002" and row["line"] == 3
    after = path.read_bytes()
    assert after.startswith(before)  # sorted last: appended, nothing else changed
    assert after[len(before) :] == b"DEP-0002,2019-05,,ACT-0002,aircrew,,,,,,,,,,arrived,reported,true,,Test row.,SRC-0001,,\n"
    code, _, _ = run_cli("fmt", "--check", "--package", str(mini))
    assert code == 0


def test_add_inserts_at_id_place_without_touching_other_lines(mini: Path) -> None:
    """A non-canonical file (CRLF, rows out of order, a quoted cell) keeps every other byte."""
    path = mini / "data" / "actors.csv"
    lines = path.read_text().splitlines()
    header, rows = lines[0], lines[1:]
    odd = [rows[3], rows[0], '"ACT-0007",Quoted,,state,VE,,,"A, b"']
    path.write_bytes(("\r\n".join([header, *odd]) + "\r\n").encode())
    before = path.read_bytes()
    code, out, _ = run_cli("add", "actors", "--package", str(mini), "--set", "id=ACT-0005", "--set", "name=New actor", "--set", "kind=company", "--set", "country=RU", "--set", "description=Test.", "--layer", "frictionless")
    assert code == 0, out
    after = path.read_bytes()
    new = b"ACT-0005,New actor,,company,RU,,,Test.\r\n"
    assert after.replace(new, b"") == before
    assert after.index(new) == before.index(b'"ACT-0007"')  # before the first greater id


def test_dry_run_writes_nothing(mini: Path) -> None:
    path = mini / "data" / "deployments.csv"
    before = path.read_bytes()
    code, out, _ = run_cli("add", "deployments", "--package", str(mini), *_sets(GOOD_DEP), "--dry-run", "--layer", "frictionless", "--layer", "pandera")
    assert code == 0, out
    assert "dry run: DEP-0002 would be added to data/deployments.csv at line 3" in out
    assert "Test row." in out
    assert path.read_bytes() == before


def test_add_from_json_file(mini: Path, tmp_path: Path) -> None:
    doc = tmp_path / "rows.json"
    doc.write_text(json.dumps([{**GOOD_DEP, "personnel_best": 12, "source_ids": ["SRC-0001", "SRC-0002"]}, GOOD_DEP]))
    code, out, _ = run_cli("add", "deployments", "--package", str(mini), "--json", str(doc), "--format", "json", "--layer", "frictionless", "--layer", "pandera")
    assert code == 0, out
    assert [r["id"] for r in json.loads(out)["rows"]] == ["DEP-0002", "DEP-0003"]
    rows = {r["id"]: r for r in read_csv(mini / "data" / "deployments.csv")}
    assert rows["DEP-0002"]["personnel_best"] == "12" and rows["DEP-0002"]["source_ids"] == "SRC-0001;SRC-0002"


@pytest.mark.parametrize(
    ("field", "value", "code", "layer"),
    [
        pytest.param("personnel_best", "about 100", "type-error", "frictionless", id="type-error"),
        pytest.param("start_date", "3/23/2019", "constraint-error", "frictionless", id="constraint-error-pattern"),
        pytest.param("start_date", "2019-02-30", "invalid-date", "pandera", id="invalid-date"),
        pytest.param("start_date", "2019/2018", "invalid-date", "pandera", id="invalid-date-interval-order"),
        pytest.param("status", "arived", "constraint-error", "frictionless", id="constraint-error-enum"),
        pytest.param("summary", "", "constraint-error", "frictionless", id="constraint-error-required"),
        pytest.param("actor_id", "ACT-0999", "foreign-key", "frictionless", id="foreign-key"),
        pytest.param("source_ids", "SRC-0001;SRC-0999", "foreign-key", "pandera", id="foreign-key-id-list"),
        pytest.param("id", "DEP-0001", "primary-key", "frictionless", id="primary-key"),
        pytest.param("end_date", "2019-01", "date-order", "pandera", id="date-order"),
    ],
)
def test_bad_value_refused_with_field_error(mini: Path, field: str, value: str, code: str, layer: str) -> None:
    """``ruven add`` refuses with the code and layer ``ruven validate`` reports for the same problem."""
    path = mini / "data" / "deployments.csv"
    before = path.read_bytes()
    rc, out, _ = run_cli("add", "deployments", "--package", str(mini), *_sets({**GOOD_DEP, field: value}), "--format", "json", "--layer", "frictionless", "--layer", "pandera")
    assert rc == 1, out
    doc = json.loads(out)
    assert doc["ok"] is False and doc["written"] is False
    hits = [f for f in doc["findings"] if f["field"] == field and f["code"] == code]
    assert hits, doc["findings"]
    assert [f["layer"] for f in hits] == [layer] and [f["severity"] for f in hits] == ["error"]
    assert hits[0]["hint"] and hits[0]["path"] == "data/deployments.csv"
    assert path.read_bytes() == before


def test_refusal_text_names_field_and_hint(mini: Path) -> None:
    rc, out, _ = run_cli("add", "deployments", "--package", str(mini), *_sets({**GOOD_DEP, "personnel_low": "10", "personnel_best": "5"}), "--layer", "frictionless", "--layer", "pandera")
    assert rc == 1
    assert "data/deployments.csv:3:personnel_best:" in out and "hint:" in out
    assert "refused:" in out and "left untouched" in out


def test_existing_problems_do_not_block(mini: Path) -> None:
    """Only findings the new row causes block it: an old bad row elsewhere does not."""
    from conftest import set_cell

    set_cell(mini / "data" / "investments.csv", "INV-0001", "stake_percent", "120")
    code, out, _ = run_cli("add", "deployments", "--package", str(mini), *_sets(GOOD_DEP), "--layer", "frictionless")
    assert code == 0, out


def test_unknown_field_and_table_are_usage_errors(mini: Path) -> None:
    code, _, err = run_cli("add", "deployments", "--package", str(mini), "--set", "colour=red")
    assert code == 2 and "colour" in err
    code, _, err = run_cli("add", "nope", "--package", str(mini), "--set", "a=b")
    assert code == 2 and "deployments" in err


def _answers(resource: str, given: dict[str, list[str]]) -> list[str]:
    """One answer per schema field (Enter for the rest), in schema order."""
    fields = json.loads((REPO / "schemas" / f"{resource}.json").read_text())["fields"]
    out: list[str] = []
    for f in fields:
        out += given.get(f["name"], [""])
    return out


def test_interactive_add_with_a_new_source(mini: Path) -> None:
    source = _answers(
        "sources",
        {"url": ["https://example.org/new-page"], "publisher": ["Example daily"], "language": ["english", "en"], "kind": ["2"], "accessed": ["2026-11-25"]},
    )
    dep = _answers(
        "deployments",
        {
            "start_date": ["3/23/2019", "2019-02-30", "2019-05-01"],
            "actor_id": ["?force", "ACT-0002"],
            "personnel_kind": ["5"],
            "personnel_best": ["about 40", "40"],
            "status": ["arrived"],
            "confidence": ["reported"],
            "count_in_totals": ["yes", "true"],
            "summary": ["Interactive test row."],
            "source_ids": ["SRC-0001;+", *source],
        },
    )
    result = CliRunner().invoke(_Entry(), ["add", "deployments", "--package", str(mini), "--layer", "frictionless", "--layer", "pandera"], input="\n".join([*dep, "y"]) + "\n", catch_exceptions=False)
    assert result.exit_code == 0, result.stderr + result.stdout
    err = result.stderr
    # prompts generated from the schema: titles, descriptions, enum meanings, proposed id
    assert "Start date (start_date, required)" in err and "EDTF date" in err
    assert "aircrew: Crews of visiting military aircraft." in err
    assert "[DEP-0002]" in err and "[SRC-0003]" in err
    # each answer checked as typed
    assert "'3/23/2019' is not an EDTF date" in err
    assert "'2019-02-30' is not a valid date" in err
    assert "'about 40' is not a valid integer" in err
    assert "'yes' is not a valid boolean" in err
    assert "'english' is not a two-letter" in err
    assert "ACT-0002  Force A" in err  # ?force searched actors
    assert "added SRC-0003 to data/sources.csv" in result.stdout
    assert "added DEP-0002 to data/deployments.csv" in result.stdout
    dep_rows = {r["id"]: r for r in read_csv(mini / "data" / "deployments.csv")}
    assert dep_rows["DEP-0002"]["source_ids"] == "SRC-0001;SRC-0003"
    assert dep_rows["DEP-0002"]["personnel_kind"] == "aircrew"
    src = {r["id"]: r for r in read_csv(mini / "data" / "sources.csv")}
    assert src["SRC-0003"]["kind"] == "newspaper" and src["SRC-0003"]["language"] == "en"


def test_interactive_declined_writes_nothing(mini: Path) -> None:
    path = mini / "data" / "deployments.csv"
    before = path.read_bytes()
    dep = _answers("deployments", {k: [v] for k, v in GOOD_DEP.items()})
    result = CliRunner().invoke(_Entry(), ["add", "deployments", "--package", str(mini)], input="\n".join([*dep, "n"]) + "\n", catch_exceptions=False)
    assert result.exit_code == 1
    assert path.read_bytes() == before


def test_concurrent_adds_lose_no_row(mini: Path) -> None:
    exe = Path(sys.executable).parent / "ruven"
    n = 4
    procs = [
        subprocess.Popen(
            [str(exe), "--debug", "add", "sources", "--package", str(mini), "--layer", "frictionless", "--format", "json",
             "--set", f"url=https://example.org/parallel/{i}", "--set", "publisher=Example", "--set", "language=en",
             "--set", "kind=other", "--set", "accessed=2026-11-25"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for i in range(n)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    failed = [err for p, (_, err) in zip(procs, outs, strict=True) if p.returncode != 0]
    assert not failed, failed[0][-3000:]
    ids = sorted(json.loads(o)["rows"][0]["id"] for o, _ in outs)
    assert ids == [f"SRC-{i:04d}" for i in range(3, 3 + n)]
    rows = read_csv(mini / "data" / "sources.csv")
    assert [r["id"] for r in rows] == [f"SRC-{i:04d}" for i in range(1, 3 + n)]
    assert {r["url"] for r in rows} >= {f"https://example.org/parallel/{i}" for i in range(n)}
    code, out, _ = run_cli("fmt", "--check", "--package", str(mini))
    assert code == 0, out
