"""The end of a ruven process (``ruven.exits``): the console script and the child processes
that validation waits for leave the objects still alive out of the interpreter's last garbage
collections; a caller's own process is left as it was; and nothing they print is lost."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_cli
from ruven.package import DataPackage

#: run first, so that it reports last, once the process is done: how many objects were frozen
REPORT = "import atexit, gc, sys\natexit.register(lambda: sys.stderr.write('frozen %d\\n' % gc.get_freeze_count()))\n"


def _frozen(stderr: str) -> int:
    return int(next(line for line in stderr.splitlines() if line.startswith("frozen ")).split()[1])


def test_the_console_script_freezes_what_is_alive_before_it_exits(mini: Path) -> None:
    code = REPORT + f"sys.argv = ['ruven', 'validate', '--package', {str(mini)!r}, '--format', 'json', '--layer', 'frictionless', '--layer', 'pandera']\nfrom ruven.cli import main\nmain()\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["ok"] is True  # (the whole report, flushed)
    assert _frozen(proc.stderr) > 0


def test_a_caller_of_main_keeps_its_collections() -> None:
    before = gc.get_freeze_count()
    code, out, _ = run_cli("--version")
    assert code == 0 and out
    assert gc.get_freeze_count() == before


def _break_the_descriptor(pkg: Path) -> None:
    schema = pkg / "schemas" / "actors.json"
    schema.write_text(schema.read_text(encoding="utf-8").replace('"type": "string"', '"type": "nonsense"', 1), encoding="utf-8")


def _empty_statements(pkg: Path) -> None:
    path = pkg / "data" / "statements.csv"
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")


@pytest.mark.parametrize(("module", "breaks", "answer_of"), [("ruven.validate.preflight", _break_the_descriptor, lambda doc: doc), ("ruven.validate.expectations", _empty_statements, lambda doc: doc["findings"])], ids=["frictionless-child", "great-expectations-child"])
def test_the_children_validation_waits_for_freeze_and_answer_whole(mini: Path, module: str, breaks: object, answer_of: object) -> None:
    """The child that checks the descriptor with frictionless, and the one that runs Great
    Expectations (whose exit took 0.47 s of the parent's wait before): each freezes, and its
    answer, findings included, reaches the parent whole."""
    breaks(mini)  # type: ignore[operator]
    pkg = DataPackage.load(mini, check_paths=False)
    args = [str(pkg.descriptor_path), ",".join(r.name for r in pkg)] if module.endswith("preflight") else [str(pkg.descriptor_path)]
    code = REPORT + f"import runpy\nsys.argv = ['child', *{args!r}]\nrunpy.run_module({module!r}, run_name='__main__', alter_sys=True)\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, env={**os.environ, "GX_ANALYTICS_ENABLED": "False"})
    assert proc.returncode == 0, proc.stderr
    found = answer_of(json.loads(proc.stdout))  # type: ignore[operator]
    assert found and all(f["code"] for f in found), proc.stdout
    assert _frozen(proc.stderr) > 0
