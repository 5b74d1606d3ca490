"""``ruven site``: a page for every row, every cited source a link on its row's page, every
internal link resolving, nothing loaded from another host, withdrawn rows with their reason."""

from __future__ import annotations

import csv
import json
import posixpath
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from conftest import REPO, append_row, copy_package, read_csv, run_cli
from ruven.package import DataPackage
from ruven.site import MARKER, build_site


class Page(HTMLParser):
    """Everything a test needs from one page: ids, links (with rel), the resources it loads."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (href, rel) of <a>
        self.resources: list[tuple[str, str, str]] = []  # (tag, attribute, url) of anything a browser loads
        self.headings: list[int] = []
        self.landmarks: set[str] = set()
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append(tag)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.links.append((a["href"], a.get("rel", "")))
        elif tag != "a":
            for attr in ("src", "href", "srcset", "poster", "data", "action", "formaction"):
                if attr in a:
                    self.resources.append((tag, attr, a[attr]))
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.headings.append(int(tag[1]))
        if tag in ("header", "main", "footer", "nav"):
            self.landmarks.add(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(path: Path) -> Page:
    p = Page()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


@pytest.fixture(scope="module")
def real_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site of the real package (validated elsewhere: test_dataset), built once."""
    out = tmp_path_factory.mktemp("real") / "site"
    build_site(REPO, out, release_dir=None, validate=False)
    return out


@pytest.fixture(scope="module")
def mini_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The mini fixture with a withdrawn row, markup in a cell and unsafe links in the changelog,
    built by the real command (validated first)."""
    pkg = copy_package(tmp_path_factory.mktemp("mini"))
    append_row(
        pkg / "data" / "deployments.csv",
        {
            "id": "DEP-0002",
            "start_date": "2008/2009",
            "actor_id": "ACT-0002",
            "personnel_kind": "regular-military",
            "status": "arrived",
            "confidence": "reported",
            "count_in_totals": "false",
            "summary": "Fixture duplicate <script>alert(1)</script>.",
            "source_ids": "SRC-0001",
            "withdrawn": "Duplicate of DEP-0001, which replaces it.",
        },
    )
    (pkg / "CHANGELOG.md").write_text(
        "# Changelog\n\n## [0.1.0] - 2026-01-02\n\n- [evil](javascript:alert(1)) and [a file](docs/x.md) and [outside](https://example.org/x) <b>raw</b>\n",
        encoding="utf-8",
    )
    out = pkg.parent / "site"
    code, stdout, err = run_cli("site", "--package", str(pkg), "--out", str(out), "--release", str(pkg.parent / "no-build"), "--format", "json")
    assert code == 0, err
    doc = json.loads(stdout)
    assert doc["ok"] is True and doc["withdrawn"]["deployments"] == 1
    return pkg, out


# --------------------------------------------------------------------------- a page for every row


def test_every_row_of_the_real_package_has_a_page(real_site: Path) -> None:
    pkg = DataPackage.load(REPO)
    counted = 0
    for res in pkg:
        ids = [r["id"] for r in read_csv(REPO / res.relpath)]  # the CSV itself, not the site's own model
        if res.name == "sources":
            page = parse(real_site / "sources" / "index.html")
            assert set(ids) <= page.ids
            continue
        for rid in ids:
            page = real_site / res.name / rid / "index.html"
            assert page.is_file(), page
            assert rid in page.read_text(encoding="utf-8")
            counted += 1
        index = real_site / res.name / "index.html"
        listed = {_resolve(real_site, index, h)[0] for h, _ in parse(index).links}
        live = [r["id"] for r in read_csv(REPO / res.relpath) if not r.get("withdrawn")]
        assert {real_site / res.name / rid / "index.html" for rid in live} <= listed, res.name
    assert counted > 300


def test_every_cited_source_is_a_link_on_its_row_page(real_site: Path) -> None:
    urls = {r["id"]: r["url"] for r in read_csv(REPO / "data" / "sources.csv")}
    pkg = DataPackage.load(REPO)
    checked = 0
    for res in pkg.fact_tables:
        for row in read_csv(REPO / res.relpath):
            page = parse(real_site / res.name / row["id"] / "index.html")
            links = dict(page.links)
            for sid in row["source_ids"].split(";"):
                url = urls[sid.strip()]
                assert url in links, (row["id"], sid, url)
                assert set(links[url].split()) >= {"noopener", "noreferrer"}
                assert sid.strip() in page.ids  # the source's entry on the page
                checked += 1
    assert checked > 1000


def test_every_field_is_shown_with_its_schema_title(real_site: Path) -> None:
    pkg = DataPackage.load(REPO)
    checked = 0
    for res in pkg.fact_tables:
        rid = read_csv(REPO / res.relpath)[0]["id"]
        text = (real_site / res.name / rid / "index.html").read_text(encoding="utf-8")
        for f in res.fields:
            block = re.search(rf'<div class="field" id="field-{f.name}">(.*?)</div>', text, re.S)
            # a field has its own entry under its title, or (a range's low and high) is named in its best field's entry
            best = next((g.name for g in res.fields if f.name in g.range_members.values()), f.name)
            entry = re.search(rf'<div class="field" id="field-{best}">(.*?)</div>', text, re.S)
            assert entry is not None and f.title.replace("'", "&#39;") in entry.group(1), (res.name, f.name)
            if block is not None and f.enum:  # an enumerated value shows its meaning from the schema
                value = re.search(r'<span class="code">([^<]+)</span>', block.group(1))
                if value is not None:
                    assert f.value_meanings[value.group(1)].replace("'", "&#39;") in block.group(1), (res.name, f.name)
                    checked += 1
    assert checked >= 10


# --------------------------------------------------------------------------- links and hosts


def _resolve(site: Path, page: Path, href: str) -> tuple[Path, str]:
    parts = urlsplit(href)
    rel = page.parent.relative_to(site).as_posix()
    target = posixpath.normpath(posixpath.join(rel, unquote(parts.path))) if parts.path else page.relative_to(site).as_posix()
    path = site / target
    if parts.path.endswith("/") or path.is_dir():
        path = path / "index.html"
    return path, parts.fragment


@pytest.mark.parametrize("which", ["real_site", "mini_site"])
def test_every_internal_link_resolves_and_nothing_comes_from_another_host(which: str, request: pytest.FixtureRequest) -> None:
    site = request.getfixturevalue(which)
    site = site[1] if isinstance(site, tuple) else site
    pages = html_pages(site)
    assert len(pages) > 10
    parsed = {p: parse(p) for p in pages}
    internal = external = 0
    for page, doc in parsed.items():
        assert doc.landmarks >= {"header", "nav", "main", "footer"}, page
        assert doc.headings and doc.headings[0] == 1 and doc.headings.count(1) == 1, page
        assert all(b - a <= 1 for a, b in zip(doc.headings, doc.headings[1:], strict=False)), (page, doc.headings)
        for tag, attr, url in doc.resources:
            parts = urlsplit(url)
            assert not parts.scheme and not parts.netloc and not url.startswith("//"), (page, tag, attr, url)
            target, _ = _resolve(site, page, url)
            assert target.is_file(), (page, url)
        for href, rel in doc.links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc:
                assert parts.scheme in ("http", "https"), (page, href)
                assert set(rel.split()) >= {"noopener", "noreferrer"}, (page, href)
                external += 1
                continue
            target, fragment = _resolve(site, page, href)
            assert target.is_file(), (page, href)
            if fragment:
                ids = parsed[target].ids if target in parsed else set()
                assert fragment in ids, (page, href)
            internal += 1
    assert internal > 20 and external > 0
    for css in site.rglob("*.css"):
        text = css.read_text(encoding="utf-8")
        assert "url(" not in text and "@import" not in text
    for js in site.rglob("*.js"):
        text = js.read_text(encoding="utf-8")
        assert not re.search(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}", text) and "fetch(" not in text and "XMLHttpRequest" not in text and "import(" not in text
    for svg in site.rglob("*.svg"):
        text = svg.read_text(encoding="utf-8")  # namespace names (xmlns="http://...") are names, not loads
        assert not re.search(r'(?:href|src)\s*=\s*["\'](?:https?:)?//|url\(\s*["\']?(?:https?:)?//', text)


def test_table_page_works_without_javascript(real_site: Path) -> None:
    text = (real_site / "deployments" / "index.html").read_text(encoding="utf-8")
    live = [r for r in read_csv(REPO / "data" / "deployments.csv") if not r["withdrawn"]]
    assert text.count("<tr>") == len(live) + 1  # every live row in a plain table, plus the header
    assert '<form class="filter" role="search" hidden>' in text  # the filter appears only with the script
    assert 'href="../files/deployments.csv"' in text and ".xlsx" in text
    assert (real_site / "files" / "deployments.csv").read_bytes() == (REPO / "data" / "deployments.csv").read_bytes()


def test_home_page_shows_version_charts_numbers_cite_and_licence(real_site: Path) -> None:
    pkg = DataPackage.load(REPO)
    text = (real_site / "index.html").read_text(encoding="utf-8")
    assert pkg.version in text and "Numbers at a glance" in text
    assert 'src="charts/timeline.svg"' in text and 'src="charts/arms_by_year.svg"' in text
    assert "@misc{" in text and "How to cite" in text and "creativecommons.org/licenses/by/4.0/" in text
    assert "ruven build" in text  # no release files here: says how to get them
    doc = parse(real_site / "codebook" / "index.html")
    assert {res.name for res in pkg} <= doc.ids  # the codebook's "#deployments" anchors exist


# --------------------------------------------------------------------------- withdrawn rows, escaping


def test_a_withdrawn_row_has_a_page_with_its_reason_and_the_replacing_row(mini_site: tuple[Path, Path]) -> None:
    _, site = mini_site
    page = site / "deployments" / "DEP-0002" / "index.html"
    text = page.read_text(encoding="utf-8")
    assert "This row is withdrawn" in text
    assert 'Duplicate of <a href="../../deployments/DEP-0001/">DEP-0001</a>, which replaces it.' in text
    table = (site / "deployments" / "index.html").read_text(encoding="utf-8")
    assert table.count("<tr>") == 2  # header + the live row only
    assert '<a href="../deployments/DEP-0002/">DEP-0002</a>' in table  # listed under "Withdrawn rows"
    assert "between 2008 and 2009" in text  # an EDTF interval in words


def test_cell_text_and_changelog_links_are_escaped(mini_site: tuple[Path, Path]) -> None:
    _, site = mini_site
    text = (site / "deployments" / "DEP-0002" / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    changelog = (site / "changelog" / "index.html").read_text(encoding="utf-8")
    assert 'href="javascript' not in changelog.replace(" ", "").lower() and 'href="docs/x.md"' not in changelog
    assert '<a href="https://example.org/x" rel="noopener noreferrer">outside</a>' in changelog
    assert "<b>raw</b>" not in changelog and "&lt;b&gt;raw&lt;/b&gt;" in changelog


def test_dates_ranges_and_enum_meanings_in_words(mini_site: tuple[Path, Path]) -> None:
    pkg, site = mini_site
    dep = (site / "deployments" / "DEP-0001" / "index.html").read_text(encoding="utf-8")
    assert "23 March 2019" in dep and "April 2019" in dep
    assert "99 to 100 (best estimate 100)" in dep
    meaning = DataPackage.load(pkg).resources["deployments"].field("status").value_meanings["arrived"]
    assert meaning.replace("'", "&#39;") in dep
    agr = (site / "agreements" / "AGR-0001" / "index.html").read_text(encoding="utf-8")
    assert "between October 2011 and December 2011" in agr
    inv = (site / "investments" / "INV-0001" / "index.html").read_text(encoding="utf-8")
    assert "Agreements naming this row in “Related rows”" in inv and '"../../agreements/AGR-0001/"' in inv
    assert "Statements naming this row in “About”" in dep
    actor = (site / "actors" / "ACT-0002" / "index.html").read_text(encoding="utf-8")
    assert '"../../deployments/DEP-0001/"' in actor  # an actor's page lists the rows naming it
    cite = dep[dep.index("Cite this row") :]
    assert "deployments/DEP-0001/" in cite and "0.1.0" in cite and "@misc{" in cite


# --------------------------------------------------------------------------- the command


def test_site_replaces_its_own_folder_and_refuses_any_other(mini_site: tuple[Path, Path], tmp_path: Path) -> None:
    pkg, _ = mini_site
    out = tmp_path / "site"
    code, _, err = run_cli("site", "--package", str(pkg), "--out", str(out), "--release", str(tmp_path / "none"), "--base-url", "https://owner.github.io/ruven/")
    assert code == 0, err
    assert (out / MARKER).is_file()
    (out / "stale.html").write_text("old", encoding="utf-8")
    code, _, err = run_cli("site", "--package", str(pkg), "--out", str(out), "--release", str(tmp_path / "none"), "--base-url", "https://owner.github.io/ruven/")
    assert code == 0, err
    assert not (out / "stale.html").exists()  # the whole folder was replaced
    assert "https://owner.github.io/ruven/deployments/DEP-0001/" in (out / "deployments" / "DEP-0001" / "index.html").read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".ruven-")] == []  # no temporary folder left
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me", encoding="utf-8")
    code, _, err = run_cli("site", "--package", str(pkg), "--out", str(other))
    assert code == 3 and "is not empty" in err and "hint:" in err
    assert (other / "notes.txt").read_text(encoding="utf-8") == "keep me" and len(list(other.iterdir())) == 1


def test_site_lists_the_release_files_with_their_sha256(mini_site: tuple[Path, Path], tmp_path: Path) -> None:
    import hashlib

    pkg, _ = mini_site
    dist = tmp_path / "dist"
    code, _, err = run_cli("build", "--package", str(pkg), "--out", str(dist), "--skip", "xlsx", "--skip", "parquet", "--skip", "chart")
    assert code == 0, err
    out = tmp_path / "site"
    code, stdout, err = run_cli("site", "--package", str(pkg), "--out", str(out), "--release", str(dist), "--format", "json")
    assert code == 0, err
    listed = {f["name"]: f["sha256"] for f in json.loads(stdout)["release"]}
    home = (out / "index.html").read_text(encoding="utf-8")
    for line in (dist / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ")
        assert listed[name] == digest and digest in home
        assert hashlib.sha256((out / "release" / name).read_bytes()).hexdigest() == digest
    zipped = next(dist.glob("*.zip"))
    zipped.write_bytes(zipped.read_bytes() + b"tampered")
    code, _, err = run_cli("site", "--package", str(pkg), "--out", str(out), "--release", str(dist))
    assert code == 3 and "does not match its SHA-256" in err
    assert (out / "release" / zipped.name).is_file()  # the old site is still there


def test_site_help_has_examples() -> None:
    code, out, _ = run_cli("site", "--help")
    assert code == 0 and "Examples:" in out and "ruven site --out /tmp/site --format json" in out


def test_a_package_that_does_not_validate_gets_no_site(tmp_path: Path) -> None:
    pkg = copy_package(tmp_path)
    with (pkg / "data" / "deployments.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[1][rows[0].index("start_date")] = "not a date"
    with (pkg / "data" / "deployments.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    code, _, _ = run_cli("site", "--package", str(pkg), "--out", str(tmp_path / "site"))
    assert code == 1
    assert not (tmp_path / "site").exists()


def test_build_adds_the_site_as_a_reproducible_zip(mini_site: tuple[Path, Path], tmp_path: Path) -> None:
    import zipfile

    pkg, _ = mini_site
    digests = []
    for n in (1, 2):
        dist = tmp_path / f"dist{n}"
        code, stdout, err = run_cli("build", "--package", str(pkg), "--out", str(dist), "--skip", "xlsx", "--skip", "parquet", "--site", "--format", "json")
        assert code == 0, err
        site = next(a for a in json.loads(stdout)["artifacts"] if a["kind"] == "site")
        assert f"{site['sha256']}  {site['path']}" in (dist / "SHA256SUMS").read_text(encoding="utf-8")
        digests.append(site["sha256"])
        with zipfile.ZipFile(dist / site["path"]) as zf:
            names = zf.namelist()
        stem = site["path"].removesuffix(".zip")
        assert f"{stem}/deployments/DEP-0002/index.html" in names and f"{stem}/index.html" in names
        assert not any(name.endswith(MARKER) for name in names)
    assert digests[0] == digests[1]


def _luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_text_colours_meet_wcag_aa_contrast() -> None:
    """Every text colour of the stylesheet on every background it is used on: at least 4.5:1 (WCAG AA)."""
    from importlib import resources

    css = resources.files("ruven.site").joinpath("static", "site.css").read_text(encoding="utf-8")
    var = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{3,6})", css))
    pairs = [(fg, bg) for fg in ("fg", "muted", "accent") for bg in ("bg", "soft")] + [("warn", "warn-bg"), ("fg", "warn-bg"), ("accent", "warn-bg")]
    for fg, bg in pairs:
        a, b = sorted((_luminance(var[fg]), _luminance(var[bg])), reverse=True)
        ratio = (a + 0.05) / (b + 0.05)
        assert ratio >= 4.5, (fg, bg, round(ratio, 2))
