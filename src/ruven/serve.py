"""Browse the package in Datasette: a SQLite file copied from the typed connection, and its metadata.

``build_site`` writes ``ruven.db`` and ``metadata.json``. The SQLite file holds what the typed
DuckDB connection (:mod:`ruven.db`) holds, copied with sqlite-utils: one table per resource
(every row, withdrawn ones included, as in the CSV; partial dates with their ``_min`` / ``_max``
day bounds; id lists as ``;``-joined text) and every research view as a table of its rows
(``timeline``, ``citations``, ...), so titles and values are the ones ``ruven query`` gives.
The metadata carries the connection's table and column comments, facets on every enumerated
column and the licence. Building and serving need the optional ``serve`` extra (sqlite-utils,
Datasette), imported only inside the functions that use them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import tempfile
import types
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ruven.errors import RuvenError
from ruven.fs import atomic_path, atomic_write_text
from ruven.package import DataPackage
from ruven.urls import is_link, link_html

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

DB_NAME = "ruven"
DB_FILE = f"{DB_NAME}.db"
METADATA_FILE = "metadata.json"
CSS_FILE = "ruven.css"
STATIC_MOUNT = "ruven-static"
#: Keeps the column descriptions (one per field) from pushing the rows below the fold.
CSS = """dl.column-descriptions { max-height: 10em; overflow-y: auto; border: 1px solid #ccd; padding: 0.3em 0.6em; font-size: 0.85em; }
dl.column-descriptions dd { margin-bottom: 0.2em; }
td.col-source_ids a, td.col-about_ids a { white-space: nowrap; }
"""
#: SQLite column type of a DuckDB column type (anything else is text: dates as ISO text, lists joined).
SQLITE_TYPES: dict[str, type] = {"BIGINT": int, "INTEGER": int, "BOOLEAN": int, "DOUBLE": float, "FLOAT": float}
INSTALL_HINT = 'install the optional extra: pip install -e ".[serve]" (Datasette and sqlite-utils)'


class ServeError(RuvenError):
    code = "serve-error"


@dataclass
class SiteBuild:
    db_path: str
    metadata_path: str
    tables: dict[str, int] = field(default_factory=dict)
    views: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": True, **asdict(self)}


def _load(package: DataPackage | str | os.PathLike[str] | None) -> DataPackage:
    return package if isinstance(package, DataPackage) else DataPackage.load(package)


def _require_sqlite_utils() -> None:
    if importlib.util.find_spec("sqlite_utils") is None:
        raise ServeError("sqlite-utils is not installed, so `ruven serve` cannot build its SQLite file", INSTALL_HINT)


# --------------------------------------------------------------------------- SQLite


def copy_to_sqlite(con: duckdb.DuckDBPyConnection, pkg: DataPackage, path: str | os.PathLike[str]) -> dict[str, int]:
    """Copy every relation an output holds (:func:`ruven.db.export.relations`) from the typed
    connection ``con`` into a new SQLite file at ``path``; returns row counts by name."""
    import sqlite_utils

    from ruven.db.export import relations, rows

    db = sqlite_utils.Database(str(path))
    counts: dict[str, int] = {}
    try:
        db.execute("PRAGMA foreign_keys = OFF")
        for rel in relations(pkg):
            data = rows(con, rel.source)
            res = pkg.resources.get(rel.name) if rel.kind == "table" else None
            pk = res.primary_key if res is not None and res.primary_key else None
            table = db.table(rel.name)
            table.create(
                {c: SQLITE_TYPES.get(t, str) for c, t in zip(data.columns, data.types, strict=True)},
                pk=(pk[0] if pk and len(pk) == 1 else tuple(pk) if pk else None),
            )
            counts[rel.name] = 0
            for batch in data.batches:
                table.insert_all((dict(zip(data.columns, r, strict=True)) for r in batch), batch_size=1000)
                counts[rel.name] += len(batch)
        fks = [(res.name, fk.field, fk.resource, fk.reference_field) for res in pkg for fk in res.foreign_keys]
        if fks:
            db.add_foreign_keys(fks)
        for res in pkg:
            for f in res.fields:
                if f.enum or (f.name.endswith("_id") and f.name != "id"):
                    db.table(res.name).create_index([f.name], index_name=f"idx_{res.name}_{f.name}")
    finally:
        db.close()
    return counts


def build_sqlite(
    package: DataPackage | str | os.PathLike[str] | None,
    path: str | os.PathLike[str],
    con: duckdb.DuckDBPyConnection | None = None,
) -> dict[str, int]:
    """Write the package into a new SQLite file at ``path`` (replaced atomically) from the typed
    connection ``con`` (opened here when not given); returns row counts."""
    import sqlite3

    _require_sqlite_utils()
    pkg = _load(package)
    target = Path(path)
    own = con is None
    if con is None:
        from ruven.db import connect

        con = connect(pkg)
    try:
        with atomic_path(target) as tmp:
            counts = copy_to_sqlite(con, pkg, str(tmp))
    except (sqlite3.Error, ValueError) as exc:
        raise ServeError(f"cannot build the SQLite file: {exc}", "run `ruven validate` and fix what it reports", location=str(target)) from exc
    finally:
        Path(tmp).unlink(missing_ok=True)
        if own:
            con.close()
    return counts


# --------------------------------------------------------------------------- Datasette metadata


def facets(pkg: DataPackage, columns: list[str]) -> list[str]:
    """The columns of a view worth a facet: ``table_name`` and those holding an enumerated field
    (``source_<field>`` for a field of the sources table)."""
    enums = {f.name for res in pkg for f in res.fields if f.enum}
    sources = pkg.resources.get("sources")
    source_enums = {f"source_{f.name}" for f in sources.fields if f.enum} if sources is not None else set()
    return [c for c in columns if c == "table_name" or c in enums or c in source_enums]


def datasette_metadata(pkg: DataPackage, con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Datasette metadata: titles, table and column descriptions (the typed connection's
    comments, written from the schemas), facets on every enumerated column, sort order,
    licence and source."""
    from ruven.citation import licence
    from ruven.db.export import comments, relations

    notes = comments(con)
    lic = licence(pkg)
    tables: dict[str, Any] = {}
    for rel in relations(pkg):
        cols = notes.get(rel.source, {})
        meta: dict[str, Any] = {
            "title": rel.title,
            "description": rel.description,
            "columns": {c: text for c, text in cols.items() if text},
        }
        res = pkg.resources.get(rel.name) if rel.kind == "table" else None
        if res is not None:
            meta["facets"] = [f.name for f in res.fields if f.enum]
            if "id" in res.field_names:
                meta["sort"] = "id"
            if "name" in res.field_names:
                meta["label_column"] = "name"
        else:
            meta["facets"] = facets(pkg, list(cols))
        tables[rel.name] = meta
    return {
        "title": pkg.title,
        "description": str(pkg.descriptor.get("description", "")),
        "license": lic["name"],
        "license_url": lic["path"] if is_link(lic["path"]) else "",  # Datasette makes it a link
        "source": f"{pkg.name} data package, version {pkg.version}",
        "extra_css_urls": [f"/{STATIC_MOUNT}/{CSS_FILE}"],
        "databases": {DB_NAME: {"title": pkg.title, "tables": tables}},
    }


def build_site(package: DataPackage | str | os.PathLike[str] | None, out_dir: str | os.PathLike[str], *, validate: bool = True) -> SiteBuild:
    """Write ``ruven.db`` and ``metadata.json`` into ``out_dir``, both from one typed connection.
    With ``validate`` (the default) a package that does not validate is refused first
    (:class:`~ruven.errors.InvalidPackageError`, nothing written)."""
    from ruven.db import connect, views

    _require_sqlite_utils()
    pkg = _load(package)
    if validate:
        from ruven.candidate import require_valid

        require_valid(pkg, "build the site")
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ServeError(f"cannot create {out}: {exc.strerror}", "choose a folder you can write to", location=str(out)) from exc
    db = out / DB_FILE
    with connect(pkg) as con:
        counts = build_sqlite(pkg, db, con)
        metadata = datasette_metadata(pkg, con)
    meta_path = out / METADATA_FILE
    atomic_write_text(meta_path, json.dumps(metadata, ensure_ascii=False, indent=2) + "\n")
    css = out / CSS_FILE
    atomic_write_text(css, CSS)
    names = {v.name for v in views(pkg)}
    return SiteBuild(str(db), str(meta_path), {n: c for n, c in counts.items() if n not in names}, [n for n in counts if n in names])


# --------------------------------------------------------------------------- links and serving


def link_targets(pkg: DataPackage, db_path: str | os.PathLike[str]) -> dict[str, dict[str, str]]:
    """For every id-list field's referenced table: id -> {"url", "title"}, read from the built
    SQLite file. Sources link to their own URL when it is http(s) (else ``url`` is empty and the
    id shows as text); other rows link to their Datasette row page (``url`` relative)."""
    import sqlite3

    from ruven.db.labels import summary_fields

    out: dict[str, dict[str, str]] = {}
    con = sqlite3.connect(f"file:{Path(db_path).as_posix()}?mode=ro", uri=True)
    try:
        for res in pkg:
            if res.name == "sources":
                for i, url, publisher, title, published in con.execute("SELECT id, url, publisher, title, published FROM sources"):
                    text = " · ".join(str(x) for x in (publisher, title, published) if x)
                    out[str(i)] = {"url": str(url or "") if is_link(str(url or "")) else "", "title": text}
            elif res.id_prefix:
                summary = [n for n in summary_fields(res) if n in res.field_names]
                expr = f"coalesce({', '.join(_q(n) for n in summary)})" if len(summary) > 1 else (_q(summary[0]) if summary else "NULL")
                live = ' WHERE "withdrawn" IS NULL' if "withdrawn" in res.field_names else ""
                for i, text in con.execute(f"SELECT id, {expr} FROM {_q(res.name)}{live}"):
                    out[str(i)] = {"url": f"/{DB_NAME}/{quote(res.name)}/{quote(str(i), safe='')}", "title": str(text or res.title)}
    finally:
        con.close()
    return out


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def id_list_columns(pkg: DataPackage) -> dict[str, str]:
    """Column name -> delimiter, for every id-list field of the package."""
    return {f.name: f.delimiter for res in pkg for f in res.fields if f.is_id_list}


def render_id_list(value: Any, delimiter: str, targets: dict[str, dict[str, str]]) -> str | None:
    """HTML for an id-list cell: each id a link (a source to its page). None when nothing to link."""
    if not isinstance(value, str) or not value:
        return None
    from html import escape

    parts = []
    for raw in value.split(delimiter):
        i = raw.strip()
        t = targets.get(i)
        if t and t["url"].startswith(f"/{DB_NAME}/"):  # a row page of this site (built here, quoted)
            parts.append(f'<a href="{escape(t["url"], quote=True)}" title="{escape(t["title"], quote=True)}">{escape(i)}</a>')
        else:  # a source's own page: a link only when it is http(s)
            url = t["url"] if t and is_link(t["url"]) else ""  # any other URL: the id alone, as text
            parts.append(link_html(url, i, title=t["title"] if t else ""))
    return f"{escape(delimiter)} ".join(parts)


def datasette_available() -> bool:
    return importlib.util.find_spec("datasette") is not None


def make_datasette(package: DataPackage | str | os.PathLike[str] | None, site: SiteBuild) -> Any:
    """A configured ``Datasette`` instance over a built site, with ruven's link renderer registered."""
    if not datasette_available():
        raise ServeError("Datasette is not installed", INSTALL_HINT)
    pkg = package if isinstance(package, DataPackage) else DataPackage.load(package)
    from datasette import hookimpl
    from datasette.app import Datasette
    from datasette.plugins import pm
    from markupsafe import Markup

    targets = link_targets(pkg, site.db_path)
    lists = id_list_columns(pkg)

    def render_cell(value: Any, column: str) -> Any:
        """Render id lists as links: a source id links to the page it names."""
        if column in lists:
            html = render_id_list(value, lists[column], targets)
            return Markup(html) if html else None
        return None

    # Datasette lists plugins by module name, so the hook lives on a small module object.
    plugin = types.ModuleType("ruven_links")
    plugin.render_cell = hookimpl(render_cell)  # type: ignore[attr-defined]
    name = "ruven-links"
    if pm.get_plugin(name) is not None:
        pm.unregister(name=name)
    pm.register(plugin, name=name)
    metadata = json.loads(Path(site.metadata_path).read_text(encoding="utf-8"))
    return Datasette(
        immutables=[site.db_path],
        metadata=metadata,
        static_mounts=[(STATIC_MOUNT, str(Path(site.db_path).parent))],
        settings={"default_page_size": 50, "sql_time_limit_ms": 3000, "allow_download": True},
    )


def serve(
    package: DataPackage | str | os.PathLike[str] | None,
    *,
    host: str = "127.0.0.1",
    port: int = 8001,
    site_dir: str | os.PathLike[str] | None = None,
) -> None:
    """Build the site (into a temporary folder unless ``site_dir``) and serve it until interrupted."""
    if not datasette_available():
        raise ServeError("Datasette is not installed", INSTALL_HINT)
    pkg = package if isinstance(package, DataPackage) else DataPackage.load(package)
    from ruven.fs import clean_stale, temp_prefix

    clean_stale(Path(tempfile.gettempdir()), "ruven-serve-")  # the site of a killed serve
    with tempfile.TemporaryDirectory(prefix=temp_prefix("serve", hidden=False)) as tmp:
        site = build_site(pkg, site_dir or tmp)
        ds = make_datasette(pkg, site)
        import asyncio

        import uvicorn

        asyncio.run(ds.invoke_startup())
        try:
            uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on", workers=1)
        except OSError as exc:
            raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}", "choose another --port", location=f"{host}:{port}") from exc
