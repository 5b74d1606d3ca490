"""The command group: --help is instant (no heavy imports), --version, info."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, run_cli

HEAVY = ("pandas", "pandera", "great_expectations", "duckdb", "polars", "frictionless", "matplotlib", "pyarrow")


def test_help_imports_nothing_heavy() -> None:
    code = f"import sys; from ruven.cli import main; rc = main(['--help']); print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "[]"
    assert "Examples:" in proc.stdout


def test_every_command_help_imports_nothing_heavy() -> None:
    from ruven.cli.app import COMMANDS

    code = (
        "import sys\nfrom ruven.cli import main\n"
        f"for c in {sorted(COMMANDS)!r}:\n    main([c, '--help'])\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_each_command_help_has_an_example() -> None:
    from ruven.cli.app import COMMANDS

    for c in COMMANDS:
        code, out, _ = run_cli(c, "-h")
        assert code == 0
        assert "Example" in out, c


def test_version(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tool's number comes from the installed metadata, the data's from the descriptor,
    and the output says which is which."""
    import tomllib
    from importlib.metadata import version

    import ruven

    tool = version("ruven")
    assert tool == tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert ruven.__version__ == tool
    monkeypatch.chdir(REPO)
    code, out, _ = run_cli("--version")
    assert code == 0
    data = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    assert out.splitlines() == [f"ruven tool {tool}", f"data package {data['name']} {data['version']}"]


def test_version_without_a_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RUVEN_PACKAGE", str(tmp_path / "nowhere"))
    code, out, _ = run_cli("--version")
    assert code == 0
    assert out.splitlines()[0] == f"ruven tool {__import__('ruven').__version__}"
    assert out.splitlines()[1].startswith("data package: none found")


def test_info_json() -> None:
    code, out, _ = run_cli("info", "--package", str(REPO), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["ok"] is True and doc["name"] == "ruven"
    names = [r["name"] for r in doc["resources"]]
    assert names == ["sources", "actors", "deployments", "arms_purchases", "investments", "statements", "agreements"]


def test_info_text() -> None:
    code, out, _ = run_cli("info", "--package", str(REPO))
    assert code == 0
    assert "deployments" in out and "Dates covered" in out
    data = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    assert f"data package {data['name']} {data['version']} · licence" in out  # the data's version, labelled as such
