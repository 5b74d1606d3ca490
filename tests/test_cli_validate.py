"""`ruven validate`: the real package, one fixture per error class, formats and exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, append_row, run_cli, set_cell


def test_real_package_is_valid() -> None:
    code, out, err = run_cli("validate", "--package", str(REPO), "--format", "json")
    doc = json.loads(out)
    assert code == 0, [f for f in doc["findings"] if f["severity"] == "error"][:5]
    assert doc["ok"] is True
    assert doc["summary"]["errors"] == 0


def test_upstream_frictionless_cli_accepts_the_package() -> None:
    exe = Path(sys.executable).parent / "frictionless"
    proc = subprocess.run([str(exe), "validate", "datapackage.json"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_mini_fixture_is_valid(mini: Path) -> None:
    code, out, _ = run_cli("validate", "--package", str(mini))
    assert code == 0, out
    assert "valid: 0 error(s)" in out


@pytest.mark.parametrize(
    ("resource", "row_id", "field", "value", "code"),
    [
        pytest.param("deployments", "DEP-0001", "personnel_best", "about 100", "type-error", id="type-error"),
        pytest.param("deployments", "DEP-0001", "start_date", "3/23/2019", "constraint-error", id="constraint-error-pattern"),
        pytest.param("deployments", "DEP-0001", "status", "arived", "constraint-error", id="constraint-error-enum"),
        pytest.param("deployments", "DEP-0001", "summary", "", "constraint-error", id="constraint-error-required"),
        pytest.param("deployments", "DEP-0001", "actor_id", "ACT-0999", "foreign-key", id="foreign-key"),
        pytest.param("arms_purchases", "ARM-0001", "financing_id", "INV-0999", "foreign-key", id="foreign-key-investments"),
        pytest.param("actors", "ACT-0002", "parent_id", "ACT-0999", "foreign-key", id="foreign-key-self"),
        pytest.param("investments", "INV-0001", "stake_percent", "120", "constraint-error", id="constraint-error-maximum"),
        pytest.param("statements", "STM-0001", "is_translation", "yes", "type-error", id="type-error-boolean"),
    ],
)
def test_error_class_is_located(mini: Path, resource: str, row_id: str, field: str, value: str, code: str) -> None:
    line = set_cell(mini / "data" / f"{resource}.csv", row_id, field, value)
    rc, out, _ = run_cli("validate", "--package", str(mini), "--format", "json", "--layer", "frictionless")
    assert rc == 1
    doc = json.loads(out)
    hits = [f for f in doc["findings"] if f["code"] == code and f["line"] == line and f["field"] == field]
    assert hits, doc["findings"]
    assert hits[0]["path"] == f"data/{resource}.csv"
    assert hits[0]["hint"]


def test_primary_key_duplicate(mini: Path) -> None:
    path = mini / "data" / "actors.csv"
    line = append_row(path, {"id": "ACT-0001", "name": "Dup", "kind": "state", "country": "VE"})
    rc, out, _ = run_cli("validate", "--package", str(mini), "--format", "json", "--layer", "frictionless")
    assert rc == 1
    codes = [(f["code"], f["line"], f["field"]) for f in json.loads(out)["findings"]]
    assert codes == [("primary-key", line, "id")]  # not also unique-error (report.PRECEDENCE)


def _one_problem(mini: Path, plant: object) -> tuple[list[tuple], int]:
    line = plant(mini / "data")  # type: ignore[operator]
    rc, out, _ = run_cli("validate", "--package", str(mini), "--format", "json", "--today", "2026-11-25", "--no-cache")
    assert rc == 1
    doc = json.loads(out)
    assert doc["layers"] == ["frictionless", "pandera", "expectations"]
    return [(f["code"], f["layer"], f["line"], f["field"]) for f in doc["findings"] if f["severity"] == "error"], line


@pytest.mark.parametrize(
    ("plant", "want"),
    [
        pytest.param(lambda d: append_row(d / "actors.csv", {"id": "ACT-0001", "name": "Dup", "kind": "state", "country": "VE"}), ("primary-key", "frictionless", "id"), id="duplicate-id"),
        pytest.param(lambda d: append_row(d / "actors.csv", {"id": "", "name": "No id", "kind": "state", "country": "VE"}), ("primary-key", "frictionless", "id"), id="missing-id"),
        pytest.param(lambda d: set_cell(d / "deployments.csv", "DEP-0001", "status", "gone"), ("constraint-error", "frictionless", "status"), id="bad-enum"),
        pytest.param(lambda d: set_cell(d / "deployments.csv", "DEP-0001", "source_ids", "SRC-1"), ("constraint-error", "frictionless", "source_ids"), id="malformed-id-in-list"),
        pytest.param(lambda d: set_cell(d / "deployments.csv", "DEP-0001", "personnel_best", "-5"), ("constraint-error", "frictionless", "personnel_best"), id="below-minimum-in-range"),
        pytest.param(lambda d: set_cell(d / "deployments.csv", "DEP-0001", "personnel_best", "about 100"), ("type-error", "frictionless", "personnel_best"), id="not-a-number-in-range"),
        pytest.param(lambda d: set_cell(d / "deployments.csv", "DEP-0001", "personnel_low", "120"), ("range-order", "pandera", "personnel_best"), id="range-low-best"),
        pytest.param(lambda d: set_cell(d / "deployments.csv", "DEP-0001", "personnel_high", "50"), ("range-order", "pandera", "personnel_high"), id="range-best-high"),
        pytest.param(lambda d: [set_cell(d / "deployments.csv", "DEP-0001", "personnel_low", "300"), set_cell(d / "deployments.csv", "DEP-0001", "personnel_high", "5")][0], ("range-order", "pandera", "personnel_best"), id="range-all-three"),
        pytest.param(lambda d: set_cell(d / "arms_purchases.csv", "ARM-0001", "quantity_delivered", "11"), ("delivered-exceeds-ordered", "pandera", "quantity_delivered"), id="delivered-exceeds-ordered"),
    ],
)
def test_one_problem_one_finding(mini: Path, plant: object, want: tuple[str, str, str]) -> None:
    """With all three layers on, one problem gives exactly one error finding."""
    found, line = _one_problem(mini, plant)
    assert found == [(want[0], want[1], line, want[2])]


def test_missing_file(mini: Path) -> None:
    (mini / "data" / "statements.csv").unlink()
    rc, out, _ = run_cli("validate", "--package", str(mini), "--format", "json", "--layer", "frictionless")
    assert rc == 1
    f = [f for f in json.loads(out)["findings"] if f["resource"] == "statements"]
    assert f and f[0]["code"] == "scheme-error" and "does not exist" in f[0]["message"]


def test_malformed_descriptor_exit_3(mini: Path) -> None:
    p = mini / "datapackage.json"
    p.write_text(p.read_text().replace('"name": "ruven-mini",', '"name": "ruven-mini"'))
    rc, out, err = run_cli("validate", "--package", str(mini), "--format", "json")
    assert rc == 3
    doc = json.loads(out)
    assert doc["ok"] is False and doc["error"]["code"] == "package-error"
    assert doc["error"]["location"].endswith(":4:3")  # line:column of the JSON error
    assert "Traceback" not in err


def test_text_format_lines(mini: Path) -> None:
    line = set_cell(mini / "data" / "deployments.csv", "DEP-0001", "actor_id", "ACT-0999")
    rc, out, _ = run_cli("validate", "--package", str(mini), "--layer", "frictionless")
    assert rc == 1
    assert f"data/deployments.csv:{line}:actor_id: ACT-0999 is not in data/actors.csv (foreign-key)" in out
    assert out.strip().splitlines()[-1].startswith("data package ruven-mini 0.1.0: INVALID: 1 error(s)")


def test_github_format(mini: Path) -> None:
    line = set_cell(mini / "data" / "deployments.csv", "DEP-0001", "status", "gone")
    rc, out, _ = run_cli("validate", "--package", str(mini), "--format", "github", "--layer", "frictionless")
    assert rc == 1
    assert f"::error file=data/deployments.csv,line={line},title=constraint-error::status:" in out


def test_json_shape(mini: Path) -> None:
    rc, out, _ = run_cli("validate", "--package", str(mini), "--format", "json", "--layer", "frictionless")
    assert rc == 0
    doc = json.loads(out)
    assert set(doc) >= {"ok", "package", "version", "layers", "summary", "findings"}
    assert set(doc["summary"]) >= {"errors", "warnings", "rows"}
    assert doc["summary"]["rows"]["deployments"] == 1


def test_usage_error_exit_2() -> None:
    rc, _, err = run_cli("validate", "--layer", "nonsense")
    assert rc == 2
    assert "nonsense" in err


def test_no_package_exit_3(tmp_path: Path) -> None:
    rc, _, err = run_cli("validate", "--package", str(tmp_path / "nowhere"))
    assert rc == 3
    assert "no data package" in err


@pytest.mark.parametrize(
    ("content", "code"),
    [
        pytest.param(b"\xef\xbb\xbfid,name\n", "encoding-error", id="bom"),
        pytest.param("id,name\nACT-0001,Caf\xe9\n".encode("latin-1"), "encoding-error", id="latin-1"),
        pytest.param("id,name\n".encode("utf-16"), "encoding-error", id="utf-16"),
        pytest.param(b"", "source-error", id="empty-file"),
        pytest.param(b"id,name\nACT-0001,A\x00B\n", "source-error", id="nul-byte"),
    ],
)
def test_bytes_problems_are_findings(mini: Path, content: bytes, code: str) -> None:
    (mini / "data" / "actors.csv").write_bytes(content)
    rc, out, err = run_cli("validate", "--package", str(mini), "--format", "json", "--layer", "frictionless")
    assert rc == 1, err
    f = [f for f in json.loads(out)["findings"] if f["resource"] == "actors"]
    assert f and f[0]["code"] == code
    assert "Traceback" not in err


@pytest.mark.parametrize("path", ["https://example.org/x.csv", "/etc/passwd", "../outside.csv"])
def test_resource_path_outside_package(mini: Path, path: str) -> None:
    p = mini / "datapackage.json"
    p.write_text(p.read_text().replace('"data/actors.csv"', json.dumps(path)))
    rc, out, _ = run_cli("validate", "--package", str(mini), "--format", "json", "--layer", "frictionless")
    assert rc == 1
    f = [f for f in json.loads(out)["findings"] if f["code"] == "resource-error" and f["path"] == "datapackage.json"]
    assert f and f[0]["line"] and f[0]["field"] == "path"


def test_validation_never_writes(mini: Path) -> None:
    before = {p: p.read_bytes() for p in mini.rglob("*") if p.is_file()}
    run_cli("validate", "--package", str(mini))
    after = {p: p.read_bytes() for p in mini.rglob("*") if p.is_file()}
    assert before == after


def test_copy_of_repo_package_is_valid(tmp_path: Path) -> None:
    from conftest import copy_repo_package

    pkg = copy_repo_package(tmp_path)
    shutil.rmtree(pkg / "validation", ignore_errors=True)
    rc, out, _ = run_cli("validate", "--package", str(pkg), "--layer", "frictionless")
    assert rc == 0, out


HEADER = "id,start_date,end_date,actor_id,personnel_kind,personnel_low,personnel_best,personnel_high,assets,cargo_tonnes,location,latitude,longitude,stated_purpose,status,confidence,count_in_totals,overlaps_ids,summary,source_ids,notes,withdrawn"
ROW = "DEP-0001,2019-03-23,2019-04,ACT-0002,regular-military,99,100,100,Two aircraft,35,Fixture airport,,,Fixture purpose,arrived,confirmed,true,,Fixture deployment row.,SRC-0001;SRC-0002,Fixture note.,"


@pytest.mark.parametrize(
    ("text", "code", "line", "field", "severity"),
    [
        pytest.param(f"{HEADER}\r\n{ROW}\r\n", "line-endings", 1, "", "warning", id="crlf"),
        pytest.param(f"{HEADER}\n{ROW.rsplit(',', 3)[0]}\n", "missing-cell", 2, "notes", "error", id="ragged-short"),
        pytest.param(f"{HEADER}\n{ROW},extra\n", "extra-cell", 2, "", "error", id="ragged-long"),
        pytest.param(f"{HEADER.replace(',withdrawn', '')}\n{ROW[:-1]}\n", "missing-label", 1, "withdrawn", "error", id="missing-header"),
        pytest.param(f"{HEADER},extra\n{ROW},x\n", "extra-label", 1, "extra", "error", id="extra-header"),
        pytest.param(f"{HEADER.replace('end_date', 'start_date')}\n{ROW}\n", "duplicate-label", 1, "end_date", "error", id="duplicate-header"),
        pytest.param(f"{HEADER.replace('assets', 'equipment')}\n{ROW}\n", "incorrect-label", 1, "assets", "error", id="renamed-header"),
        pytest.param(f"{HEADER}\n{ROW.replace('Fixture note.', 'x' * 10_000_000)}\n", "source-error", 2, "notes", "error", id="10mb-cell"),
        pytest.param(HEADER + "\n" + ROW.replace("Fixture note.", '"Fixture note.') + "\n", "source-error", 2, "", "error", id="unbalanced-quote"),
        pytest.param(f"{HEADER}\n{ROW.replace('2019-03-23', '3/23/2019')}\n", "constraint-error", 2, "start_date", "error", id="excel-date"),
        pytest.param(HEADER + "\n" + ROW.replace(",99,", ',"1,500",') + "\n", "type-error", 2, "personnel_low", "error", id="thousands-separator"),
        pytest.param(f"{HEADER}\n{ROW.replace(',99,', ',N/A,')}\n", "type-error", 2, "personnel_low", "error", id="n-a"),
        pytest.param(f"{HEADER}\n\n{ROW}\n", "blank-row", 2, "", "error", id="blank-row"),
    ],
)
def test_bad_input_is_a_located_finding(mini: Path, text: str, code: str, line: int, field: str, severity: str) -> None:
    (mini / "data" / "deployments.csv").write_text(text, encoding="utf-8", newline="")
    rc, out, err = run_cli("validate", "--package", str(mini), "--format", "json", "--today", "2026-11-25", "--layer", "frictionless", "--layer", "pandera")
    assert "Traceback" not in err
    doc = json.loads(out)
    hits = [f for f in doc["findings"] if f["code"] == code and f["resource"] == "deployments"]
    assert any(f["line"] == line and f["field"] == field and f["severity"] == severity for f in hits), doc["findings"][:8]
    assert all(f["hint"] for f in hits)
    assert rc == (0 if severity == "warning" else 1)
    assert all(len(f["value"]) < 1000 for f in doc["findings"])  # huge cells are cut, and say so


def test_bad_files_through_all_three_layers(mini: Path) -> None:
    """Several broken files at once: every layer copes, none raises."""
    d = mini / "data"
    (d / "deployments.csv").write_text(f"{HEADER}\n{ROW.replace('Fixture note.', 'x' * 10_000_000)}\n\n", encoding="utf-8")
    (d / "investments.csv").write_text((d / "investments.csv").read_text().replace(",signed,", ',"signed,'), encoding="utf-8")
    (d / "statements.csv").write_text((d / "statements.csv").read_text().rstrip("\n") + ",extra\n", encoding="utf-8")
    (d / "actors.csv").write_bytes((d / "actors.csv").read_bytes().replace(b"Fixture state", "\u00c9tat".encode("latin-1")))
    rc, out, err = run_cli("validate", "--package", str(mini), "--format", "json", "--today", "2026-11-25")
    assert rc == 1 and "Traceback" not in err
    codes = {(f["resource"], f["code"]) for f in json.loads(out)["findings"]}
    assert {("deployments", "source-error"), ("deployments", "blank-row"), ("investments", "source-error"), ("statements", "extra-cell"), ("actors", "encoding-error")} <= codes


def test_all_layers_one_sorted_report(mini: Path) -> None:
    line = set_cell(mini / "data" / "deployments.csv", "DEP-0001", "personnel_low", "120")
    rc, out, _ = run_cli("validate", "--package", str(mini), "--format", "json", "--today", "2026-11-25")
    assert rc == 1
    doc = json.loads(out)
    assert [(f["layer"], f["code"]) for f in doc["findings"] if f["line"] == line] == [("pandera", "range-order")]  # one problem, one finding
    keys = [(f["path"], f["line"] or -1, f["field"], f["code"]) for f in doc["findings"]]
    assert keys == sorted(keys)
    assert set(doc["summary"]["seconds"]) == {"frictionless", "pandera", "expectations"}


def test_github_format_warning_and_summary(mini: Path) -> None:
    append_row(mini / "data" / "sources.csv", {"id": "SRC-0003", "url": "https://example.org/c", "publisher": "X", "language": "en", "kind": "blog", "accessed": "2026-11-25"})
    rc, out, _ = run_cli("validate", "--package", str(mini), "--format", "github", "--layer", "pandera", "--today", "2026-11-25")
    assert rc == 0
    assert "::warning file=data/sources.csv,line=4,title=uncited-source::" in out
    assert out.strip().splitlines()[-1].startswith("data package ruven-mini 0.1.0: valid: 0 error(s), 1 warning(s)")


def test_findings_are_cached_by_content(mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUVEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("RUVEN_GE_IN_PROCESS")  # also the default path: GE in a child process
    rc, out, _ = run_cli("validate", "--package", str(mini), "--format", "json")
    assert rc == 0 and json.loads(out)["summary"]["cached"] == []
    monkeypatch.setenv("RUVEN_GE_IN_PROCESS", "1")  # the rest needs no second child process
    rc, out, _ = run_cli("validate", "--package", str(mini), "--format", "json")
    assert rc == 0 and json.loads(out)["summary"]["cached"] == ["frictionless", "pandera", "expectations"]
    # one changed byte is another key: every layer runs again and sees the new value
    line = set_cell(mini / "data" / "deployments.csv", "DEP-0001", "personnel_best", "about 100")
    rc, out, _ = run_cli("validate", "--package", str(mini), "--format", "json")
    doc = json.loads(out)
    assert rc == 1 and doc["summary"]["cached"] == []
    assert any(f["code"] == "type-error" and f["line"] == line for f in doc["findings"])
    rc, out, _ = run_cli("validate", "--package", str(mini), "--format", "json", "--no-cache")
    assert rc == 1 and json.loads(out)["summary"]["cached"] == []
    # the date rules depend on today: another --today is another key for that layer
    rc, out, _ = run_cli("validate", "--package", str(mini), "--format", "json", "--today", "2030-01-01")
    assert json.loads(out)["summary"]["cached"] == ["frictionless", "expectations"]


@pytest.mark.parametrize("pattern", ["^DEP-([0-9]{4}$", "^(?=DEP)DEP-[0-9]{4}$"])
def test_a_pattern_the_checks_cannot_run_is_a_located_schema_error(tmp_path: Path, pattern: str) -> None:
    """frictionless lets an unbalanced or look-ahead pattern through; the row checks could not
    run it: a schema-error on the schema's line, exit 1, never an internal error."""
    from conftest import copy_package

    pkg = copy_package(tmp_path)
    schema = pkg / "schemas" / "deployments.json"
    text = schema.read_text(encoding="utf-8")
    assert '"^DEP-[0-9]{4}$"' in text
    schema.write_text(text.replace('"^DEP-[0-9]{4}$"', json.dumps(pattern), 1), encoding="utf-8")
    line = next(i for i, row in enumerate(schema.read_text(encoding="utf-8").splitlines(), start=1) if json.dumps(pattern) in row)
    code, out, err = run_cli("validate", "--package", str(pkg), "--layer", "frictionless", "--layer", "pandera", "--no-cache", "--format", "json")
    assert code == 1, err
    found = [f for f in json.loads(out)["findings"] if f["code"] == "schema-error"]
    assert [(f["path"], f["line"], f["field"], f["value"]) for f in found] == [("schemas/deployments.json", line, "id", pattern)]
    assert "internal-error" not in out + err


def test_descriptor_check_in_a_child_gives_the_in_process_findings(tmp_path: Path) -> None:
    """A cold `ruven validate` has frictionless check the descriptor in a child process (its
    import overlaps the row checks); the findings are those of the check run in-process."""
    from conftest import copy_package
    from ruven.validate import validate_package

    pkg = copy_package(tmp_path)
    schema = pkg / "schemas" / "actors.json"
    doc = json.loads(schema.read_text(encoding="utf-8"))
    doc["fields"][1].setdefault("constraints", {})["maxLength"] = "long"  # the row checks cannot use it either
    schema.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    here = validate_package(pkg, layers=["frictionless", "pandera"], cache=False, in_process=True)
    assert any("maxLength" in f.message for f in here.findings), [f.message for f in here.findings]
    script = (
        "import json, sys\n"
        "from ruven.validate import validate_package\n"
        "r = validate_package(sys.argv[1], layers=['frictionless', 'pandera'], cache=False)\n"
        "assert 'frictionless' not in sys.modules, 'the check ran in this process'\n"
        "print(json.dumps([f.to_dict() for f in r.findings]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(pkg)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [f.to_dict() for f in here.findings]
