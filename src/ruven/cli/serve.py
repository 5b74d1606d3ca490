"""``ruven serve``: browse the package in Datasette (optional extra ``serve``)."""

from __future__ import annotations

import click

from ruven.cli.output import echo_json, format_option, package_option


@click.command()
@package_option
@format_option("text", "json")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (keep it on loopback unless you mean to publish).")
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True, help="Port to listen on.")
@click.option("--build-only", "build_only", type=click.Path(file_okay=False), default=None, metavar="DIR", help="Only write ruven.db and metadata.json into DIR; do not serve.")
def serve(package: str | None, fmt: str, host: str, port: int, build_only: str | None) -> int:
    """Browse the package in Datasette: every table and the timeline, with sources as links.

    Copies the typed connection that `ruven query` uses into a SQLite file (every table with
    all its rows; partial dates with their _min/_max day bounds; id lists as `;`-joined text;
    every research view, `timeline` and `citations` among them, as a table of its rows, so the
    titles are the same) and writes Datasette metadata (table and column descriptions from the
    schemas, facets on every enumerated column), then serves it until Ctrl-C. Source ids in
    `source_ids` link to the source's page when its URL is http(s). Building and serving need
    the optional extra: pip install -e ".[serve]" (exit 3 without it).

    \b
    Examples:
      ruven serve                           # http://127.0.0.1:8001/ruven/statements
      ruven serve --port 8080
      ruven serve --build-only build/site   # ruven.db, metadata.json, ruven.css for datasette
    """
    from ruven.serve import INSTALL_HINT, ServeError, build_site, datasette_available
    from ruven.serve import serve as run

    if build_only:
        site = build_site(package, build_only)
        if fmt == "json":
            echo_json(site.to_dict())
        else:
            click.echo(f"wrote {site.db_path} ({sum(site.tables.values())} rows in {len(site.tables)} tables; views: {', '.join(site.views)})")
            click.echo(f"wrote {site.metadata_path}")
        return 0
    if not datasette_available():
        raise ServeError("Datasette is not installed, so `ruven serve` cannot serve", INSTALL_HINT)
    click.echo(f"Serving the package at http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    run(package, host=host, port=port)
    return 0
