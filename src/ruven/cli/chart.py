"""``ruven chart``: draw the package's charts (PNG and SVG) from the data."""

from __future__ import annotations

import click

from ruven.cli.output import echo_json, format_option, package_option


@click.command()
@package_option
@format_option("text", "json")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None, help="Folder for the images [default: docs/charts in the package].")
def chart(package: str | None, fmt: str, out_dir: str | None) -> int:
    """Draw the charts: a timeline of the fact tables and arms orders by year and category.

    Each chart is written as PNG and SVG. The key events on the timeline are chosen from the
    data (per table, the rows with the largest figure, then the most sources). The same data
    gives byte-identical files. JSON output includes the aggregated rows behind each chart.

    \b
    Examples:
      ruven chart                        # writes docs/charts/*.png and *.svg
      ruven chart --out build/charts
      ruven chart --format json | jq '.data.arms_by_year'
    """
    from ruven.charts import render_charts

    result = render_charts(package, out_dir)
    if fmt == "json":
        echo_json(result.to_dict())
        return 0
    for f in result.files:
        click.echo(f"wrote {f.path} ({f.bytes:,} bytes)")
    tl = result.data.get("timeline", {})
    click.echo(f"timeline: {sum(r['rows'] for r in tl.get('rows', []))} dated rows, {len(tl.get('events', []))} key events annotated")
    arms = result.data.get("arms_by_year", {}).get("rows", [])
    click.echo(f"arms_by_year: {sum(r['orders'] for r in arms)} orders in {len({r['category'] for r in arms})} categories")
    return 0
