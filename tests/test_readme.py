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


def test_readme_query_answers_are_the_current_data_s() -> None:
    """The "Five questions" tables are what their queries return on the data as it is (the
    totals among them use only rows counted in totals): bench/readme_answers.py --check."""
    import subprocess
    import sys

    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Five questions") : text.index("**3.")]
    assert section.count("WHERE count_in_totals") == 2  # both totals add up only rows counted in totals
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "readme_answers.py"), "--check"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
