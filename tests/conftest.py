"""Shared test helpers: real files, real libraries, copies in tmp_path."""

from __future__ import annotations

import atexit
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]

# A fresh cache of expectation findings for each test session (subprocesses inherit it), so
# every distinct package a test builds really runs Great Expectations once.
os.environ["RUVEN_CACHE_DIR"] = tempfile.mkdtemp(prefix="ruven-test-cache-")
atexit.register(shutil.rmtree, os.environ["RUVEN_CACHE_DIR"], True)
# Run Great Expectations inside the test process: its import (seconds) is then paid once per
# session instead of once per validation in a child process. test_cli_validate.py covers the
# child-process path explicitly.
os.environ["RUVEN_GE_IN_PROCESS"] = "1"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def copy_package(dest: Path, fixture: str = "mini") -> Path:
    """Copy a fixture package (its data/ and datapackage.json) plus the REAL schemas/ and
    validation/ into ``dest``; returns the package folder. Fixtures never hold their own
    schemas, so they cannot drift from the product's."""
    pkg = dest / fixture
    shutil.copytree(FIXTURES / fixture, pkg)
    for folder in ("schemas", "validation"):
        if (REPO / folder).exists():
            shutil.copytree(REPO / folder, pkg / folder, dirs_exist_ok=True)
    return pkg


def copy_repo_package(dest: Path) -> Path:
    """Copy the real package (descriptor, data, schemas, validation) into ``dest``."""
    pkg = dest / "ruven"
    pkg.mkdir()
    for name in ("datapackage.json", "CHANGELOG.md", "README.md"):
        if (REPO / name).exists():
            shutil.copy2(REPO / name, pkg / name)
    for folder in ("data", "schemas", "validation"):
        if (REPO / folder).exists():
            shutil.copytree(REPO / folder, pkg / folder)
    return pkg


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def set_cell(path: Path, row_id: str, field: str, value: str) -> int:
    """Set one cell of the row with ``id == row_id``; returns the row's CSV line (header = 1)."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    col = header.index(field)
    for i, r in enumerate(rows[1:], start=2):
        if r[0] == row_id:
            r[col] = value
            with path.open("w", encoding="utf-8", newline="") as fh:
                csv.writer(fh, lineterminator="\n").writerows(rows)
            return i
    raise KeyError(row_id)


def append_row(path: Path, values: dict[str, str]) -> int:
    """Append a row (missing fields empty); returns its line."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    rows.append([values.get(h, "") for h in header])
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return len(rows)


def load_json(text: str) -> dict:
    return json.loads(text)


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    return copy_package(tmp_path)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The benchmark's synthetic package at 400 rows per fact table, planted errors and all."""
    out = tmp_path_factory.mktemp("synthetic") / "pkg"
    subprocess.run([sys.executable, str(REPO / "bench" / "make_synthetic.py"), "--rows", "400", "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
    return out


def row_findings(pkg: Path, today: object = None) -> list[tuple]:
    """Layers 1 and 2 over ``pkg``, without the cache: (resource, line, field, code, value, message)."""
    import datetime as dt

    from ruven.validate import validate_package

    report = validate_package(pkg, layers=["frictionless", "pandera"], today=today or dt.date(2026, 11, 25), cache=False)
    return [(f.resource, f.line, f.field, f.code, f.value, f.message) for f in report.findings]


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run ``ruven`` in-process through its real entry point; returns (exit code, stdout, stderr)."""
    r = CliRunner()
    result = r.invoke(_Entry(), list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


class _Entry:
    """Adapter so CliRunner drives ``ruven.cli.main`` (our exit-code logic), not the bare group."""

    name = "ruven"

    def main(self, args: list[str], prog_name: str | None = None, **extra: object) -> None:
        from ruven.cli import main

        sys.exit(main(list(args)))


GIT_ENV = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org", "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org"}


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` (a temporary repository of a test); returns stdout."""
    import os
    import subprocess

    env = {**os.environ, **GIT_ENV, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    proc = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
    return proc.stdout


def git_package(dest: Path, fixture: str = "mini") -> Path:
    """A copy of a fixture package as a fresh git repository with one commit."""
    pkg = copy_package(dest, fixture)
    git(pkg, "init", "-q", "-b", "main")
    git(pkg, "add", "-A")
    git(pkg, "commit", "-q", "-m", "fixture")
    return pkg


#: The installed ``ruven`` console script of this environment.
RUVEN = [str(Path(sys.executable).parent / "ruven")]


def sub(*args: str, timeout: float = 60, **kw: object) -> subprocess.CompletedProcess[str]:
    """Run the installed ``ruven`` in a child process (for devices, signals, kills and time limits)."""
    return subprocess.run([*RUVEN, *args], capture_output=True, text=True, timeout=timeout, check=False, **kw)  # type: ignore[call-overload]
