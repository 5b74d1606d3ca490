"""``ruven build``: the release files (DuckDB, Parquet, xlsx, zipped data package, SHA256SUMS)."""

from __future__ import annotations

import click

from ruven.cli.output import echo_json, format_option, package_option, progress


@click.command()
@package_option
@click.option(
    "--out",
    "-o",
    "out",
    type=click.Path(file_okay=False),
    default="dist",
    show_default=True,
    help="Folder to write the release files into.",
)
@click.option(
    "--skip",
    "skip",
    multiple=True,
    metavar="STEP",
    help="Leave out an artifact step (repeatable): parquet, dta, xlsx, zip, chart. The .duckdb file and SHA256SUMS are always built.",
)
@click.option("--site", "site", is_flag=True, help="Also write <name>-<version>-site.zip: the static website of `ruven site`.")
@format_option("text", "json")
def build(package: str | None, out: str, skip: tuple[str, ...], site: bool, fmt: str) -> int:
    """Build the release files into --out, with nothing downloaded.

    Writes <name>-<version>.duckdb (tables and views, in a storage format DuckDB 1.0 and
    later read), parquet/<table>.parquet, stata/<table>.dta (Stata 14+, variable and value
    labels), <name>-<version>.xlsx (one sheet per table, About and Columns sheets),
    <name>-<version>.zip (the data package with bytes and hashes), charts/ (the charts as PNG
    and SVG, with their data in charts.json) and SHA256SUMS. Every file but the .duckdb (and
    so SHA256SUMS) is byte-identical when built twice from the same commit. Progress goes to
    stderr.

    \b
    Examples:
      ruven build
      ruven build --out build/release --format json
      ruven build --skip xlsx            # a huge package: the workbook takes minutes
      ruven build --site                 # adds the static website as a zip
      cd dist && sha256sum -c SHA256SUMS
    """
    from ruven.release import build as run_build
    from ruven.release.build import STEPS, site_step

    result = run_build(package, out, steps=[*STEPS, site_step] if site else None, skip=skip, progress=progress)
    if fmt == "json":
        echo_json({"ok": True, **result.to_dict()})
        return 0
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table("file", "bytes", "reproducible", "sha256")
    for a in result.artifacts:
        table.add_row(a.relpath, f"{a.bytes:,}", "yes" if a.reproducible else "no", a.sha256[:16])
    console.print(table)
    rows = ", ".join(f"{k} {v}" for k, v in result.rows.items())
    console.print(f"Built data package {result.name} {result.version} into {result.out} in {result.seconds:.1f} s ({rows}).")
    return 0
