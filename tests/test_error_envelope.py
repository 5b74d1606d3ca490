"""The JSON error envelope, for EVERY command in the registry: with ``--format json``, a
failure puts exactly one JSON document on stdout, ``{"ok": false, "error": {code, message,
hint, location}}``, a readable line on stderr, and exits 2 (usage) or 3 (ruven could not do
the job). A command added to the registry without an entry here fails the test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli
from ruven.cli.app import COMMANDS

#: The positional arguments each command needs before its options.
ARGS: dict[str, list[str]] = {
    "add": ["actors"],
    "build": [],
    "chart": [],
    "diff": ["EMPTY", "no-such-revision-or-folder"],
    "docs": [],
    "fmt": [],
    "info": [],
    "query": ["SELECT 1"],
    "release": ["9.9.9"],
    "serve": [],
    "site": [],
    "validate": [],
}


def _envelope(out: str, err: str) -> dict[str, object]:
    doc = json.loads(out)  # exactly one JSON document: json.loads refuses trailing text
    assert set(doc) == {"ok", "error"}, doc
    assert doc["ok"] is False
    error = doc["error"]
    assert isinstance(error, dict) and set(error) == {"code", "message", "hint", "location"}, error
    assert error["code"] and error["message"] and error["hint"], error
    assert err.strip(), "the error is also written to stderr for people"
    return error


def test_every_command_is_covered() -> None:
    assert sorted(ARGS) == sorted(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_missing_package_gives_the_envelope(command: str, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-package"
    code, out, err = run_cli(command, *ARGS[command], "--package", str(missing), "--format", "json")
    error = _envelope(out, err)
    assert code in (2, 3), (code, error)
    if command == "diff":  # NEW is neither a folder nor a revision: a usage error
        assert code == 2 and error["code"] == "usage-error", error
        assert "no-such-revision-or-folder" in str(error["message"])
    else:
        assert code == 3 and error["code"] == "package-error", error
        assert "no-such-package" in str(error["message"]) + str(error["location"])


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("bad", [["--no-such-option"], ["--format=json", "--package"]], ids=["unknown-option", "option-without-value"])
def test_bad_argument_gives_the_envelope(command: str, bad: list[str]) -> None:
    args = [command, *ARGS[command], "--format", "json", *bad] if bad[0] != "--format=json" else [command, *ARGS[command], *bad]
    code, out, err = run_cli(*args)
    error = _envelope(out, err)
    assert code == 2, (code, error)
    assert error["code"] == "usage-error"
