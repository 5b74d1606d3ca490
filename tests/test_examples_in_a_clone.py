"""Every `--help` example and every README shell command works when copied into a fresh clone
without tags (issue 14): the examples are collected from the help texts themselves and from
the README's ```sh blocks, not from a hand-kept list, and run in order, as a newcomer would,
in one `git clone --no-tags` of this repository.

"Works" means: the command exits 0, or 1 where ruven reports findings (a diff that finds
differences, a release refused with its reasons, an interactive prompt with no one to answer
it); never a usage error (2), a failure (3), an `error:` line or a traceback.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, run_cli
from ruven.cli.app import COMMANDS

#: Commands not run, each with why: they need the network or a browser, or run until Ctrl-C.
EXCEPTED: dict[str, str] = {
    r"pip install": "downloads packages from the package index (network)",
    r"^ruven serve( --port \d+)?$": "starts a web server for a browser and serves until Ctrl-C",
    r"http\.server": "serves the built site to a browser until Ctrl-C (tests/test_site_browser.py serves and opens it)",
    r"^ruven validate --watch$": "validates again on every change until Ctrl-C (tests/test_validate_watch.py drives it)",
}


def _examples(help_text: str) -> list[str]:
    """The commands of the `Examples:` block of a rendered --help: continuation lines joined,
    the description after two or more spaces (or a `#` comment) dropped."""
    lines = help_text.splitlines()
    out: list[str] = []
    for i, line in enumerate(lines):
        if line.strip() != "Examples:":
            continue
        indent = len(line) - len(line.lstrip())
        pending = ""
        for raw in lines[i + 1 :]:
            if not raw.strip() or len(raw) - len(raw.lstrip()) <= indent:
                break
            text = raw.strip()
            if pending:
                text = pending + " " + text
            if text.endswith("\\"):
                pending = text[:-1].rstrip()
                continue
            pending = ""
            out.append(re.split(r"\s{2,}", text)[0].strip())
    return out


def help_examples() -> list[str]:
    commands: list[str] = []
    for args in [(), *((name,) for name in COMMANDS)]:
        code, out, err = run_cli(*args, "--help")
        assert code == 0, err
        found = _examples(out)
        assert found, f"ruven {' '.join(args)} --help has no examples"
        commands += found
    return commands


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```sh\n(.+?)```", text, re.S):
        for line in block.splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                out.append(re.split(r"\s{2,}#", line)[0].strip())
    return out


def test_the_collectors_find_the_examples() -> None:
    examples = help_examples()
    assert "ruven diff v0.1.0 HEAD" in examples  # the one a tagless clone used to refuse
    assert any(e.startswith("ruven add sources --set url=") and e.endswith("--set accessed=2026-11-25") for e in examples)  # joined lines
    assert "ruven validate" in examples and len(examples) >= 35
    readme = readme_commands()
    assert any(c.startswith("python3 -m venv") for c in readme) and "ruven validate --strict" in readme


def _excepted(command: str) -> str | None:
    return next((why for pattern, why in EXCEPTED.items() if re.search(pattern, command)), None)


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs git and a git checkout of the repository")
    dest = tmp_path_factory.mktemp("fresh") / "ruven"
    subprocess.run(["git", "clone", "-q", "--no-tags", str(REPO), str(dest)], check=True, capture_output=True)
    assert subprocess.run(["git", "tag"], cwd=dest, capture_output=True, text=True, check=True).stdout == ""
    return dest


#: Shell syntax that needs bash; a plain `ruven ...` line runs in-process (the same entry point,
#: without paying Python's start and the imports once per line).
SHELL = re.compile(r"[|<>;&$`]|^(?!ruven )")


@pytest.mark.slow
def test_every_example_and_readme_command_works_in_a_fresh_clone_without_tags(clone: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shlex

    bin_dir = str(Path(sys.executable).parent)
    monkeypatch.delenv("RUVEN_PACKAGE", raising=False)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    monkeypatch.chdir(clone)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), "NO_COLOR": "1"}
    commands = list(dict.fromkeys(help_examples() + readme_commands()))  # the README repeats some: run each once
    skipped = {c: why for c in commands if (why := _excepted(c))}
    assert set(skipped.values()) == set(EXCEPTED.values())  # every exception is still needed
    failures = []
    for command in commands:
        if command in skipped:
            continue
        if SHELL.search(command.split(" #")[0]):
            proc = subprocess.run(
                ["bash", "-o", "pipefail", "-c", command], cwd=clone, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180, check=False
            )
            code, said = proc.returncode, proc.stdout + proc.stderr
        else:
            code, out, err = run_cli(*shlex.split(command, comments=True)[1:])
            said = out + err
        if code not in (0, 1) or "Traceback" in said or re.search(r"^(error|Error):", said, re.M):
            failures.append(f"$ {command}\nexit {code}\n{said[-1500:]}")
    assert not failures, "\n\n".join(failures)
    assert (tmp_path / "summary.md").read_text(encoding="utf-8").startswith("## Data changes")  # the PR workflow's job summary
