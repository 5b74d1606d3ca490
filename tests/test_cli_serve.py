"""`ruven serve`: the SQLite file and Datasette metadata built from the package, the link
renderer, and a real browse of the local server in headless Chromium."""

from __future__ import annotations

import asyncio
import csv
import html
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO, append_row, run_cli, set_cell
from ruven.db import column_comment, views
from ruven.errors import InvalidPackageError
from ruven.package import DataPackage

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def _build(pkg: Path, out: Path) -> dict:
    code, stdout, _ = run_cli("serve", "--package", str(pkg), "--build-only", str(out), "--format", "json")
    assert code == 0, stdout
    return json.loads(stdout)


def test_build_only_writes_a_typed_sqlite_file(mini: Path, tmp_path: Path) -> None:
    doc = _build(mini, tmp_path / "site")
    assert doc["ok"] is True and doc["tables"]["deployments"] == 1
    assert doc["views"] == [v.name for v in views(DataPackage.load(mini))]  # every research view, in load order
    assert {"citations", "timeline", "fact_rows"} <= set(doc["views"])
    con = sqlite3.connect(tmp_path / "site" / "ruven.db")
    row = con.execute(
        "SELECT typeof(personnel_best), personnel_best, typeof(cargo_tonnes), start_date, start_date_min, end_date_max, source_ids FROM deployments"
    ).fetchone()
    assert row == ("integer", 100, "real", "2019-03-23", "2019-03-23", "2019-04-30", "SRC-0001;SRC-0002")
    assert con.execute("SELECT is_translation, spoken_language FROM statements").fetchone() == (1, "en")
    assert con.execute("SELECT count(*) FROM deployments WHERE latitude IS NULL").fetchone() == (1,)
    fks = con.execute("PRAGMA foreign_key_list(deployments)").fetchall()
    assert [(f[2], f[3], f[4]) for f in fks] == [("actors", "actor_id", "id")]
    cites = con.execute("SELECT table_name, row_id, source_id, source_url FROM citations WHERE row_id = 'DEP-0001'").fetchall()
    assert cites == [("deployments", "DEP-0001", "SRC-0001", "https://example.org/a"), ("deployments", "DEP-0001", "SRC-0002", "https://example.org/b")]
    timeline = con.execute("SELECT date_min, date_max, table_name, id, n_sources FROM timeline").fetchall()
    assert timeline[0] == ("2011-01-01", "2012-12-31", "arms_purchases", "ARM-0001", 1)
    assert ("2019-03-23", "2019-04-30", "deployments", "DEP-0001", 2) in timeline


def test_withdrawn_rows_stay_in_tables_but_leave_the_views(mini: Path, tmp_path: Path) -> None:
    set_cell(mini / "data" / "deployments.csv", "DEP-0001", "withdrawn", "Duplicate.")
    _build(mini, tmp_path / "site")
    con = sqlite3.connect(tmp_path / "site" / "ruven.db")
    assert con.execute("SELECT count(*) FROM deployments").fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM timeline WHERE table_name = 'deployments'").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM citations WHERE table_name = 'deployments'").fetchone() == (0,)


def test_metadata_comes_from_the_schemas(mini: Path, tmp_path: Path) -> None:
    _build(mini, tmp_path / "site")
    meta = json.loads((tmp_path / "site" / "metadata.json").read_text(encoding="utf-8"))
    pkg = DataPackage.load(mini)
    assert meta["license"] == "CC-BY-4.0"
    tables = meta["databases"]["ruven"]["tables"]
    for res in pkg:
        t = tables[res.name]
        assert t["description"] == res.description
        assert t["facets"] == [f.name for f in res.fields if f.enum]
        for f in res.fields:
            assert t["columns"][f.name] == column_comment(f)  # the typed connection's comment
            assert f.description in t["columns"][f.name]
    assert tables["timeline"]["facets"] == ["table_name", "confidence"]
    assert tables["timeline"]["columns"]["title"].startswith("A short label")
    assert set(tables) == {r.name for r in pkg} | {v.name for v in views(pkg)}
    assert "source_kind" in tables["citations"]["facets"]


def test_a_new_row_reaches_the_database(mini: Path, tmp_path: Path) -> None:
    append_row(mini / "data" / "statements.csv", {"id": "STM-0002", "date": "2020", "speaker_id": "ACT-0003", "source_ids": "SRC-0001", "quote": "Q."})
    from ruven.serve import build_site

    build_site(mini, tmp_path / "site", validate=False)  # an incomplete row: the data flow, not validation
    con = sqlite3.connect(tmp_path / "site" / "ruven.db")
    assert con.execute("SELECT date_min, date_max FROM timeline WHERE id = 'STM-0002'").fetchone() == ("2020-01-01", "2020-12-31")


def test_id_lists_render_as_links() -> None:
    from ruven.serve import render_id_list

    targets = {"SRC-0001": {"url": "https://example.org/a?x=1&y=2", "title": "A \"page\""}}
    out = render_id_list("SRC-0001;SRC-0999", ";", targets)
    assert out == '<a href="https://example.org/a?x=1&amp;y=2" title="A &quot;page&quot;">SRC-0001</a>; SRC-0999'
    assert render_id_list(None, ";", targets) is None


def test_only_http_urls_become_links(mini: Path, tmp_path: Path) -> None:
    from ruven.serve import build_site, link_targets, render_id_list

    set_cell(mini / "data" / "sources.csv", "SRC-0001", "url", "javascript:alert(1)")
    set_cell(mini / "data" / "sources.csv", "SRC-0002", "title", '<b>"bold"</b>')
    pkg = DataPackage.load(mini)
    with pytest.raises(InvalidPackageError):  # serve validates first
        build_site(pkg, tmp_path / "site")
    site = build_site(pkg, tmp_path / "site", validate=False)  # the renderer must hold on its own too
    targets = link_targets(pkg, site.db_path)
    assert targets["SRC-0001"]["url"] == ""  # not a link: shown as escaped text
    assert targets["SRC-0002"]["url"] == "https://example.org/b"
    out = render_id_list("SRC-0001;SRC-0002;<x>", ";", targets)
    assert out is not None and "javascript" not in out and "<x>" not in out and "&lt;x&gt;" in out
    assert out.startswith("SRC-0001; <a href=\"https://example.org/b\"") and "&lt;b&gt;&quot;bold&quot;&lt;/b&gt;" in out
    assert targets["DEP-0001"]["url"] == "/ruven/deployments/DEP-0001"
    # a URL put in by hand is checked too
    bad = {"SRC-0009": {"url": "data:text/html,<script>", "title": "x"}}
    assert render_id_list("SRC-0009", ";", bad) == "SRC-0009"


def test_serve_titles_are_the_query_titles(mini: Path, tmp_path: Path) -> None:
    import ruven

    _build(mini, tmp_path / "site")
    con = sqlite3.connect(tmp_path / "site" / "ruven.db")
    with ruven.connect(mini) as c:
        want = c.execute("SELECT id, title, summary FROM timeline").fetchall()
    assert con.execute("SELECT id, title, summary FROM timeline").fetchall() == want
    assert ("DEP-0001", "Force A, regular-military, Fixture airport", "Fixture deployment row.") in want


def test_datasette_renders_source_links(mini: Path, tmp_path: Path) -> None:
    pytest.importorskip("datasette", reason="the optional `serve` extra is not installed")
    from ruven.serve import build_site, make_datasette

    pkg = DataPackage.load(mini)
    ds = make_datasette(pkg, build_site(pkg, tmp_path / "site"))

    async def get(path: str) -> tuple[int, str]:
        await ds.invoke_startup()
        r = await ds.client.get(path)
        return r.status_code, r.text

    status, page = asyncio.run(get("/ruven/statements"))
    assert status == 200
    assert '<a href="https://example.org/b"' in page and ">SRC-0002</a>" in page
    assert "Fixture official" in page
    status, page = asyncio.run(get("/ruven/timeline"))
    assert status == 200 and "DEP-0001" in page


def test_serve_without_datasette_exits_3(mini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "datasette", None)  # as if the extra were not installed
    code, _, err = run_cli("serve", "--package", str(mini), "--port", "9")
    assert code == 3
    assert 'pip install -e ".[serve]"' in err


def test_build_only_without_sqlite_utils_exits_3(mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sqlite_utils", None)  # as if the extra were not installed
    code, _, err = run_cli("serve", "--package", str(mini), "--build-only", str(tmp_path / "site"))
    assert code == 3
    assert "sqlite-utils" in err and 'pip install -e ".[serve]"' in err
    assert not (tmp_path / "site" / "ruven.db").exists()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(url: str, proc: subprocess.Popen[bytes], log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"ruven serve exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 - loopback only
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"ruven serve did not answer on {url} within {seconds} s")


def _first_statement_and_source_url() -> tuple[str, str]:
    with (REPO / "data" / "statements.csv").open(encoding="utf-8", newline="") as fh:
        stm = sorted((r for r in csv.DictReader(fh) if not r["withdrawn"]), key=lambda r: r["id"])[0]
    with (REPO / "data" / "sources.csv").open(encoding="utf-8", newline="") as fh:
        urls = {r["id"]: r["url"] for r in csv.DictReader(fh)}
    return stm["id"], urls[stm["source_ids"].split(";")[0]]


@pytest.mark.browser
@pytest.mark.slow
def test_chromium_browses_the_statements_with_source_links(tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing in CI: .ci/run must install Debian's chromium before the tests")
        pytest.skip("Debian's chromium is not installed here (apt-get install -y chromium); CI installs it and runs this test")
    pytest.importorskip("datasette", reason="the optional `serve` extra is not installed")
    stm_id, url = _first_statement_and_source_url()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    exe = Path(sys.executable).parent / "ruven"
    log = tmp_path / "serve.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [str(exe), "serve", "--package", str(REPO), "--host", "127.0.0.1", "--port", str(port)],
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(f"{base}/ruven/statements.json", proc, log)
        with tempfile.TemporaryDirectory(prefix="ruven-chromium-") as profile:
            flags = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1400,1000"]
            dom = subprocess.run([*flags, "--dump-dom", f"{base}/ruven/statements"], capture_output=True, text=True, timeout=120)
            assert dom.returncode == 0, dom.stderr[-2000:]
            page = dom.stdout
            ids = re.findall(r'<td class="col-id type-pk"><a href="/ruven/statements/([^"]+)">', page)
            assert ids and ids[0] == stm_id, page[-3000:]
            cells = re.findall(r'<td class="col-source_ids[^"]*">(.*?)</td>', page, re.S)
            hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', cells[0])]
            assert hrefs[0] == url, (hrefs, url)
            shot = tmp_path / "statements.png"
            taken = subprocess.run([*flags, f"--screenshot={shot}", f"{base}/ruven/statements"], capture_output=True, text=True, timeout=120)
            assert taken.returncode == 0, taken.stderr[-2000:]
        assert shot.stat().st_size > 10_000
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        if os.environ.get("RUVEN_KEEP_SCREENSHOT"):
            shutil.copy2(shot, os.environ["RUVEN_KEEP_SCREENSHOT"])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
