"""The site in a real browser: Debian's Chromium (no browser download), driven through the
DevTools protocol over a pipe (``--remote-debugging-pipe``: JSON messages ending in NUL on the
browser's file descriptors 3 and 4), with nothing but the standard library. A row page and a
table page render; typing into a table's filter box changes the rows shown."""

from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO, read_csv
from ruven.site import build_site

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars", "--mute-audio"]


def chromium_or_skip() -> str:
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing in CI: .ci/run must install Debian's chromium before the tests")
        pytest.skip("Debian's chromium is not installed here (apt-get install -y chromium); CI installs it and runs this test")
    return chromium


class Browser:
    """A headless Chromium driven over the DevTools protocol through a pipe."""

    def __init__(self, chromium: str, profile: str) -> None:
        # the shell hands our pipes to Chromium as its descriptors 3 (commands in) and 4 (replies out)
        self.proc = subprocess.Popen(
            ["sh", "-c", 'exec "$0" "$@" 3<&0 4>&1 </dev/null >/dev/null', chromium, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.next_id = 0
        self.buffer = b""
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Page.enable", session=True)

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        while b"\0" not in self.buffer:
            chunk = os.read(self.proc.stdout.fileno(), 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict[str, Any] | None = None, *, session: bool = False) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        self.proc.stdin.write(json.dumps(msg).encode() + b"\0")
        self.proc.stdin.flush()
        while True:
            reply = self._read()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str) -> None:
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._read())
        self.events = [e for e in self.events if e.get("method") != method]

    def open(self, url: str, width: int = 1280, height: int = 900, mobile: bool = False) -> None:
        self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}, session=True)
        self.events.clear()
        self.call("Page.navigate", {"url": url}, session=True)
        self.wait_event("Page.loadEventFired")

    def eval(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}, session=True)
        if "exceptionDetails" in result:
            raise RuntimeError(str(result["exceptionDetails"]))
        return result["result"].get("value")

    def type(self, selector: str, text: str) -> None:
        self.eval(f"document.querySelector({json.dumps(selector)}).focus()")
        self.call("Input.insertText", {"text": text}, session=True)

    def screenshot(self, path: Path, full_page: bool = True) -> None:
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            w, h = self.eval("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params["clip"] = {"x": 0, "y": 0, "width": w, "height": min(h, 6000), "scale": 1}
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", params, session=True)["data"]))

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (RuntimeError, OSError, BrokenPipeError):
            pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The real package's site, served on a loopback port by the standard library's server."""
    site = tmp_path_factory.mktemp("browser") / "site"
    build_site(REPO, site, release_dir=None, validate=False)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a, **k: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", site
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = chromium_or_skip()
    with tempfile.TemporaryDirectory(prefix="ruven-chromium-") as profile:
        b = Browser(chromium, profile)
        try:
            yield b
        finally:
            b.close()


def _keep(shot: Path, name: str) -> None:
    folder = os.environ.get("RUVEN_KEEP_SCREENSHOTS")
    if folder:
        shutil.copy2(shot, Path(folder) / name)


def test_a_row_page_renders_in_chromium(served: tuple[str, Path], browser: Browser, tmp_path: Path) -> None:
    base, _ = served
    row = read_csv(REPO / "data" / "deployments.csv")[1]
    browser.open(f"{base}/deployments/{row['id']}/")
    assert row["id"] in browser.eval("document.querySelector('h1').textContent")
    n_sources = browser.eval("document.querySelectorAll('ol.sources > li').length")
    assert n_sources == len(row["source_ids"].split(";"))
    assert browser.eval("getComputedStyle(document.querySelector('.field')).display") == "grid"  # the stylesheet loaded
    assert browser.eval("document.querySelector('#cite-bib').value").startswith("@misc{")
    # built without --base-url, the script writes the permalink as the address the page is read at
    permalink = f"{base}/deployments/{row['id']}/"
    assert browser.eval("document.querySelector('a.permalink').textContent") == permalink
    assert permalink in browser.eval("document.querySelector('#cite-text').value")
    shot = tmp_path / "row.png"
    browser.screenshot(shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    _keep(shot, "site_row.png")
    # at phone width nothing is wider than the screen
    browser.open(f"{base}/deployments/{row['id']}/", width=390, height=844, mobile=True)
    assert browser.eval("document.documentElement.scrollWidth") <= 390
    browser.screenshot(shot)
    _keep(shot, "site_row_phone.png")


def test_filtering_a_table_in_chromium_changes_the_rows_shown(served: tuple[str, Path], browser: Browser, tmp_path: Path) -> None:
    base, _ = served
    live = [r for r in read_csv(REPO / "data" / "deployments.csv") if not r["withdrawn"]]
    browser.open(f"{base}/deployments/")
    visible = "Array.from(document.querySelectorAll('#rows tbody tr')).filter(tr => !tr.hidden).map(tr => tr.cells[0].textContent.trim())"
    assert browser.eval(visible) == [r["id"] for r in live]
    assert browser.eval("document.querySelector('form.filter').hidden") is False  # the script shows the filter
    target = live[len(live) // 2]
    browser.type("#filter", target["id"])
    assert browser.eval(visible) == [target["id"]]
    assert browser.eval("document.getElementById('shown').textContent") == f"1 of {len(live)} rows shown"
    browser.eval("document.getElementById('filter').value = ''; document.getElementById('filter').dispatchEvent(new Event('input'))")
    assert len(browser.eval(visible)) == len(live)
    # sorting: the first column heading is a button; a second click sorts by id descending
    browser.eval("document.querySelector('#rows thead th button').click(); document.querySelector('#rows thead th button').click()")
    assert browser.eval(visible) == sorted((r["id"] for r in live), reverse=True)
    shot = tmp_path / "table.png"
    browser.screenshot(shot, full_page=False)
    assert shot.stat().st_size > 20_000
    _keep(shot, "site_table.png")
    browser.open(f"{base}/")
    assert browser.eval("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")  # the charts load
    browser.screenshot(shot)
    _keep(shot, "site_home.png")
