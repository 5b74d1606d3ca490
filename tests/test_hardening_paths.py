"""Nothing lost, nothing outside the package: each test reproduces one class of problem that an
adversarial run found (issue: hardening) and holds the fix in place."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import copy_package, git, run_cli, set_cell

RUVEN = [str(Path(sys.executable).parent / "ruven")]
SECRET = "SECRET-OUTSIDE-ROW"
OUTSIDE_CSV = (
    "id,name,name_native,kind,country,parent_id,wikidata_id,description\n"
    f"ACT-0001,{SECRET},,state,RU,,,Outside the package.\n"
)


def sub(*args: str, timeout: float = 60, **kw: object) -> subprocess.CompletedProcess[str]:
    """Run the installed ``ruven`` in a child process (for devices, signals and time limits)."""
    return subprocess.run([*RUVEN, *args], capture_output=True, text=True, timeout=timeout, check=False, **kw)  # type: ignore[call-overload]


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
    proc = sub(*COMMANDS[command](pkg, tmp_path), timeout=90)
    out = proc.stdout + proc.stderr
    assert proc.returncode in (1, 3), out
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


