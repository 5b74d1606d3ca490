"""``ruven validate --watch``: a new report after each edit, from the changed table only, and a
clean stop on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from pathlib import Path

from conftest import RUVEN, set_cell


class Watcher:
    """``ruven validate --watch --format json`` in a child process; one JSON report a line."""

    def __init__(self, pkg: Path, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [*RUVEN, "validate", "--watch", "--package", str(pkg), "--format", "json", "--today", "2026-11-25", *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._new = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._new:
                self.lines.append(line)
                self._new.notify_all()

    def report(self, n: int, timeout: float = 60) -> dict:
        """The n-th report (1-based), waiting for it."""
        with self._new:
            assert self._new.wait_for(lambda: len(self.lines) >= n or self.proc.poll() is not None, timeout), f"no report {n} within {timeout} s"
        assert len(self.lines) >= n, self.proc.stderr.read() if self.proc.stderr else ""
        return json.loads(self.lines[n - 1])

    def stop(self) -> tuple[int, str]:
        self.proc.send_signal(signal.SIGINT)
        rc = self.proc.wait(timeout=30)
        self._reader.join(timeout=10)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        err = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return rc, err


def test_watch_reports_each_edit_and_stops_cleanly_on_ctrl_c(mini: Path, tmp_path: Path) -> None:
    os.environ["RUVEN_CACHE_DIR"] = str(tmp_path / "cache")  # the child inherits it
    w = Watcher(mini, "--layer", "frictionless", "--layer", "pandera")
    try:
        first = w.report(1)
        assert first["ok"] and first["changed"] == []
        line = set_cell(mini / "data" / "arms_purchases.csv", "ARM-0001", "quantity_delivered", "many")
        second = w.report(2)
        assert second["changed"] == ["data/arms_purchases.csv"]
        assert [(f["code"], f["line"]) for f in second["findings"]] == [("type-error", line)]
        # only the changed table was checked again: every table that does not read it came from the cache
        assert "arms_purchases" not in second["summary"]["reused"]["frictionless"]
        assert {"sources", "actors", "deployments"} <= set(second["summary"]["reused"]["frictionless"])
        set_cell(mini / "data" / "arms_purchases.csv", "ARM-0001", "quantity_delivered", "")
        third = w.report(3)
        assert third["ok"]
        (mini / "datapackage.json").write_text("{ not json", encoding="utf-8")  # a descriptor mid-edit
        fourth = w.report(4)
        assert fourth["ok"] is False and fourth["error"]["message"]
    finally:
        rc, err = w.stop()
    assert rc == 3  # the last report: the package could not be read
    assert "Traceback" not in err


def test_ctrl_c_exit_code_is_the_last_reports(mini: Path, tmp_path: Path) -> None:
    os.environ["RUVEN_CACHE_DIR"] = str(tmp_path / "cache")
    set_cell(mini / "data" / "deployments.csv", "DEP-0001", "personnel_best", "lots")
    w = Watcher(mini, "--layer", "frictionless")
    try:
        assert w.report(1)["ok"] is False
    finally:
        rc, err = w.stop()
    assert rc == 1 and "Traceback" not in err
