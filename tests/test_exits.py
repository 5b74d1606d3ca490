"""The end of a ruven process (``ruven.exits``): the console script and the child processes
that validation waits for leave the objects still alive out of the interpreter's last garbage
collections; a caller's own process is left as it was; and nothing they print is lost."""

from __future__ import annotations

import gc
import json
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


@pytest.mark.parametrize("module", ["ruven.validate.preflight", "ruven.validate.expectations"])
def test_the_children_validation_waits_for_freeze_and_answer_whole(mini: Path, module: str) -> None:
    """The child that checks the descriptor with frictionless, and the one that runs Great
    Expectations (whose exit took 0.47 s of the parent's wait before): their answer is whole."""
    pkg = DataPackage.load(mini)
    args = [str(pkg.descriptor_path), ",".join(r.name for r in pkg)] if module.endswith("preflight") else [str(pkg.descriptor_path)]
    code = REPORT + f"import runpy\nsys.argv = ['child', *{args!r}]\nrunpy.run_module({module!r}, run_name='__main__', alter_sys=True)\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, env={**__import__("os").environ, "GX_ANALYTICS_ENABLED": "False"})
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    assert answer == [] if module.endswith("preflight") else answer["findings"] == []
    assert _frozen(proc.stderr) > 0
