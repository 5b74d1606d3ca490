"""Nothing lost, nothing outside the package: each test reproduces one class of problem that an
adversarial run found (issue: hardening) and holds the fix in place."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, RUVEN, copy_package, git, run_cli, set_cell, sub

SECRET = "SECRET-OUTSIDE-ROW"
OUTSIDE_CSV = (
    "id,name,name_native,kind,country,parent_id,wikidata_id,description\n"
    f"ACT-0001,{SECRET},,state,RU,,,Outside the package.\n"
)



def _point_actors_at(pkg: Path, path: str) -> None:
    desc = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    for r in desc["resources"]:
        if r["name"] == "actors":
            r["path"] = path
    (pkg / "datapackage.json").write_text(json.dumps(desc, indent=2) + "\n", encoding="utf-8")


def _outside_package(tmp_path: Path, how: str) -> tuple[Path, Path]:
    """A package whose actors resource lies outside its folder; returns (package, outside dir)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "actors.csv").write_text(OUTSIDE_CSV, encoding="utf-8")
    pkg = copy_package(tmp_path / "p")
    if how == "relative":
        _point_actors_at(pkg, "../../outside/actors.csv")
    elif how == "absolute":
        _point_actors_at(pkg, str(outside / "actors.csv"))
    elif how == "symlink":
        (pkg / "data" / "actors.csv").unlink()
        (pkg / "data" / "actors.csv").symlink_to(outside / "actors.csv")
    elif how == "device":
        _point_actors_at(pkg, "/dev/zero")
    git(pkg, "init", "-q", "-b", "main")
    git(pkg, "add", "-A")
    git(pkg, "commit", "-q", "-m", "fixture")
    return pkg, outside


COMMANDS = {
    "validate": lambda pkg, tmp: ["validate", "-p", str(pkg)],
    "query": lambda pkg, tmp: ["query", "-p", str(pkg), "SELECT * FROM actors"],
    "info": lambda pkg, tmp: ["info", "-p", str(pkg)],
    "diff": lambda pkg, tmp: ["diff", str(pkg), str(pkg)],
    "build": lambda pkg, tmp: ["build", "-p", str(pkg), "--out", str(tmp / "dist")],
    "serve": lambda pkg, tmp: ["serve", "-p", str(pkg), "--build-only", str(tmp / "site")],
    "fmt": lambda pkg, tmp: ["fmt", "-p", str(pkg)],
    "add": lambda pkg, tmp: ["add", "actors", "-p", str(pkg), "--set", "name=New", "--set", "kind=company", "--set", "country=RU", "--set", "description=New actor."],
    "docs": lambda pkg, tmp: ["docs", "-p", str(pkg)],
    "release": lambda pkg, tmp: ["release", "0.2.0", "--dry-run", "-p", str(pkg), "--out", str(tmp / "dist")],
}


@pytest.mark.parametrize("how", ["relative", "absolute", "symlink", "device"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_no_command_reads_or_writes_outside_the_package(tmp_path: Path, command: str, how: str) -> None:
    pkg, outside = _outside_package(tmp_path, how)
    before = {p.name: p.read_bytes() for p in outside.iterdir()}
    args = COMMANDS[command](pkg, tmp_path)
    if how == "device":  # a child process: an endless read must hit the time limit, not hang the suite
        proc = sub(*args, timeout=90)
        code, out = proc.returncode, proc.stdout + proc.stderr
    else:
        code, stdout, stderr = run_cli(*args)
        out = stdout + stderr
    assert code in (1, 3), out
    assert "Traceback" not in out and SECRET not in out
    assert ("not a regular file" if how == "device" else "outside the package folder") in out, out
    assert {p.name: p.read_bytes() for p in outside.iterdir()} == before  # nothing written outside
    for artifact in (tmp_path / "dist").glob("*.zip"):
        import zipfile

        assert not [n for n in zipfile.ZipFile(artifact).namelist() if ".." in n or n.startswith("/")]


def test_a_folder_as_a_resource_path_is_a_clear_error(mini: Path) -> None:
    _point_actors_at(mini, "data")
    code, out, err = run_cli("validate", "-p", str(mini), "--format", "json")
    assert code in (1, 3) and "Traceback" not in err
    assert "not a regular file" in out


def test_a_url_resource_path_is_refused_without_a_download(mini: Path) -> None:
    _point_actors_at(mini, "https://example.org/actors.csv")
    code, out, err = run_cli("query", "-p", str(mini), "SELECT 1")
    text = (out + err).lower()
    assert code == 3 and "a url, a remote path" in text and "Traceback" not in err


def test_a_git_revision_with_a_symlink_out_is_refused(tmp_path: Path) -> None:
    """``diff`` against a revision reads files with ``git show``: a committed symlink would give
    its target's name as the file's text; the resolver refuses it (and ``..`` paths) there too."""
    pkg, _ = _outside_package(tmp_path, "symlink")
    code, out, err = run_cli("diff", "HEAD", str(pkg), "-p", str(pkg))
    assert code == 3 and "not a regular file in that revision" in err and SECRET not in out + err
    _point_actors_at(pkg, "../../outside/actors.csv")
    git(pkg, "commit", "-qam", "escape")
    code, out, err = run_cli("diff", "HEAD", "HEAD", "-p", str(pkg))
    assert code == 3 and "outside the package folder" in err and SECRET not in out + err


def test_reads_are_bounded(mini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    set_cell(mini / "data" / "sources.csv", "SRC-0001", "title", "x" * 20_000)  # bigger than any JSON file
    monkeypatch.setenv("RUVEN_MAX_FILE_BYTES", "20000")
    code, _, err = run_cli("query", "-p", str(mini), "SELECT count(*) FROM sources")
    assert code == 3 and "more than the 20,000 ruven reads" in err
    code, out, _ = run_cli("validate", "-p", str(mini), "--format", "json", "--layer", "frictionless")
    assert code == 1 and any("more than the 20,000" in f["message"] and f["code"] == "resource-error" for f in json.loads(out)["findings"])


def test_suites_readme_and_schemas_go_through_the_resolver(mini: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"name": SECRET, "expectations": []}), encoding="utf-8")
    (mini / "validation" / "actors.json").unlink()
    (mini / "validation" / "actors.json").symlink_to(secret)
    code, out, _ = run_cli("validate", "-p", str(mini), "--format", "json", "--layer", "expectations")
    hits = [f for f in json.loads(out)["findings"] if f["code"] == "suite-error"]
    assert code == 1 and hits and "outside the package folder" in hits[0]["message"]
    code, out, err = run_cli("build", "-p", str(mini), "--out", str(tmp_path / "dist"))
    assert code in (1, 3) and SECRET not in out + err and not list((tmp_path / "dist").glob("*.zip"))
    (mini / "validation" / "actors.json").unlink()
    shutil.copy(REPO / "validation" / "actors.json", mini / "validation" / "actors.json")
    desc = json.loads((mini / "datapackage.json").read_text(encoding="utf-8"))
    desc["resources"][1]["schema"] = str(secret)
    (mini / "datapackage.json").write_text(json.dumps(desc, indent=2) + "\n", encoding="utf-8")
    code, out, _ = run_cli("validate", "-p", str(mini), "--format", "json", "--layer", "frictionless")
    hits = [f for f in json.loads(out)["findings"] if f["code"] == "schema-error"]
    assert code == 1 and hits and hits[0]["line"] and "outside the package folder" in hits[0]["message"]
    code, _, err = run_cli("info", "-p", str(mini))
    assert code == 3 and "outside the package folder" in err


def test_no_zip_entry_can_leave_its_folder(tmp_path: Path) -> None:
    import datetime as dt

    from ruven.release.repro import write_zip

    for name in ("ruven-0.2.0/../../x.csv", "/etc/x.csv"):
        with pytest.raises(ValueError, match="unsafe zip entry"):
            write_zip(tmp_path / "a.zip", [(name, b"x")], dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert not list(tmp_path.iterdir())  # and no temp file left


# ------------------------------------------------------------------ 4. links


def test_serve_and_build_validate_first(mini: Path, tmp_path: Path) -> None:
    set_cell(mini / "data" / "sources.csv", "SRC-0001", "url", "javascript:alert(1)")
    code, out, _ = run_cli("serve", "-p", str(mini), "--build-only", str(tmp_path / "site"))
    assert code == 1 and "invalid-url" in out
    assert not (tmp_path / "site" / "ruven.db").exists()
    code, out, _ = run_cli("build", "-p", str(mini), "--out", str(tmp_path / "dist"))
    assert code == 1 and "invalid-url" in out


def test_descriptor_urls_are_checked(mini: Path) -> None:
    desc = json.loads((mini / "datapackage.json").read_text(encoding="utf-8"))
    desc["licenses"][0]["path"] = "javascript:alert(5)"
    (mini / "datapackage.json").write_text(json.dumps(desc, indent=2) + "\n", encoding="utf-8")
    code, out, _ = run_cli("validate", "-p", str(mini), "--format", "json")
    assert code == 1
    hits = [f for f in json.loads(out)["findings"] if f["code"] == "invalid-url"]
    assert hits and hits[0]["path"] == "datapackage.json" and "licenses" in hits[0]["field"]


def test_only_http_urls_become_links_in_serve(mini: Path, tmp_path: Path) -> None:
    from ruven.serve import link_html  # one place turns a URL into a link

    assert link_html("https://example.org/a?b=<c>", "x").startswith('<a href="https://example.org/a?b=&lt;c&gt;"')
    assert "<a" not in link_html("javascript:alert(1)", "x") and "javascript" in link_html("javascript:alert(1)", "x")


def test_descriptor_urls_other_fields(mini: Path, tmp_path: Path) -> None:
    (tmp_path / "LICENSE-outside").write_text("x", encoding="utf-8")
    desc = json.loads((mini / "datapackage.json").read_text(encoding="utf-8"))
    desc["homepage"] = "data:text/html,<script>alert(1)</script>"
    desc["sources"] = [{"title": "x", "path": "../LICENSE-outside"}]
    (mini / "datapackage.json").write_text(json.dumps(desc, indent=2) + "\n", encoding="utf-8")
    code, out, _ = run_cli("validate", "-p", str(mini), "--format", "json", "--layer", "frictionless")
    hits = {f["field"]: f for f in json.loads(out)["findings"] if f["code"] == "invalid-url"}
    assert code == 1 and set(hits) == {"homepage", "sources[0].path"}
    assert "outside the package folder" in hits["sources[0].path"]["message"] and hits["homepage"]["line"]


def test_datasette_licence_link_only_when_http(mini: Path) -> None:
    import ruven
    from ruven.package import DataPackage
    from ruven.serve import datasette_metadata

    desc = json.loads((mini / "datapackage.json").read_text(encoding="utf-8"))
    desc["licenses"][0]["path"] = "javascript:alert(5)"
    (mini / "datapackage.json").write_text(json.dumps(desc, indent=2) + "\n", encoding="utf-8")
    pkg = DataPackage.load(mini)
    with ruven.connect(pkg) as con:
        assert datasette_metadata(pkg, con)["license_url"] == ""


# ------------------------------------------------------------------ 6. temp files


@pytest.mark.parametrize("command", ["add", "fmt", "build"])
def test_killed_writers_leave_whole_files_and_no_temp_files(mini: Path, tmp_path: Path, command: str) -> None:
    set_cell(mini / "data" / "actors.csv", "ACT-0002", "description", "  Needs fmt.  ")
    args = {
        "add": ["add", "actors", "-p", str(mini), "--set", "name=New", "--set", "kind=company", "--set", "country=RU", "--set", "description=New actor."],
        "fmt": ["fmt", "-p", str(mini)],
        "build": ["build", "-p", str(mini), "--out", str(tmp_path / "dist")],
    }[command]
    for delay in (0.05, 0.3, 0.9, 1.8):
        child = subprocess.Popen([*RUVEN, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        child.kill()
        child.wait()
        for p in (mini / "data").glob("*.csv"):
            text = p.read_text(encoding="utf-8")
            assert text.endswith("\n") and text.count("\n") >= 2  # whole: header and rows
    assert sub("validate", "-p", str(mini), "--layer", "frictionless").returncode in (0, 1)
    assert not [p.name for p in (mini / "data").iterdir() if p.suffix == ".tmp" or p.name.startswith(".ruven-")]
    assert not list((tmp_path / "dist").glob(".ruven-*")) if (tmp_path / "dist").exists() else True


def test_temp_files_are_ignored_by_git() -> None:
    from conftest import REPO

    ignore = (REPO / ".gitignore").read_text(encoding="utf-8")
    assert ".ruven-*" in ignore




def test_stale_temp_files_of_dead_writers_are_removed(mini: Path) -> None:
    import tempfile

    from ruven.fs import atomic_path, clean_stale, temp_prefix

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    data = mini / "data"
    mine = data / f"{temp_prefix('actors.csv')}keep.tmp"
    theirs = data / f".ruven-{dead.pid}-actors.csv-x.tmp"
    wal = data / f".ruven-{dead.pid}-ruven.duckdb-y.tmp.wal"
    for p in (mine, theirs, wal):
        p.write_text("half", encoding="utf-8")
    copy = Path(tempfile.gettempdir()) / f"ruven-validate-{dead.pid}-zz"
    (copy / "data").mkdir(parents=True, exist_ok=True)
    run_cli("info", "-p", str(mini))  # any command opening the package
    assert mine.exists() and not theirs.exists() and not wal.exists()
    from ruven.candidate import validate_cached
    from ruven.package import DataPackage

    pkg = DataPackage.load(mini)
    actors = pkg.resource("actors").path
    validate_cached(pkg, {actors: actors.read_text(encoding="utf-8")}, layers=["frictionless"])
    assert not copy.exists()  # the copy of a killed add
    mine.unlink()
    assert clean_stale(data) == []
    with pytest.raises(RuntimeError), atomic_path(data / "x.csv") as tmp:
        tmp.write_text("x", encoding="utf-8")
        raise RuntimeError
    assert not [p.name for p in data.iterdir() if p.name.startswith(".ruven-")]
