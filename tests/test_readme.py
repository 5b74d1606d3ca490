"""The README opens with the two commands, and CI runs the README's test command."""

from __future__ import annotations

import re

from conftest import REPO


def _commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text)[:2]


def test_readme_opens_with_setup_and_test_commands() -> None:
    setup, test = _commands()
    assert setup.startswith("python3 -m venv .venv") and setup.endswith("ruven validate")
    assert test.startswith("python3 -m venv .venv") and test.endswith("-m pytest")


def test_ci_runs_the_readme_test_command() -> None:
    _, test = _commands()
    assert test in (REPO / ".ci" / "run").read_text(encoding="utf-8")
