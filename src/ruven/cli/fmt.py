"""``ruven fmt``: rewrite every CSV and JSON file of the package into canonical form."""

from __future__ import annotations

import click

from ruven.cli.output import echo_json, format_option, package_option


@click.command()
@package_option
@format_option("text", "json")
@click.option("--check", is_flag=True, help="Change nothing; list the files fmt would change and why, exit 1 if any.")
def fmt(package: str | None, fmt: str, check: bool) -> int:
    """Rewrite the package's CSV and JSON files into the canonical form of the house style.

    CSV: UTF-8 without BOM, \\n line ends, columns in schema order, rows sorted by id,
    minimal quoting. JSON: 2-space indent, authored key order, trailing newline. The only
    value changes are Unicode NFC and stripping whitespace around CSV cells. Idempotent.
    A file that does not parse cleanly (a stray quote would merge rows) is refused, located
    at the line where the bad record starts, and left untouched.

    fmt waits for a running `ruven add` (the package's one writer lock) and never
    overwrites a file that changed while it worked (exit 3: run it again).
    Exit 0 when every file is canonical (or was made so), 1 when --check finds files to
    change or a file cannot be formatted without changing its meaning, 3 when a file
    cannot be written (permission, full disk) or changed meanwhile.

    \b
    Examples:
      ruven fmt                   rewrite what is not canonical
      ruven fmt --check           what would change (CI and pre-commit run this)
      ruven fmt --check --format json
    """
    from ruven.canonical import format_package

    report = format_package(package, write=not check)
    if fmt == "json":
        echo_json(report.to_dict())
    else:
        verb = "would change" if check else "changed"
        for c in report.changes:
            click.echo(f"{c.path}: {verb}: " + "; ".join(c.reasons))
            for line in c.diff:
                click.echo(f"    {line}")
        for p in report.problems:
            click.echo(f"{p.location}: cannot format: {p.message}" + (f" ({p.code})" if p.code else ""))
            click.echo(f"    hint: {p.hint}")
        n = len(report.checked)
        if report.ok:
            click.echo(f"{n} file(s) checked: all canonical")
        else:
            tail = f"; {len(report.problems)} cannot be formatted" if report.problems else ""
            click.echo(f"{n} file(s) checked: {len(report.changes)} {verb}{tail}")
            if check and report.changes:
                click.echo("run `ruven fmt` to rewrite them")
    if report.problems:
        return 1
    return 1 if check and report.changes else 0
