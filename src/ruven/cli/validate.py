"""``ruven validate``: every layer's findings in one report."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from ruven.cli.output import echo_json, format_option, package_option, parse_today, progress
from ruven.report import LAYERS, ValidationReport
from ruven.validate.layers import DEFAULT_LAYERS
from ruven.validate.limit import PER_KIND


@click.command()
@package_option
@format_option("text", "json", "github")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option(
    "--layer",
    "layers",
    multiple=True,
    type=click.Choice(LAYERS),
    help="Run only this layer (repeatable) [default: all layers].",
)
@click.option("--data-docs", type=click.Path(file_okay=False), default=None, help="Also write Great Expectations' HTML Data Docs into this folder.")
@click.option("--no-cache", is_flag=True, help="Check every table again, even those an earlier run saw with the very same bytes (findings are cached by content).")
@click.option("--max-per-kind", type=click.IntRange(min=0), default=PER_KIND, show_default=True, metavar="N", help="List at most N rows of one kind of problem (code and field) per table, and count the rest; 0 lists them all.")
@click.option("--today", callback=parse_today, default=None, metavar="YYYY-MM-DD", help="Date that counts as today for the not-in-the-future checks.")
@click.option("--watch", is_flag=True, help="Keep running: validate again each time a file of the package changes (Ctrl-C ends it).")
def validate(package: str | None, fmt: str, strict: bool, layers: tuple[str, ...], data_docs: str | None, no_cache: bool, max_per_kind: int, today: dt.date | None, watch: bool) -> int:
    """Validate the package: descriptor, types, constraints, keys and the cross-table rules.

    Prints every problem as `path:line:field: message (code)` with a hint, then a summary.
    Exit 0 when valid, 1 when the data has errors (or warnings with --strict), 3 when the
    package cannot be read. Validation never writes to the package.

    With --watch it keeps the libraries loaded and validates again whenever the descriptor,
    a schema, a suite or a data file changes, re-checking only the changed table and the
    tables that refer to it; Ctrl-C ends it with the exit code of the last report (with
    --format json: one report per line).

    \b
    Examples:
      ruven validate
      ruven validate --format json > report.json
      ruven validate --layer frictionless --strict
      ruven validate --format github          # annotations in a GitHub workflow
      ruven validate --data-docs build/data-docs
      ruven validate --watch                  # edit a CSV in another window
      ruven validate --max-per-kind 0         # every row of every problem, however many
    """
    from ruven.validate import validate_package

    chosen = [layer for layer in LAYERS if layer in layers] if layers else list(DEFAULT_LAYERS)
    if watch:
        return _watch(package, fmt, strict, chosen, today, not no_cache, max_per_kind or None)
    report = validate_package(package, layers=chosen, today=today, cache=not no_cache, progress=lambda layer: progress(f"validating: {layer} layer"), max_per_kind=max_per_kind or None)
    if data_docs:
        from ruven.validate.expectations import build_data_docs

        build_data_docs(package, data_docs)
    render(report, fmt, strict)
    return 0 if report.ok(strict) else 1


def _watch(package: str | None, fmt: str, strict: bool, layers: list[str], today: dt.date | None, cache: bool, max_per_kind: int | None) -> int:
    from ruven.validate.watch import watch

    if fmt != "json":
        progress("validating, then watching the package's files (Ctrl-C to stop)")
    code = 0
    try:
        for run in watch(package, layers=layers, today=today, cache=cache, max_per_kind=max_per_kind):
            code = 3 if run.report is None else 0 if run.report.ok(strict) else 1  # before printing: Ctrl-C may come any time
            _show(run, fmt, strict)
    except KeyboardInterrupt:  # Ctrl-C during a validation ends the loop as cleanly as during the wait
        pass
    if fmt != "json":
        progress("stopped watching")
    return code


def _show(run: Any, fmt: str, strict: bool) -> None:
    """Print one run of the watch loop."""
    import json
    import time

    what = f"{', '.join(run.changed)} changed: " if run.changed else ""
    if run.report is None:
        if fmt == "json":
            click.echo(json.dumps({"ok": False, "error": run.error.to_dict() if run.error else {}, "changed": run.changed}))
        else:
            click.echo(f"── {time.strftime('%H:%M:%S')} {what}the package cannot be read: {run.error}")
            if run.error is not None and run.error.hint:
                click.echo(f"    hint: {run.error.hint}")
        return
    if fmt == "json":
        doc = run.report.to_dict(strict)
        doc["changed"], doc["seconds"] = run.changed, round(run.seconds, 3)
        click.echo(json.dumps(doc, ensure_ascii=False))
    else:
        click.echo(f"── {time.strftime('%H:%M:%S')} {what}validated in {run.seconds:.2f} s")
        render(run.report, fmt, strict)


def render(report: ValidationReport, fmt: str, strict: bool) -> None:
    if fmt == "json":
        echo_json(report.to_dict(strict))
        return
    for f in report.findings:
        if fmt == "github":
            level = "error" if f.severity == "error" or strict else "warning"
            props = f"file={f.path}" + (f",line={f.line}" if f.line else "") + f",title={f.code}"
            text = f"{f.field + ': ' if f.field else ''}{f.message}. {f.hint}".replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            click.echo(f"::{level} {props}::{text}")
        else:
            sev = "warning: " if f.severity == "warning" else ""
            click.echo(f"{f.location}: {sev}{f.message} ({f.code})")
            if f.hint:
                click.echo(f"    hint: {f.hint}")
    click.echo(f"data package {report.summary(strict)}")  # the data's name and version, not the tool's (ruven --version)
