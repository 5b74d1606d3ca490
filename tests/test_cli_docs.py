"""`ruven docs`: codebook, datasheet, README sections and CITATION.cff are generated and checked."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO, append_row, copy_package, copy_repo_package, read_csv, run_cli, set_cell

TOOLS = REPO / ".venv-tools" / "cffconvert"


def _section(text: str, heading: str) -> str:
    """The codebook section of one table (from its `## name` heading to the next)."""
    m = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert m, heading
    return m.group(1)


def test_codebook_lists_every_field_of_every_schema() -> None:
    codebook = (REPO / "docs" / "codebook.md").read_text(encoding="utf-8")
    descriptor = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    for res in descriptor["resources"]:
        schema = json.loads((REPO / res["schema"]).read_text(encoding="utf-8"))
        section = _section(codebook, res["name"])
        for f in schema["fields"]:
            assert re.search(rf"^\| `{re.escape(f['name'])}` +\|", section, re.M), f"{res['name']}.{f['name']} missing from the codebook"
            for value, meaning in f.get("x-ruven", {}).get("values", {}).items():
                assert re.search(rf"^\| `{re.escape(value)}` +\| {re.escape(meaning.replace('|', chr(92) + '|'))} +\|$", section, re.M), (res["name"], f["name"], value)
        for fk in schema.get("foreignKeys", []):
            assert f"`{fk['fields'][0]}` → `{fk['reference']['resource'] or res['name']}." in section


def test_docs_check_passes_on_the_repo() -> None:
    code, out, _ = run_cli("docs", "--check", "--package", str(REPO))
    assert code == 0, out


def test_check_reports_drift_and_the_fix(tmp_path: Path) -> None:
    pkg = copy_repo_package(tmp_path)  # README and CHANGELOG, no docs/ nor CITATION.cff
    code, out, _ = run_cli("docs", "--check", "--package", str(pkg))
    assert code == 1
    assert "out of date: docs/codebook.md" in out and "run `ruven docs`" in out
    assert not (pkg / "docs").exists(), "--check must not write"
    code, out, _ = run_cli("docs", "--package", str(pkg))
    assert code == 0, out
    assert (pkg / "docs" / "codebook.md").exists() and (pkg / "CITATION.cff").exists()
    code, out, _ = run_cli("docs", "--check", "--package", str(pkg), "--format", "json")
    assert code == 0
    assert json.loads(out)["ok"] is True
    # a schema edit makes the codebook (and the README's data dictionary) drift
    schema = pkg / "schemas" / "actors.json"
    schema.write_text(schema.read_text(encoding="utf-8").replace("Stable identifier", "Permanent identifier"), encoding="utf-8")
    doc = json.loads(run_cli("docs", "--check", "--package", str(pkg), "--format", "json")[1])
    assert doc["ok"] is False and doc["fix"] == "ruven docs"
    assert {f["path"] for f in doc["files"] if f["status"] == "would-change"} >= {"docs/codebook.md"}


def test_example_values_come_from_live_rows(tmp_path: Path) -> None:
    pkg = copy_package(tmp_path)
    assert run_cli("docs", "--package", str(pkg))[0] == 0
    section = _section((pkg / "docs" / "codebook.md").read_text(encoding="utf-8"), "deployments")
    assert re.search(r"^\| `location` +\|.*\| `Fixture airport` +\|$", section, re.M)
    set_cell(pkg / "data" / "deployments.csv", "DEP-0001", "withdrawn", "Duplicate of DEP-0002.")
    append_row(pkg / "data" / "deployments.csv", {"id": "DEP-0002", "location": "Second airport", "start_date": "2019"})
    assert run_cli("docs", "--package", str(pkg))[0] == 0
    section = _section((pkg / "docs" / "codebook.md").read_text(encoding="utf-8"), "deployments")
    assert re.search(r"^\| `location` +\|.*\| `Second airport` +\|$", section, re.M)


def test_a_new_row_makes_the_charts_drift_and_docs_redraws_them(tmp_path: Path) -> None:
    pkg = copy_package(tmp_path)
    assert run_cli("docs", "--package", str(pkg))[0] == 0
    png = (pkg / "docs" / "charts" / "timeline.png").read_bytes()
    append_row(pkg / "data" / "deployments.csv", {"id": "DEP-0002", "start_date": "2015", "source_ids": "SRC-0001", "count_in_totals": "true"})
    code, out, _ = run_cli("docs", "--check", "--package", str(pkg))
    assert code == 1 and "out of date: docs/charts/charts.json" in out
    assert run_cli("docs", "--package", str(pkg))[0] == 0
    assert (pkg / "docs" / "charts" / "timeline.png").read_bytes() != png
    assert run_cli("docs", "--check", "--package", str(pkg))[0] == 0


def test_datasheet_figures_are_computed_from_the_data(tmp_path: Path) -> None:
    from ruven.docs.figures import datasheet_figures
    from ruven.package import DataPackage

    pkg = copy_package(tmp_path)
    before = datasheet_figures(DataPackage.load(pkg))
    assert before["single_source"] == {**before["single_source"], "rows": 5, "single_source": 4}
    assert before["date_range"]["min"] == "2011-01-01"
    append_row(pkg / "data" / "statements.csv", {"id": "STM-0002", "date": "2025-07", "source_ids": "SRC-0001", "confidence": "disputed"})
    after = datasheet_figures(DataPackage.load(pkg))
    assert after["single_source"]["single_source"] == 5
    assert after["date_range"]["max"] == "2025-07-31"
    assert [c for c in after["confidence"] if c["table"] == "statements"][0]["disputed"] == 1
    assert {lang["language"] for lang in after["languages"]} == {"en", "es"}
    kinds = {k["kind"]: k["sources"] for k in after["sources"]["by_kind"]}
    assert kinds == {"news-agency": 1, "newspaper": 1}
    assert 2025 in after["few_sources_years"]


def test_datasheet_has_the_gebru_sections_and_live_figures() -> None:
    text = (REPO / "docs" / "datasheet.md").read_text(encoding="utf-8")
    for heading in ("Motivation", "Composition", "Collection process", "Preprocessing", "Uses", "Distribution", "Maintenance", "Known gaps and biases"):
        assert re.search(rf"^## {heading}", text, re.M), heading
    from ruven.docs.figures import datasheet_figures
    from ruven.package import DataPackage

    fig = datasheet_figures(DataPackage.load(REPO))
    assert f"The package cites **{fig['sources']['total']}** source pages" in text


def test_state_media_figures_come_from_state_affiliation(mini: Path) -> None:
    """The datasheet counts state media from `sources.state_affiliation`, not from publisher names."""
    from ruven.docs.figures import datasheet_figures
    from ruven.package import DataPackage

    assert datasheet_figures(DataPackage.load(mini))["sources"]["groups"]["state_media"]["sources"] == 0
    set_cell(mini / "data" / "sources.csv", "SRC-0002", "state_affiliation", "RU")
    fig = datasheet_figures(DataPackage.load(mini))
    assert fig["sources"]["state_media"] == [{"country": "RU", "name": "Russian Federation", "sources": 1, "share": 50.0}]
    # STM-0001 and ARM-0001 cite SRC-0002 alone: they rest only on state media
    assert fig["state_media_only"]["state_media_only"] == 2


def test_readme_cli_reference_follows_the_command_registry() -> None:
    from ruven.cli.app import COMMANDS

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ref = readme.split("<!-- BEGIN GENERATED: cli-reference -->")[1].split("<!-- END GENERATED: cli-reference -->")[0]
    assert re.findall(r"^### `ruven (\S+)`$", ref, re.M) == list(COMMANDS)
    assert "Usage: ruven docs [OPTIONS]" in ref


def test_missing_markers_are_a_clear_failure(tmp_path: Path) -> None:
    pkg = copy_repo_package(tmp_path)
    readme = pkg / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace("<!-- END GENERATED: how-to-cite -->", ""), encoding="utf-8")
    code, _, err = run_cli("docs", "--package", str(pkg))
    assert code == 3
    assert "how-to-cite" in err and "hint:" in err


def test_licence_stated_alike_in_readme_descriptor_and_citation() -> None:
    from ruven.citation import licence_statement
    from ruven.package import DataPackage

    pkg = DataPackage.load(REPO)
    statement = licence_statement(pkg)
    assert "CC-BY-4.0" in statement and "https://creativecommons.org/licenses/by/4.0/" in statement
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert statement in readme.split("<!-- BEGIN GENERATED: licence -->")[1]
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["license"] == pkg.license == "CC-BY-4.0"


def test_citation_version_matches_the_descriptor() -> None:
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    descriptor = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    assert cff["version"] == descriptor["version"]
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "dataset"
    assert cff["authors"] == [{"name": "ruven contributors"}]
    assert cff["title"] == descriptor["title"] and cff["abstract"] and cff["keywords"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", cff["date-released"])


def _cffconvert() -> Path:
    """cffconvert in its own venv (it needs jsonschema<4, which frictionless cannot live with)."""
    exe = TOOLS / "bin" / "cffconvert"
    if exe.exists():
        return exe
    # a venv without its own pip, filled by this environment's pip (half the time of ensurepip)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(TOOLS)], check=True, capture_output=True)
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(TOOLS / "bin" / "python"), "install", "-q", "cffconvert==2.0.0"], capture_output=True, text=True)
    if proc.returncode != 0:
        shutil.rmtree(TOOLS, ignore_errors=True)
        if os.environ.get("CI") == "true":
            pytest.fail(f"pip could not install cffconvert into {TOOLS}: {proc.stderr[-1500:]}")
        pytest.skip(f"pip could not install cffconvert into an isolated venv: {proc.stderr.strip().splitlines()[-1:]}")
    return exe


@pytest.mark.slow
def test_citation_cff_passes_cffconvert_validate() -> None:
    exe = _cffconvert()
    proc = subprocess.run([str(exe), "--validate", "--infile", str(REPO / "CITATION.cff")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "valid" in (proc.stdout + proc.stderr).lower()


@pytest.mark.slow
def test_citation_cff_matches_the_vendored_cff_schema() -> None:
    import jsonschema

    _cffconvert()
    schemas = sorted(TOOLS.glob("lib/python*/site-packages/cffconvert/schemas/1.2.0/schema.json"))
    assert schemas, "cffconvert 2.0.0 ships the CFF 1.2.0 JSON schema"
    schema = json.loads(schemas[0].read_text(encoding="utf-8"))
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    jsonschema.validate(cff, schema, format_checker=jsonschema.FormatChecker())
    bad = {**cff, "type": "movie"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_licence_in_the_xlsx_about_sheet_is_the_same_statement(mini: Path, tmp_path: Path) -> None:
    import openpyxl

    from ruven.citation import licence_statement
    from ruven.package import DataPackage
    from ruven.release.build import build, xlsx_step

    result = build(mini, tmp_path / "dist", steps=[xlsx_step])
    wb = openpyxl.load_workbook(result.artifact("xlsx").path, read_only=True)
    about = {row[0]: row[1] for row in wb["About"].iter_rows(values_only=True) if row and row[0]}
    wb.close()
    assert about["Licence"] == licence_statement(DataPackage.load(mini)) == licence_statement(DataPackage.load(REPO))


def test_docs_keep_file_permissions(tmp_path: Path) -> None:
    pkg = copy_repo_package(tmp_path)
    (pkg / "README.md").chmod(0o664)
    code, out, _ = run_cli("docs", "--package", str(pkg))
    assert code == 0, out
    assert (pkg / "README.md").stat().st_mode & 0o777 == 0o664
    assert (pkg / "docs" / "codebook.md").stat().st_mode & 0o777 == 0o644


def test_templates_are_shipped_as_package_data() -> None:
    """The prose templates are package data (an installed ruven can render the docs)."""
    import fnmatch
    import tomllib

    patterns = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]["ruven"]
    root = REPO / "src" / "ruven"
    templates = sorted(p.relative_to(root).as_posix() for p in (root / "docs" / "templates").glob("*.j2"))
    assert templates == ["docs/templates/codebook.md.j2", "docs/templates/datasheet.md.j2"]
    for t in templates:
        assert any(fnmatch.fnmatch(t, pat) for pat in patterns), t


def test_datasheet_figures_from_the_connection_match_the_csv_files() -> None:
    """The figures are read through the typed connection; counted again here straight from
    the CSV files of the real package, they are the same."""
    from ruven.docs.figures import datasheet_figures
    from ruven.package import DataPackage

    pkg = DataPackage.load(REPO)
    fig = datasheet_figures(pkg)
    single = 0
    facts = 0
    for res, t in zip(pkg, fig["tables"], strict=True):
        rows = read_csv(res.path)
        live = [r for r in rows if not (r.get("withdrawn") or "").strip()]
        assert t == {"table": res.name, "rows": len(rows), "live": len(live), "withdrawn": len(rows) - len(live)}
        if res in pkg.fact_tables:
            facts += len(live)
            single += sum(1 for r in live if len([i for i in r["source_ids"].split(";") if i.strip()]) == 1)
    assert (fig["single_source"]["rows"], fig["single_source"]["single_source"]) == (facts, single)
    assert fig["sources"]["total"] == len(read_csv(REPO / "data" / "sources.csv"))
