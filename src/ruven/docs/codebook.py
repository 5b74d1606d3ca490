"""The codebook (``docs/codebook.md``) and the README's data dictionary, from the schemas.

The prose is in ``templates/codebook.md.j2``; this module computes what each table states
(a field's type, constraints, references and an example value from the live rows of the
typed connection, never the CSV files).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ruven.citation import licence_statement
from ruven.docs.templates import FIX_COMMAND, render
from ruven.markdown import cell, code, table
from ruven.package import DataPackage, Field, Resource

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

__all__ = ["query_views", "codebook_markdown", "data_dictionary_markdown", "example_value", "field_constraints", "field_type", "referenced_by"]

EXAMPLE_LIMIT = 60


def example_value(res: Resource, name: str, rows: list[dict[str, str]]) -> str:
    for r in rows:
        v = (r.get(name) or "").strip()
        if v:
            v = " ".join(v.split())
            return v if len(v) <= EXAMPLE_LIMIT else v[: EXAMPLE_LIMIT - 1] + "…"
    return ""


def field_type(f: Field) -> str:
    if f.is_partial_date:
        return "partial date"
    if f.is_id_list:
        return f"id list (`{f.delimiter}`)"
    return f.type


def field_constraints(res: Resource, f: Field) -> list[str]:
    c = f.constraints
    out = []
    if c.get("required"):
        out.append("required")
    if c.get("unique"):
        out.append("unique")
    if f.name in res.primary_key:
        out.append("primary key")
    for fk in res.foreign_keys:
        if fk.field == f.name:
            out.append(f"→ `{fk.resource}.{fk.reference_field}`")
    if f.is_id_list and f.list_references:
        out.append("each id → " + ", ".join(f"`{t}`" for t in f.list_references))
    if f.enum:
        out.append(f"one of {len(f.enum)} values (below)")
    for key, label in (("minimum", "≥"), ("maximum", "≤"), ("minLength", "length ≥"), ("maxLength", "length ≤")):
        if key in c:
            out.append(f"{label} {c[key]}")
    if "pattern" in c and not f.enum:
        out.append("pattern " + code(c["pattern"]))
    for key, value in c.items():
        if key not in ("required", "unique", "enum", "pattern", "minimum", "maximum", "minLength", "maxLength"):
            out.append(f"{key} {value}")
    out += f.conventions()  # the x-ruven conventions the rules check
    return out


def referenced_by(pkg: DataPackage, res: Resource) -> list[str]:
    out = []
    for other in pkg:
        for fk in other.foreign_keys:
            if fk.resource == res.name:
                out.append(f"`{other.name}.{fk.field}`")
        for f in other.fields:
            if f.is_id_list and res.name in f.list_references:
                out.append(f"`{other.name}.{f.name}` (list)")
    return out


def _example_text(value: Any) -> str:
    """A typed value as the CSV would show it (lists joined with ";", dates ISO, whole numbers without ".0")."""
    from ruven.db.export import plain

    v = plain(value)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def live_rows(con: duckdb.DuckDBPyConnection, res: Resource) -> list[dict[str, str]]:
    """The live rows of ``res`` in file order, read from the typed connection, as text."""
    from ruven.db import WITHDRAWN, all_table, ident

    names = res.field_names
    where = f" WHERE {ident(WITHDRAWN)} IS NULL" if WITHDRAWN in names else ""
    cur = con.execute(f"SELECT {', '.join(ident(n) for n in names)} FROM {ident(all_table(res))}{where} ORDER BY rowid")
    return [{n: _example_text(v) for n, v in zip(names, row, strict=True)} for row in cur.fetchall()]


def _resource(pkg: DataPackage, res: Resource, con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    rows = live_rows(con, res)
    fields = []
    for f in res.fields:
        ex = example_value(res, f.name, rows)
        fields.append([code(f.name), cell(f.title), cell(field_type(f)), cell("; ".join(field_constraints(res, f))), cell(f.description), code(cell(ex)) if ex else ""])
    enums = [
        {"name": f.name, "table": table(["value", "meaning"], [[f"`{v}`", cell(f.value_meanings.get(v, ""))] for v in f.enum])}
        for f in res.fields
        if f.enum
    ]
    return {
        "name": res.name,
        "title": res.title,
        "description": res.description,
        "file": res.relpath,
        "schema": res.schema_path.relative_to(pkg.root).as_posix() if res.schema_path else "(inline)",
        "primary_key": ", ".join(f"`{k}`" for k in res.primary_key) or "none",
        "foreign_keys": "; ".join(f"`{fk.field}` → `{fk.resource}.{fk.reference_field}`" for fk in res.foreign_keys) or "none",
        "list_delimiters": "`, `".join(sorted({f.delimiter for f in res.fields if f.is_id_list}) or [";"]),
        "lists": "; ".join(f"`{f.name}` → " + ", ".join(f"`{t}`" for t in f.list_references) for f in res.fields if f.is_id_list) or "none",
        "referenced_by": ", ".join(referenced_by(pkg, res)) or "nothing",
        "fields": table(["field", "title", "type", "constraints", "description", "example"], fields),
        "enums": enums,
    }


def query_views(pkg: DataPackage, con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Each research view of the connection (:func:`ruven.db.views`, from ``ruven/db/sql/*.sql``)
    with its purpose and its columns as DuckDB has them: name, type, comment."""
    from ruven.db import views

    out = []
    for v in views(pkg):
        found = con.execute("SELECT comment FROM duckdb_views() WHERE view_name = ? AND NOT internal", [v.name]).fetchall()
        if not found:
            continue
        cols = con.execute(
            "SELECT column_name, data_type, comment FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", [v.name]
        ).fetchall()
        out.append(
            {
                "name": v.name,
                "description": cell(found[0][0] or v.description),
                "columns": table(["column", "type", "description"], [[code(n), cell(t), cell(c or "")] for n, t, c in cols]),
            }
        )
    return out


def codebook_markdown(pkg: DataPackage, con: duckdb.DuckDBPyConnection | None = None) -> str:
    """The codebook; example values come from the live rows of the typed connection (``con``,
    or one opened for the call)."""
    if con is None:
        from ruven import connect

        with connect(pkg) as own:
            return codebook_markdown(pkg, own)
    text = render(
        "codebook.md.j2",
        pkg=pkg,
        fix_command=FIX_COMMAND,
        licence=licence_statement(pkg),
        resources=[_resource(pkg, res, con) for res in pkg],
        views=query_views(pkg, con),
    )
    from ruven.validate.codes import codebook_section

    return text.rstrip() + "\n\n" + codebook_section()


def data_dictionary_markdown(pkg: DataPackage) -> str:
    rows = [
        [f"[`{res.name}`](docs/codebook.md#{res.name})", cell(res.description), ", ".join(f"`{k}`" for k in res.primary_key), f"{len(res.fields)}: {', '.join(f'`{n}`' for n in res.field_names)}"]
        for res in pkg
    ]
    return "\n".join(
        [
            table(["table", "one row is", "key", "fields"], rows),
            "",
            "Every field's type, constraints, allowed values and an example are in the codebook "
            "([docs/codebook.md](docs/codebook.md)); how the data was gathered and its known gaps are in the "
            "datasheet ([docs/datasheet.md](docs/datasheet.md)).",
        ]
    )
