"""`ruven release`: refuses each failed precondition (exit 1, nothing written) in a temporary
git repository; otherwise sets the version, dates the changelog and builds."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import append_row, git, git_package, run_cli, set_cell

CHANGELOG = """# Changelog

## [Unreleased]

## [0.1.0] - 2026-01-01

### Added
- The fixture.
"""
TODAY = "2026-12-01"  # one date for every test: validation reports are cached per (files, layers, today)
NEW_ROW = {"id": "ACT-0005", "name": "New", "kind": "company", "country": "RU", "description": "Test."}


def _commit(repo: Path, msg: str = "change") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", msg)


def _unreleased(repo: Path, entry: str = "- `actors`: ACT-0005 added.") -> None:
    p = repo / "CHANGELOG.md"
    p.write_text(p.read_text().replace("## [Unreleased]\n", f"## [Unreleased]\n\n### Added\n{entry}\n"))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """v0.1.0 tagged; then a new row and its changelog entry, committed: ready for 0.2.0."""
    pkg = git_package(tmp_path)
    (pkg / "CHANGELOG.md").write_text(CHANGELOG)
    _commit(pkg, "changelog")
    git(pkg, "tag", "v0.1.0")
    append_row(pkg / "data" / "actors.csv", NEW_ROW)
    _unreleased(pkg)
    _commit(pkg, "add ACT-0005")
    return pkg


def _snapshot(repo: Path) -> dict[str, bytes]:
    return {p.relative_to(repo).as_posix(): p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}


def test_a_clone_without_tags_finds_the_last_release_in_the_history(repo: Path, tmp_path: Path) -> None:
    """A clone has no tags: the last release is the first commit whose datapackage.json has the
    highest version with a dated changelog section for it; that version counts as released."""
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--no-tags", str(repo), str(clone))
    assert git(clone, "tag").strip() == ""
    code, out, _ = run_cli("release", "0.2.0", "--dry-run", "--package", str(clone), "--today", TODAY, "--out", str(tmp_path / "dist"), "--format", "json")
    assert code == 0, out
    plan = json.loads(out)
    released = git(clone, "rev-parse", "HEAD~1").strip()  # the "changelog" commit dated 0.1.0
    assert plan["previous"] == "0.1.0" and plan["tag"] == released and "commit" in plan["since"]
    code, out, _ = run_cli("release", "0.1.1", "--dry-run", "--package", str(clone), "--today", TODAY, "--out", str(tmp_path / "dist"))
    assert code == 1 and "implies MINOR" in out and "release 0.2.0 instead" in out
    code, out, _ = run_cli("release", "0.1.0", "--dry-run", "--package", str(clone), "--today", TODAY, "--out", str(tmp_path / "dist"))
    assert code == 1 and "0.1.0 was released already" in out


def test_dry_run_says_what_it_would_do(repo: Path, tmp_path: Path) -> None:
    before = _snapshot(repo)
    code, out, _ = run_cli("release", "0.2.0", "--dry-run", "--package", str(repo), "--today", TODAY, "--out", str(tmp_path / "dist"))
    assert code == 0, out
    assert "ok  version: 0.1.0 -> 0.2.0 is the MINOR bump `ruven diff` implies from v0.1.0 (actors: 1 row(s) added)" in out
    assert "set version in datapackage.json: 0.1.0 -> 0.2.0" in out and "## [0.2.0] - 2026-12-01" in out
    assert "git tag v0.2.0" in out
    assert _snapshot(repo) == before
    assert not (tmp_path / "dist").exists()


def test_release_sets_version_dates_changelog_and_builds(repo: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "dist"
    code, out, _ = run_cli("release", "0.2.0", "--package", str(repo), "--today", TODAY, "--out", str(out_dir), "--format", "json")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["ok"] is True and doc["done"] is True
    assert json.loads((repo / "datapackage.json").read_text())["version"] == "0.2.0"
    cl = (repo / "CHANGELOG.md").read_text()
    assert "## [Unreleased]\n\n## [0.2.0] - 2026-12-01\n\n### Added\n- `actors`: ACT-0005 added.\n\n## [0.1.0] - 2026-01-01" in cl
    assert (out_dir / "SHA256SUMS").exists() and (out_dir / "ruven-mini-0.2.0.zip").exists()
    code, _, _ = run_cli("fmt", "--check", "--package", str(repo))
    assert code == 0
    # released: the working tree now differs from v0.1.0 only by what 0.2.0 holds
    git(repo, "commit", "-q", "-am", "Release 0.2.0")
    git(repo, "tag", "v0.2.0")
    code, out, _ = run_cli("release", "0.2.1", "--dry-run", "--package", str(repo), "--today", TODAY)
    assert code == 1 and "nothing changed since v0.2.0" in out


def _bad_cell(repo: Path) -> None:
    set_cell(repo / "data" / "deployments.csv", "DEP-0001", "status", "arived")


def _crlf(repo: Path) -> None:
    p = repo / "data" / "actors.csv"
    p.write_bytes(p.read_bytes().replace(b"\n", b"\r\n"))


def _no_entries(repo: Path) -> None:
    (repo / "CHANGELOG.md").write_text(CHANGELOG)


def _both_sections(repo: Path) -> None:
    p = repo / "CHANGELOG.md"
    p.write_text(p.read_text().replace("## [0.1.0]", "## [0.2.0]\n\n- Something.\n\n## [0.1.0]"))


def _no_changelog(repo: Path) -> None:
    (repo / "CHANGELOG.md").unlink()


def _deleted_row(repo: Path) -> None:
    p = repo / "data" / "statements.csv"
    lines = p.read_text().splitlines(keepends=True)
    # STM-0001 deleted and re-added under a new id: valid data, but a deleted row
    p.write_text("".join(line.replace("STM-0001,", "STM-0002,") for line in lines))


@pytest.mark.parametrize(
    ("version", "breaker", "checks", "expect"),
    [
        pytest.param("0.2.0", _bad_cell, "validate", "run `ruven validate`", id="validate"),
        pytest.param("0.2.0", _crlf, "fmt", "run `ruven fmt`", id="fmt"),
        pytest.param("0.1.1", None, "version", "is a PATCH bump, but `ruven diff` from v0.1.0 implies MINOR", id="version-too-small"),
        pytest.param("1.0.0", None, "version", "is a MAJOR bump, but `ruven diff` from v0.1.0 implies MINOR", id="version-too-big"),
        pytest.param("0.3.0", None, "version", "not a single SemVer step", id="version-skipped"),
        pytest.param("0.1.0", None, "version,changelog", "0.1.0 was released already", id="version-tagged"),
        pytest.param("1.0.0", _deleted_row, "version", "row(s) deleted since v0.1.0", id="deleted-row"),
        pytest.param("0.2.0", _no_entries, "changelog", "has no entries for 0.2.0", id="changelog-no-entries"),
        pytest.param("0.2.0", _both_sections, "changelog", "both under ## [Unreleased] and under ## [0.2.0]", id="changelog-both"),
        pytest.param("0.2.0", _no_changelog, "changelog", "there is no CHANGELOG.md", id="changelog-missing"),
    ],
)
def test_refuses_failed_precondition(repo: Path, version: str, breaker: Callable[[Path], None] | None, checks: str, expect: str) -> None:
    check = checks.split(",")[0]
    if breaker:
        breaker(repo)
    before = _snapshot(repo)
    code, out, _ = run_cli("release", version, "--package", str(repo), "--format", "json", "--today", TODAY)
    assert code == 1, out
    doc = json.loads(out)
    failed = {c["name"]: c for c in doc["checks"] if not c["ok"]}
    assert list(failed) == checks.split(","), failed
    assert expect in failed[check]["message"] + " " + failed[check]["hint"]
    assert failed[check]["hint"]
    assert _snapshot(repo) == before


def test_first_release_compares_with_empty_package(tmp_path: Path) -> None:
    pkg = git_package(tmp_path)
    append_row(pkg / "data" / "actors.csv", NEW_ROW)  # same files as `repo`: its validation is reused
    (pkg / "CHANGELOG.md").write_text("# Changelog\n\n## [Unreleased]\n\n### Added\n- Everything.\n")
    git(pkg, "add", "-A")
    git(pkg, "commit", "-q", "-m", "changelog")
    code, out, _ = run_cli("release", "0.2.0", "--dry-run", "--package", str(pkg), "--today", TODAY)
    assert code == 1 and "release 0.1.0 instead" in out and "an empty package" in out
    assert "FAILED  version: 0.0.0 -> 0.2.0 is not a single SemVer step" in out and "refused: 1 precondition(s) failed (version); nothing written" in out
    code, out, _ = run_cli("release", "0.1.0", "--dry-run", "--package", str(pkg), "--today", TODAY)
    assert code == 0, out


def test_refuses_outside_git(tmp_path: Path, repo: Path) -> None:
    plain = tmp_path / "plain"
    shutil.copytree(repo, plain, ignore=shutil.ignore_patterns(".git"))
    code, out, _ = run_cli("release", "0.2.0", "--package", str(plain), "--today", TODAY)
    assert code == 1 and "not in a git repository" in out


def test_bad_version_is_usage_error(repo: Path) -> None:
    code, _, err = run_cli("release", "v0.2", "--package", str(repo))
    assert code == 2 and "MAJOR.MINOR.PATCH" in err


def test_release_regenerates_the_docs_that_carry_the_version(repo: Path, tmp_path: Path) -> None:
    code, _, _ = run_cli("docs", "--package", str(repo))
    assert code == 0
    assert 'version: "0.1.0"' in (repo / "CITATION.cff").read_text()
    _commit(repo, "docs")
    code, out, _ = run_cli("release", "0.2.0", "--package", str(repo), "--today", TODAY, "--out", str(tmp_path / "dist"))
    assert code == 0, out
    assert 'version: "0.2.0"' in (repo / "CITATION.cff").read_text()
    code, out, _ = run_cli("docs", "--check", "--package", str(repo))
    assert code == 0, out
