"""``ruven info``: what is in the package."""

from __future__ import annotations

import click

from ruven.cli.output import echo_json, format_option, package_option


@click.command()
@package_option
@format_option("text", "json")
def info(package: str | None, fmt: str) -> int:
    """Show the package's name, version, licence, row counts per table and dates covered.

    \b
    Examples:
      ruven info
      ruven info --format json
    """
    from ruven.summary import package_info

    doc = package_info(package)
    if fmt == "json":
        echo_json({"ok": True, **doc})
        return 0
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{doc['title']}[/bold]")
    console.print(f"data package {doc['name']} {doc['version']} · licence {doc['license']} · {doc['path']}")
    table = Table("table", "rows", "live rows", "first date", "last date", "title")
    for r in doc["resources"]:
        table.add_row(r["name"], str(r["rows"]), "" if r["live_rows"] is None else str(r["live_rows"]), r["date_min"] or "", r["date_max"] or "", r["title"])
    console.print(table)
    console.print(f"Dates covered by the fact tables: {doc['date_min'] or '?'} to {doc['date_max'] or '?'}")
    return 0
