"""The contributor tooling around the commands: the PR workflow validates against GitHub's
workflow schema (vendored in check-jsonschema, so nothing is downloaded), runs what the README
installs, and the pre-commit hooks and CONTRIBUTING.md name commands that exist."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO

WORKFLOW = REPO / ".github" / "workflows" / "validate.yml"


def _yaml(path: Path) -> dict:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def test_github_workflow_schema_is_vendored() -> None:
    import check_jsonschema

    vendored = Path(check_jsonschema.__file__).parent / "builtin_schemas" / "vendor" / "github-workflows.json"
    assert vendored.is_file()


def test_workflow_validates_against_github_schema_offline(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "check-jsonschema"
    dead = "http://127.0.0.1:9"  # any download attempt would fail
    env = {**os.environ, "HTTP_PROXY": dead, "HTTPS_PROXY": dead, "http_proxy": dead, "https_proxy": dead}
    proc = subprocess.run([str(exe), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # and it rejects a broken workflow (the check is real)
    broken = tmp_path / "broken-workflow.yml"
    broken.write_text("on: pull_request\njobs:\n  x:\n    steps: 3\n")
    proc = subprocess.run([str(exe), "--builtin-schema", "vendor.github-workflows", str(broken)], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1


def test_workflow_runs_the_contributor_checks() -> None:
    wf = _yaml(WORKFLOW)
    trigger = wf["on"] if "on" in wf else wf[True]  # a YAML 1.1 reader turns the key `on` into True
    assert "pull_request" in trigger
    steps = wf["jobs"]["validate"]["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    install = re.search(r'pip install (?:-q )?(-c constraints\.txt -e "\.\[dev,serve\]")', readme)
    assert install and f"pip install {install.group(1)}" in runs
    for cmd in ("ruven fmt --check", "ruven validate --format github", "python -m pytest", 'ruven diff "origin/${{ github.base_ref }}" HEAD --format markdown >> "$GITHUB_STEP_SUMMARY"'):
        assert cmd in runs, cmd
    assert "|| test $? -eq 1" in runs  # differences are not a failure; errors (exit 2, 3) are


def test_pre_commit_hooks_run_fmt_check_and_validate() -> None:
    cfg = _yaml(REPO / ".pre-commit-config.yaml")
    hooks = {h["id"]: h for r in cfg["repos"] for h in r["hooks"]}
    assert hooks["ruven-fmt"]["entry"] == "ruven fmt --check"
    assert hooks["ruven-validate"]["entry"] == "ruven validate"
    assert all(r["repo"] == "local" and h["language"] == "system" for r in cfg["repos"] for h in r["hooks"])


def test_contributing_names_only_existing_commands() -> None:
    from ruven.cli.app import COMMANDS

    text = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    used = set(re.findall(r"(?:`|^)ruven ([a-z]+)\b", text, re.M))
    assert {"add", "fmt", "validate", "diff", "release"} <= used
    assert used <= set(COMMANDS), used - set(COMMANDS)
