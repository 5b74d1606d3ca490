"""``ruven query``: run SQL on the package's typed tables and views (sandboxed by default)."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import math
import sys
from typing import Any

import click

from ruven.cli.output import TextFile, echo_json, format_option, package_option
from ruven.errors import UsageError


@click.command()
@click.argument("sql", required=False)
@click.option(
    "--file",
    "-f",
    "sql_file",
    type=TextFile(),
    default=None,
    help="Read the SQL from this file ('-' for stdin; UTF-8).",
)
@package_option
@format_option("table", "csv", "json", "markdown", default="table")
@click.option(
    "--allow-external",
    is_flag=True,
    help="Lift the sandbox: allow writes and file access (COPY ... TO, read_csv on other files). Off by default.",
)
@click.option(
    "--include-withdrawn",
    is_flag=True,
    help="Let the table views show withdrawn rows too (they are always in <table>_all).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="Stop the query when it runs longer than this (0: no limit).",
)
def query(
    sql: str | None,
    sql_file: Any,
    package: str | None,
    fmt: str,
    allow_external: bool,
    include_withdrawn: bool,
    timeout: float,
) -> int:
    """Run SQL on the package: one typed table per resource plus research views.

    Tables and views: sources, actors, deployments, arms_purchases, investments,
    statements (live rows: withdrawn rows are left out; <table>_all keeps them), citations,
    timeline, fact_rows, single_source_rows, statements_with_speakers, arms_with_financing,
    investments_with_parties, package_info. Partial dates come with <field>_min/_max DATEs.

    The query runs in a sandbox: read-only (SELECT, a dynamic PIVOT, and EXPLAIN [ANALYZE] of
    a SELECT, in a read-only transaction), no access to files or extensions outside the
    package. --allow-external lifts it, e.g. for
    COPY ... TO exports. A query is stopped after --timeout seconds (60 by default).
    Exit 0 on success, 1 when the query fails or times out (the reason is printed), 130 on
    Ctrl-C.

    With --format json each row is an object keyed by column name; when two columns share a
    name, the second is renamed name_2 (the third name_3 ...), "columns" gives each one's
    "name" and, for a renamed one, "renamed_from". NaN and infinite numbers are written as
    null (strict JSON).

    \b
    Examples:
      ruven query "SELECT * FROM timeline LIMIT 10"
      ruven query "SELECT table_name, count(*) FROM single_source_rows GROUP BY ALL" --format markdown
      echo "SELECT * FROM timeline WHERE table_name = 'statements'" > question.sql
      ruven query --file question.sql --format csv > answer.csv
      ruven query "SHOW ALL TABLES"
      ruven query "PIVOT deployments ON status USING count(*) GROUP BY personnel_kind"
      ruven query --allow-external "COPY (FROM timeline) TO 'timeline.csv'"
    """
    if sql and sql_file is not None:
        raise UsageError(
            "give the SQL either as an argument or with --file, not both",
            'ruven query "SELECT ..." or ruven query --file q.sql',
        )
    if sql_file is not None:
        sql = sql_file
    if not sql or not sql.strip():
        raise UsageError("no SQL given", 'ruven query "SELECT * FROM timeline LIMIT 5" or ruven query --file q.sql')
    from ruven.query import query as run_query

    result = run_query(sql, package, allow_external=allow_external, include_withdrawn=include_withdrawn, timeout=timeout)
    render(result, fmt)
    return 0


def render(result: Any, fmt: str) -> None:
    if fmt == "json":
        columns = []
        for name, key, typ in zip(result.columns, result.unique_columns(), result.types, strict=True):
            columns.append({"name": key, "type": typ} | ({"renamed_from": name} if key != name else {}))
            if key != name:
                click.echo(f"note: column {name!r} appears more than once; this one is {key!r} in the JSON rows", err=True)
        echo_json(
            {
                "ok": True,
                "columns": columns,
                "rows": [{k: _json_value(v) for k, v in r.items()} for r in result.records()],
                "row_count": len(result.rows),
            }
        )
    elif fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(result.columns)
        w.writerows([_text(v) for v in row] for row in result.rows)
        click.echo(buf.getvalue(), nl=False)
    elif fmt == "markdown":
        click.echo("| " + " | ".join(_md(c) for c in result.columns) + " |")
        click.echo("| " + " | ".join("---:" if _numeric(t) else "---" for t in result.types) + " |")
        for row in result.rows:
            click.echo("| " + " | ".join(_md(_text(v)) for v in row) + " |")
    else:
        _table(result)
    if fmt != "json" and sys.stderr.isatty():
        click.echo(f"({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})", err=True)


def _table(result: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 200, soft_wrap=False)
    table = Table(*result.columns, show_lines=False)
    for col, typ in zip(table.columns, result.types, strict=True):
        col.overflow = "fold"
        if _numeric(typ):
            col.justify = "right"
    for row in result.rows:
        table.add_row(*("" if v is None else _text(v) for v in row))
    console.print(table)


def _numeric(typ: str) -> bool:
    return typ.split("(")[0] in {
        "BIGINT",
        "INTEGER",
        "SMALLINT",
        "TINYINT",
        "HUGEINT",
        "UBIGINT",
        "DOUBLE",
        "FLOAT",
        "DECIMAL",
    }


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, list | tuple):
        return ";".join(_text(x) for x in v)
    if isinstance(v, dt.date | dt.datetime):
        return v.isoformat()
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e16:
        return str(int(v))
    return str(v)


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", "<br>")


def _json_value(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None  # NaN and infinities are not JSON
    if isinstance(v, decimal.Decimal):
        return float(v) if v.is_finite() else None
    if isinstance(v, dt.date | dt.datetime | dt.time):
        return v.isoformat()
    if isinstance(v, list | tuple):
        return [_json_value(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _json_value(x) for k, x in v.items()}
    if isinstance(v, bytes):
        return v.hex()
    return v
