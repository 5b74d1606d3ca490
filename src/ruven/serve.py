"""Browse the package in Datasette: a SQLite file built from the package, and its metadata.

``build_site`` writes ``ruven.db`` (one typed table per resource, partial-date bounds, id lists
as text, the ``citations`` and ``timeline`` views) and ``metadata.json`` (titles, table and
column descriptions from the schemas, facets on every enumerated column, the licence). The
SQLite file is written with the standard library, so building needs no extra; serving needs
the optional ``serve`` extra (Datasette), imported only inside the functions that serve.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sqlite3
import tempfile
import types
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ruven.citation import licence
from ruven.errors import RuvenError
from ruven.package import DataPackage, Field, Resource, date_bounds
from ruven.rows import live_rows, source_field

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
SQL_TYPES = {"integer": "INTEGER", "number": "REAL", "boolean": "INTEGER", "date": "TEXT", "string": "TEXT"}
#: Fields that make a short human label for a fact row in the timeline (those a table has, in this order).
LABEL_FIELDS = ("title", "designation", "category", "project", "personnel_kind", "location", "speaker_role")
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


def q(name: str) -> str:
    """Quote an SQLite identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# --------------------------------------------------------------------------- SQLite


def columns(res: Resource) -> list[tuple[str, str, str]]:
    """``(column, SQL type, description)`` of a resource's SQLite table: its fields, and after each
    partial date its ``_min`` and ``_max`` day bounds."""
    out = []
    for f in res.fields:
        out.append((f.name, SQL_TYPES.get(f.type, "TEXT"), f.description))
        if f.is_partial_date:
            out.append((f"{f.name}_min", "TEXT", f"First day `{f.name}` covers (ISO date; derived from the partial date)."))
            out.append((f"{f.name}_max", "TEXT", f"Last day `{f.name}` covers (ISO date; derived from the partial date)."))
    return out


def _convert(f: Field, value: str | None) -> Any:
    if value is None or value == "":
        return None
    try:
        if f.type == "integer":
            return int(value)
        if f.type == "number":
            return float(value)
        if f.type == "boolean":
            true = f.descriptor.get("trueValues", ["true", "True", "TRUE", "1"])
            false = f.descriptor.get("falseValues", ["false", "False", "FALSE", "0"])
            if value in true:
                return 1
            if value in false:
                return 0
    except ValueError:
        pass
    return value  # kept as written; `ruven validate` reports it


def _create_table(res: Resource) -> str:
    cols = []
    pk = res.primary_key
    for name, sql_type, _ in columns(res):
        cols.append(f"{q(name)} {sql_type}" + (" PRIMARY KEY" if pk == [name] else ""))
    if len(pk) > 1:
        cols.append("PRIMARY KEY (" + ", ".join(q(k) for k in pk) + ")")
    for fk in res.foreign_keys:
        cols.append(f"FOREIGN KEY ({q(fk.field)}) REFERENCES {q(fk.resource)}({q(fk.reference_field)})")
    return f"CREATE TABLE {q(res.name)} (\n  " + ",\n  ".join(cols) + "\n)"


def _least(exprs: list[str], fn: str) -> str:
    """NULL-ignoring min/max of SQL expressions (SQLite's scalar min/max return NULL on any NULL)."""
    if not exprs:
        return "NULL"
    if len(exprs) == 1:
        return exprs[0]
    rotated = [exprs[i:] + exprs[:i] for i in range(len(exprs))]
    return f"{fn}(" + ", ".join("coalesce(" + ", ".join(r) + ")" for r in rotated) + ")"


def view_sql(pkg: DataPackage) -> dict[str, str]:
    """``citations`` and ``timeline`` view definitions (live rows only), generated from the schemas."""
    facts = pkg.fact_tables
    if not facts:
        return {}
    sources = pkg.resources.get("sources")
    src_cols = [n for n in sources.field_names if n != "id"] if sources is not None else []
    cite_parts = []
    time_parts = []
    for res in facts:
        sf = source_field(res)
        live = "t.withdrawn IS NULL" if "withdrawn" in res.field_names else "1"
        if sf is not None:
            ids = f"'[\"' || replace(t.{q(sf.name)}, {lit(sf.delimiter)}, '\",\"') || '\"]'"
            cite_parts.append(
                f"SELECT {lit(res.name)} AS table_name, t.id AS row_id, j.value AS source_id "
                f"FROM {q(res.name)} t, json_each({ids}) j WHERE {live} AND t.{q(sf.name)} IS NOT NULL"
            )
        dates = [f.name for f in res.fields if f.is_partial_date]
        actor_fk = next((fk for fk in res.foreign_keys if fk.resource == "actors"), None)
        label = ([f"a.{q('name')}"] if actor_fk else []) + [f"t.{q(n)}" for n in LABEL_FIELDS if n in res.field_names]
        title = "rtrim(" + " || ".join(f"coalesce({e} || ', ', '')" for e in label) + ", ', ')" if label else "t.id"
        summary = "t.summary" if "summary" in res.field_names else ("coalesce(t.quote_en, t.quote)" if "quote" in res.field_names else "NULL")
        join = f"LEFT JOIN actors a ON a.id = t.{q(actor_fk.field)}" if actor_fk else ""
        n_src = (
            f"CASE WHEN t.{q(sf.name)} IS NULL THEN 0 ELSE length(t.{q(sf.name)}) - length(replace(t.{q(sf.name)}, {lit(sf.delimiter)}, '')) + 1 END"
            if sf
            else "0"
        )
        mins = _least(["t." + q(d + "_min") for d in dates], "min")
        maxs = _least(["t." + q(d + "_max") for d in dates], "max")
        time_parts.append(
            f"SELECT {mins} AS date_min, {maxs} AS date_max, {lit(res.name)} AS table_name, t.id AS id, "
            f"{title} AS title, {summary} AS summary, "
            f"{'t.confidence' if 'confidence' in res.field_names else 'NULL'} AS confidence, "
            f"{'t.' + q(dates[0]) if dates else 'NULL'} AS date_text, {n_src} AS n_sources, "
            f"{'t.' + q(sf.name) if sf else 'NULL'} AS source_ids "
            f"FROM {q(res.name)} t {join} WHERE {live}"
        )
    out = {}
    if cite_parts and sources is not None:
        cols = ", ".join(f"s.{q(n)} AS {q('source_' + n)}" for n in src_cols)
        out["citations"] = (
            f"SELECT c.table_name, c.row_id, c.source_id, {cols} FROM ({' UNION ALL '.join(cite_parts)}) c "
            f"LEFT JOIN {q(sources.name)} s ON s.id = c.source_id ORDER BY c.table_name, c.row_id, c.source_id"
        )
    out["timeline"] = f"SELECT * FROM ({' UNION ALL '.join(time_parts)}) WHERE date_min IS NOT NULL ORDER BY date_min, date_max, table_name, id"
    return out


VIEW_COLUMNS = {
    "timeline": {
        "date_min": "Earliest day any of the row's dates covers.",
        "date_max": "Latest day any of the row's dates covers (an end or delivery date when there is one).",
        "table_name": "The fact table the row is in.",
        "id": "The row's `id`.",
        "title": "A short label: who or what (actor, designation, project or speaker).",
        "summary": "The row's summary; for statements the quote (`quote_en`, else `quote`).",
        "confidence": "confirmed, reported or disputed.",
        "date_text": "The row's first date as written (a partial date).",
        "n_sources": "How many sources the row cites.",
        "source_ids": "The sources the row cites (links to the pages).",
    },
    "citations": {
        "table_name": "The fact table the row is in.",
        "row_id": "The fact row's `id`.",
        "source_id": "One of the row's `source_ids`.",
    },
}
VIEW_DESCRIPTIONS = {
    "timeline": "Every dated live row of the fact tables in one shape, in date order.",
    "citations": "One row per fact row and source it cites (live rows only), joined to the sources table.",
}


def build_sqlite(package: DataPackage | str | os.PathLike[str] | None, path: str | os.PathLike[str]) -> dict[str, int]:
    """Write the package into a new SQLite file at ``path`` (replaced atomically); returns row counts."""
    pkg = package if isinstance(package, DataPackage) else DataPackage.load(package)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    counts: dict[str, int] = {}
    try:
        con = sqlite3.connect(tmp)
        try:
            con.execute("PRAGMA foreign_keys = OFF")
            for res in pkg:
                con.execute(_create_table(res))
                rows = res.read_rows() if res.path.exists() else []
                cols = columns(res)
                insert = f"INSERT INTO {q(res.name)} ({', '.join(q(c[0]) for c in cols)}) VALUES ({', '.join('?' for _ in cols)})"
                values = []
                for r in rows:
                    rec: list[Any] = []
                    for f in res.fields:
                        raw = r.get(f.name)
                        rec.append(_convert(f, raw))
                        if f.is_partial_date:
                            b = date_bounds(raw or "")
                            rec += [b[0], b[1]] if b else [None, None]
                    values.append(rec)
                con.executemany(insert, values)
                counts[res.name] = len(values)
                for f in res.fields:
                    if f.enum or (f.name.endswith("_id") and f.name != "id"):
                        con.execute(f"CREATE INDEX {q('idx_' + res.name + '_' + f.name)} ON {q(res.name)}({q(f.name)})")
            for name, sql in view_sql(pkg).items():
                con.execute(f"CREATE VIEW {q(name)} AS {sql}")
            con.commit()
        finally:
            con.close()
        os.replace(tmp, target)
    except sqlite3.Error as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ServeError(f"cannot build the SQLite file: {exc}", "run `ruven validate` and fix what it reports", location=str(target)) from exc
    return counts


# --------------------------------------------------------------------------- Datasette metadata


def datasette_metadata(pkg: DataPackage) -> dict[str, Any]:
    """Datasette metadata: titles, descriptions (table and column) from the schemas, facets on every
    enumerated column, sort order, licence and source."""
    lic = licence(pkg)
    tables: dict[str, Any] = {}
    for res in pkg:
        meta: dict[str, Any] = {
            "title": res.title,
            "description": res.description,
            "columns": {name: desc for name, _, desc in columns(res) if desc},
            "facets": [f.name for f in res.fields if f.enum],
        }
        if "id" in res.field_names:
            meta["sort"] = "id"
        if "name" in res.field_names:
            meta["label_column"] = "name"
        tables[res.name] = meta
    sources = pkg.resources.get("sources")
    if pkg.fact_tables:
        tables["timeline"] = {
            "title": "Timeline",
            "description": VIEW_DESCRIPTIONS["timeline"],
            "columns": VIEW_COLUMNS["timeline"],
            "facets": ["table_name", "confidence"],
        }
        if sources is not None:
            src_cols = {f"source_{f.name}": f"`sources.{f.name}` of the cited source: {f.description}" for f in sources.fields if f.name != "id"}
            tables["citations"] = {
                "title": "Citations",
                "description": VIEW_DESCRIPTIONS["citations"],
                "columns": VIEW_COLUMNS["citations"] | src_cols,
                "facets": ["table_name"] + [f"source_{f.name}" for f in sources.fields if f.enum],
            }
    return {
        "title": pkg.title,
        "description": str(pkg.descriptor.get("description", "")),
        "license": lic["name"],
        "license_url": lic["path"],
        "source": f"{pkg.name} data package, version {pkg.version}",
        "extra_css_urls": [f"/{STATIC_MOUNT}/{CSS_FILE}"],
        "databases": {DB_NAME: {"title": pkg.title, "tables": tables}},
    }


def build_site(package: DataPackage | str | os.PathLike[str] | None, out_dir: str | os.PathLike[str]) -> SiteBuild:
    """Write ``ruven.db`` and ``metadata.json`` into ``out_dir``."""
    pkg = package if isinstance(package, DataPackage) else DataPackage.load(package)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ServeError(f"cannot create {out}: {exc.strerror}", "choose a folder you can write to", location=str(out)) from exc
    db = out / DB_FILE
    counts = build_sqlite(pkg, db)
    meta_path = out / METADATA_FILE
    tmp = meta_path.with_name(f".{METADATA_FILE}.tmp")
    tmp.write_text(json.dumps(datasette_metadata(pkg), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, meta_path)
    css = out / CSS_FILE
    css.write_text(CSS, encoding="utf-8")
    return SiteBuild(str(db), str(meta_path), counts, list(view_sql(pkg)))


# --------------------------------------------------------------------------- links and serving


def link_targets(pkg: DataPackage) -> dict[str, dict[str, str]]:
    """For every id-list field's referenced table: id -> {"url", "title"}. Sources link to their own
    URL; other rows link to their Datasette row page (``url`` relative)."""
    out: dict[str, dict[str, str]] = {}
    for res in pkg:
        if res.name == "sources":
            for r in res.read_rows() if res.path.exists() else []:
                out[r.get("id", "")] = {"url": r.get("url", ""), "title": " · ".join(x for x in (r.get("publisher"), r.get("title"), r.get("published")) if x)}
        elif res.id_prefix:
            for r in live_rows(res):
                out[r.get("id", "")] = {"url": f"/{DB_NAME}/{res.name}/{r.get('id', '')}", "title": r.get("summary") or res.title}
    return out


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
        if t and t["url"]:
            parts.append(f'<a href="{escape(t["url"], quote=True)}" title="{escape(t["title"], quote=True)}">{escape(i)}</a>')
        else:
            parts.append(escape(i))
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

    targets = link_targets(pkg)
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
    with tempfile.TemporaryDirectory(prefix="ruven-serve-") as tmp:
        site = build_site(pkg, site_dir or tmp)
        ds = make_datasette(pkg, site)
        import asyncio

        import uvicorn

        asyncio.run(ds.invoke_startup())
        try:
            uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on", workers=1)
        except OSError as exc:
            raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}", "choose another --port", location=f"{host}:{port}") from exc
