"""``build_site``: the static site, written from the one typed connection.

The site is built in a temporary folder beside ``out`` (``.ruven-<pid>-<name>-*``) and swapped
into place when every page is written, so a reader of ``out`` sees the old site or the new one;
a failed build leaves the old site and no temporary folder. ``out`` must be missing, empty or
a site ruven wrote before (it holds :data:`MARKER`): ruven never replaces another folder.

Core module: it never prints and never exits; progress goes to the ``progress`` callback.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruven.errors import RuvenError, from_os_error
from ruven.package import DataPackage, Resource

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

    from ruven.site.model import SiteModel

__all__ = ["DEFAULT_OUT", "DEFAULT_RELEASE", "MARKER", "SiteError", "SiteResult", "build_site"]

#: Where ``ruven site`` writes by default: beside the release files of ``ruven build`` (``dist``).
DEFAULT_OUT = "dist/site"
#: Where ``ruven site`` looks for the release files (``SHA256SUMS``) to list and copy.
DEFAULT_RELEASE = "dist"
#: The file that marks a folder as a site ruven wrote (the build summary, as JSON).
MARKER = "ruven-site.json"
STATIC = ("site.css", "site.js")


class SiteError(RuvenError):
    code = "site-error"


@dataclass
class ReleaseFile:
    path: str  # relative to the site root
    name: str
    bytes: int
    sha256: str


@dataclass
class SiteResult:
    out: str
    name: str
    version: str
    base_url: str
    pages: int
    rows: dict[str, int] = field(default_factory=dict)  # table -> row pages (withdrawn ones included)
    withdrawn: dict[str, int] = field(default_factory=dict)
    release: list[ReleaseFile] = field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["seconds"] = round(self.seconds, 3)
        d["timings"] = {k: round(v, 3) for k, v in self.timings.items()}
        return {"ok": True, **d}


# --------------------------------------------------------------------------- the output folder


def _check_out(out: Path, pkg: DataPackage) -> None:
    if out.resolve() == pkg.root.resolve() or pkg.root.resolve().is_relative_to(out.resolve()):
        raise SiteError(f"{out} holds the package itself", "choose a folder of its own, such as dist/site", location=str(out))
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise SiteError(f"{out} is not a folder", "choose a folder (it is created when missing)", location=str(out))
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise SiteError(
            f"{out} is not empty and holds no site written by ruven ({MARKER} is missing), so it is not replaced",
            "choose a new or empty folder, or remove this one first",
            location=str(out),
        )


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _swap(tmp: Path, out: Path) -> None:
    """Move the finished site ``tmp`` onto ``out`` (the old site, if any, goes away after)."""
    from ruven.fs import temp_prefix

    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(dir=out.parent, prefix=temp_prefix(out.name + "-old")))
        os.rmdir(old)
        os.replace(out, old)
    try:
        os.replace(tmp, out)
    except OSError:
        if old is not None:
            os.replace(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# --------------------------------------------------------------------------- release files


def _release_files(pkg: DataPackage, release_dir: Path | None, dest: Path) -> list[ReleaseFile]:
    """The release files of this version listed in ``release_dir/SHA256SUMS``, each checked
    against its hash and copied to ``dest``. None when there is no build of this version."""
    from ruven.release.repro import sha256_file

    if release_dir is None:
        return []
    sums = release_dir / "SHA256SUMS"
    if not sums.is_file():
        return []
    stem = f"{pkg.name or 'ruven'}-{pkg.version or '0.0.0'}"
    entries = []
    for n, line in enumerate(sums.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        digest, _, rel = line.partition("  ")
        if not rel or rel.startswith("/") or ".." in rel.split("/"):
            raise SiteError(f"line {n} of SHA256SUMS is not `<sha256>  <file>`", "run `ruven build` again", location=f"{sums}:{n}")
        entries.append((digest.strip(), rel.strip()))
    if not any(rel.startswith(stem + ".") for _, rel in entries):
        return []  # a build of another version: not this site's release
    out = []
    for digest, rel in [*entries, ("", "SHA256SUMS")]:
        src = release_dir / rel
        if not src.is_file():
            raise SiteError(f"{rel} is listed in SHA256SUMS but missing", "run `ruven build` again", location=str(src))
        actual = sha256_file(src)
        if digest and actual != digest:
            raise SiteError(f"{rel} does not match its SHA-256 in SHA256SUMS", "run `ruven build` again: the release files are out of date", location=str(src))
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
        out.append(ReleaseFile(f"release/{rel}", rel, src.stat().st_size, actual))
    return out


# --------------------------------------------------------------------------- pages


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def _root(page: str) -> str:
    """The relative path from ``page`` (``deployments/DEP-0001/index.html``) to the site root."""
    return "../" * page.count("/")


class _Site:
    def __init__(self, pkg: DataPackage, model: SiteModel, tmp: Path, base_url: str, say: Callable[[str], None]) -> None:
        from ruven.citation import authors, licence, release_date

        self.pkg = pkg
        self.model = model
        self.tmp = tmp
        self.base_url = base_url.rstrip("/") + "/" if base_url else ""
        self.say = say
        self.date = release_date(pkg)
        self.authors = authors(pkg)
        self.licence = licence(pkg)
        self.pages = 0
        self._nav: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def nav(self, root: str, current: str) -> list[dict[str, Any]]:
        key = (root, current)
        if key not in self._nav:
            self._nav[key] = self._make_nav(root, current)
        return [dict(item) for item in self._nav[key]]

    def _make_nav(self, root: str, current: str) -> list[dict[str, Any]]:
        items = [("", "Home")]
        items += [(f"{r.name}/", r.title) for r in self.model.fact_tables]
        items += [(f"{r.name}/", r.title) for r in self.model.reference_tables if "id" in r.field_names]
        items += [("codebook/", "Codebook"), ("changelog/", "Changelog")]
        return [{"href": (root + url) or "./", "label": label, "current": url == current} for url, label in items]

    def page(self, path: str, template: str, title: str, current: str, **context: Any) -> None:
        from ruven.site.pages import render
        from ruven.site.values import external_link

        root = _root(path)
        html = render(
            template,
            pkg=self.pkg,
            title=title,
            root=root,
            home=root or "./",
            nav=self.nav(root, current),
            date=self.date,
            licence=self.licence,
            licence_html=external_link(self.licence["path"], self.licence["title"]),
            **context,
        )
        _write(self.tmp / path, html)
        self.pages += 1
        if self.pages % 250 == 0:
            self.say(f"site: {self.pages} pages written")

    def permalink(self, row_id: str) -> str:
        return self.base_url + self.model.urls[row_id]

    def row_page(self, res: Resource, row: dict[str, Any], *, fact: bool = True) -> None:
        """A row's permanent page; a reference row's (``fact=False``: an actor) has no summary,
        sources or cite box."""
        from markupsafe import Markup

        from ruven.db.names import WITHDRAWN
        from ruven.site.pages import Renderer, cite_row
        from ruven.site.values import link_ids

        rid = str(row["id"])
        path = f"{res.name}/{rid}/index.html"
        r = Renderer(self.model, _root(path), source_anchors=fact)
        sf = res.source_field if fact else None
        sources = [e for i in (row.get(sf.name) or [] if sf is not None else []) if (e := r.source_entry(str(i))) is not None]
        withdrawn = row.get(WITHDRAWN) if fact else None
        self.page(
            path,
            "row.html.j2",
            f"{rid}: {self.model.labels[rid]}",
            f"{res.name}/",
            res=res,
            row_id=rid,
            label=self.model.labels[rid],
            summary=self.model.summaries.get(rid, "") if fact else "",
            withdrawn=link_ids(str(withdrawn), self.model.urls, r.root) if withdrawn else Markup(""),
            fields=r.fields(res, row),
            sources=sources,
            source_title=sf.title if sf is not None else "",
            related=r.referenced_by(rid),
            cite=cite_row(self.model, rid, self.permalink(rid), (self.date or "")[:4], self.authors) if fact else None,
            is_source=False,
        )

    def table_page(self, res: Resource, files: dict[str, str]) -> None:
        from ruven.site.pages import table_cell, table_columns

        path = f"{res.name}/index.html"
        root = _root(path)
        cols = table_columns(res)
        live = self.model.live(res.name)
        rows = [{"id": str(row["id"]), "cells": [table_cell(self.model, res, c, row, root) for c in cols]} for row in live]
        withdrawn = [{"id": str(w["id"]), "href": root + self.model.urls[str(w["id"])], "label": self.model.labels[str(w["id"])]} for w in self.model.withdrawn(res.name)]
        self.page(
            path,
            "table.html.j2",
            res.title,
            f"{res.name}/",
            res=res,
            columns=cols,
            rows=rows,
            total=len(self.model.rows[res.name]),
            withdrawn=withdrawn,
            csv=root + files[f"csv:{res.name}"],
            xlsx=root + files["xlsx"] if "xlsx" in files else "",
        )

    def reference_page(self, res: Resource, files: dict[str, str]) -> None:
        """A reference table (actors): every row with a link to its own page."""
        path = f"{res.name}/index.html"
        root = _root(path)
        rows = [
            {"id": str(r["id"]), "href": root + self.model.urls[str(r["id"])], "label": self.model.labels[str(r["id"])], "named": len(self.model.referenced_by.get(str(r["id"]), []))}
            for r in self.model.rows[res.name]
        ]
        self.page(path, "reference.html.j2", res.title, f"{res.name}/", res=res, rows=rows, csv=root + files[f"csv:{res.name}"])

    def sources_page(self, res: Resource, files: dict[str, str]) -> None:
        from ruven.site.pages import Renderer

        path = f"{res.name}/index.html"
        r = Renderer(self.model, _root(path))
        entries = []
        for row in self.model.rows[res.name]:
            e = r.source_entry(str(row["id"]))
            if e is not None:
                e["cited_by"] = [r.row_link(ref.row_id, with_label=False) for ref in self.model.referenced_by.get(e["id"], [])]
                entries.append(e)
        self.page(path, "sources.html.j2", res.title, f"{res.name}/", res=res, entries=entries, csv=_root(path) + files[f"csv:{res.name}"])


def _figures(pkg: DataPackage, con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    from ruven.docs.figures import datasheet_figures

    return datasheet_figures(pkg, con)


def build_site(
    package: DataPackage | str | os.PathLike[str] | None = None,
    out: str | os.PathLike[str] = DEFAULT_OUT,
    *,
    base_url: str = "",
    release_dir: str | os.PathLike[str] | None = DEFAULT_RELEASE,
    progress: Callable[[str], None] | None = None,
    validate: bool = True,
    con: duckdb.DuckDBPyConnection | None = None,
) -> SiteResult:
    """Write the static site of ``package`` into ``out`` (replaced as a whole) and return what was written.

    ``base_url``: the address the site is published at (``https://owner.github.io/ruven/``),
    used for the permalinks in "cite this row" (without it they are relative paths).
    ``release_dir``: where ``ruven build`` wrote the release files; when its ``SHA256SUMS``
    lists this version's files, they are checked, copied into ``release/`` and listed with
    their SHA-256 on the home page. ``con``: a typed connection to reuse (opened when None).
    """
    started = time.perf_counter()
    say = progress or (lambda _m: None)
    pkg = package if isinstance(package, DataPackage) else DataPackage.load(package)
    if validate:
        from ruven.candidate import require_valid

        say("site: validating the package")
        require_valid(pkg, "build the site")
    target = Path(out)
    _check_out(target, pkg)
    from ruven.fs import clean_stale, temp_prefix

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        clean_stale(target.parent)
        tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=temp_prefix(target.name)))
        os.chmod(tmp, 0o777 & ~_umask())  # a published folder: readable as any new folder is, not mkdtemp's 0o700
    except OSError as exc:
        raise from_os_error(exc, target, "write") from exc
    try:
        result = _build(pkg, tmp, target, base_url, Path(release_dir) if release_dir is not None else None, say, con)
        _write(tmp / MARKER, json.dumps(result.to_dict() | {"seconds": None, "timings": None}, ensure_ascii=False, indent=2) + "\n")
        _swap(tmp, target)
    except OSError as exc:
        raise from_os_error(exc, target, "write") from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    result.seconds = time.perf_counter() - started
    return result


def _build(
    pkg: DataPackage,
    tmp: Path,
    target: Path,
    base_url: str,
    release_dir: Path | None,
    say: Callable[[str], None],
    con: duckdb.DuckDBPyConnection | None,
) -> SiteResult:
    from contextlib import nullcontext

    from ruven.db import connect

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    say("site: loading the package")
    with nullcontext(con) if con is not None else connect(pkg) as c:
        from ruven.site.model import read_model

        model = read_model(pkg, c)
        timings["load"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        say("site: files (CSV, workbook, charts)")
        files = _data_files(pkg, c, tmp)
        from ruven.charts import CHARTS, render_charts

        render_charts(pkg, tmp / "charts", formats=("svg",), con=c)
        from markupsafe import Markup

        from ruven.site.markup import inline_html

        charts = [{"src": f"charts/{ch.name}.svg", "title": ch.title, "caption": Markup(inline_html(ch.caption)), "alt": f"{ch.title}: {ch.caption.replace('`', '')}"} for ch in CHARTS]
        figures = _figures(pkg, c)
        from ruven.docs.codebook import codebook_markdown

        codebook = codebook_markdown(pkg, c)
        timings["files"] = time.perf_counter() - t0
    release = _release_files(pkg, release_dir, tmp / "release")
    for name in STATIC:
        (tmp / name).write_bytes(resources.files("ruven.site").joinpath("static", name).read_bytes())
    t0 = time.perf_counter()
    site = _Site(pkg, model, tmp, base_url, say)
    _home(site, figures, charts, release, files)
    from ruven.site.markup import markdown_html

    site.page("codebook/index.html", "document.html.j2", "Codebook", "codebook/", body=markdown_html(codebook, shift=1), source="docs/codebook.md")
    site.page("changelog/index.html", "document.html.j2", "Changelog", "changelog/", body=markdown_html(_changelog(pkg), shift=1), source="CHANGELOG.md")
    rows: dict[str, int] = {}
    withdrawn: dict[str, int] = {}
    for res in pkg:
        if res.name not in model.rows:
            continue
        if res.source_field is not None:
            site.table_page(res, files)
            for row in model.rows[res.name]:
                site.row_page(res, row)
            rows[res.name] = len(model.rows[res.name])
            withdrawn[res.name] = len(model.withdrawn(res.name))
        elif res.name == "sources":
            site.sources_page(res, files)
        else:
            site.reference_page(res, files)
            for row in model.rows[res.name]:
                site.row_page(res, row, fact=False)
            rows[res.name] = len(model.rows[res.name])
    timings["pages"] = time.perf_counter() - t0
    say(f"site: {site.pages} pages written")
    return SiteResult(str(target), pkg.name, pkg.version, site.base_url, site.pages, rows, withdrawn, release, 0.0, timings)


def _changelog(pkg: DataPackage) -> str:
    from ruven.changelog import CHANGELOG

    path = pkg.file(CHANGELOG)
    if not path.is_file():
        return "No CHANGELOG.md in this package."
    from ruven.package.paths import read_bytes

    return read_bytes(path, CHANGELOG).decode("utf-8", "replace")


def _data_files(pkg: DataPackage, con: duckdb.DuckDBPyConnection, tmp: Path) -> dict[str, str]:
    """Every table's CSV (as committed) and the workbook, under ``files/``; name -> path in the site."""
    from ruven.package.paths import read_bytes
    from ruven.release.context import BuildContext
    from ruven.release.repro import build_time
    from ruven.release.xlsx import write_workbook

    out: dict[str, str] = {}
    folder = tmp / "files"
    folder.mkdir(parents=True, exist_ok=True)
    for res in pkg:
        name = f"{res.name}.csv"
        (folder / name).write_bytes(read_bytes(res.path, res.relpath))
        out[f"csv:{res.name}"] = f"files/{name}"
    stem = f"{pkg.name or 'ruven'}-{pkg.version or '0.0.0'}"
    ctx = BuildContext(pkg, folder, stem, build_time(str(pkg.descriptor.get("created", "")) or None), con, lambda _m: None)
    write_workbook(ctx, folder / f"{stem}.xlsx")
    out["xlsx"] = f"files/{stem}.xlsx"
    return out


def _home(site: _Site, figures: dict[str, Any], charts: list[dict[str, str]], release: list[ReleaseFile], files: dict[str, str]) -> None:
    from ruven.citation import citation_text, licence_statement
    from ruven.site.values import date_words

    pkg = site.pkg
    tables = []
    for res in pkg:
        if res.name not in site.model.rows:
            continue
        n_all = len(site.model.rows[res.name])
        n_live = len(site.model.live(res.name))
        tables.append({"name": res.name, "title": res.title, "description": res.description, "href": f"{res.name}/", "live": n_live, "withdrawn": n_all - n_live, "csv": files[f"csv:{res.name}"]})
    version = pkg.version
    key = "".join(ch if ch.isalnum() else "_" for ch in f"{pkg.name}_{version}")
    bib = "\n".join(
        [
            f"@misc{{{key},",
            f"  author = {{{{{site.authors}}}}},",
            f"  title = {{{{{pkg.title}}}}},",
            f"  year = {{{(site.date or '')[:4]}}},",
            f"  version = {{{version}}},",
        ]
        + ([f"  howpublished = {{\\url{{{site.base_url}}}}},"] if site.base_url else [])
        + ["  note = {Data set}", "}"]
    )
    site.page(
        "index.html",
        "home.html.j2",
        pkg.title,
        "",
        description=str(pkg.descriptor.get("description", "")),
        tables=tables,
        figures=figures,
        charts=charts,
        release=release,
        xlsx=files.get("xlsx", ""),
        span=[date_words(figures["date_range"][k]) for k in ("min", "max")] if figures.get("date_range", {}).get("min") else [],
        citation=citation_text(pkg),
        bibtex=bib,
        licence_text=licence_statement(pkg),
    )


def release_step(ctx: Any) -> None:
    """Release-build step (``ruven build --site``): ``<stem>-site.zip``, the site built from the
    build's own connection (the release files it sits beside are not listed in it), zipped with
    sorted names and the build's fixed time, so the same data gives the same bytes."""
    from ruven.fs import temp_prefix
    from ruven.release.repro import write_zip

    ctx.progress("site: building the static site")
    with tempfile.TemporaryDirectory(prefix=temp_prefix("site", hidden=False)) as folder:
        out = Path(folder) / "site"
        build_site(ctx.package, out, release_dir=None, validate=False, con=ctx.con, progress=ctx.progress)
        members = [(f"{ctx.stem}-site/{p.relative_to(out).as_posix()}", p.read_bytes()) for p in sorted(out.rglob("*")) if p.is_file() and p.name != MARKER]
        dest = ctx.out / f"{ctx.stem}-site.zip"
        write_zip(dest, members, ctx.when)
    ctx.add(dest, "site", "The static website: a page per row, the tables, sources, actors, codebook and changelog (unzip and serve, or publish).")
