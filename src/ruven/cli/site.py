"""``ruven site``: the package as a static website (a page per row), ready for GitHub Pages."""

from __future__ import annotations

import click

from ruven.cli.output import echo_json, format_option, package_option, progress


@click.command()
@package_option
@click.option("--out", "-o", "out", type=click.Path(file_okay=False), default="dist/site", show_default=True, help="Folder to write the site into (replaced as a whole; it must be new, empty or a site ruven wrote).")
@click.option("--base-url", "base_url", default="", metavar="URL", help="Address the site is published at, for the permalinks in 'cite this row' (e.g. https://owner.github.io/ruven/). Without it they are relative.")
@click.option("--release", "release", type=click.Path(file_okay=False), default="dist", show_default=True, help="Folder of `ruven build`'s release files: when its SHA256SUMS lists this version, the files are checked, copied in and listed with their SHA-256.")
@format_option("text", "json")
def site(package: str | None, out: str, base_url: str, release: str, fmt: str) -> int:
    """Write the package as a static website into --out, from the typed connection.

    A permanent page per row of every fact table at <table>/<id>/ (withdrawn rows too, saying
    why), a page per table (sortable and filterable with JavaScript, a plain table without),
    the sources, the actors (each actor's page lists the rows naming it), the codebook, the
    changelog, and a home page with the charts, the numbers at a glance, the release files and
    how to cite. Nothing is loaded from another host. Open <out>/index.html through any web
    server, or publish the folder (.github/workflows/pages.yml does, on GitHub Pages). The
    package is validated first. Progress goes to stderr.

    \b
    Examples:
      ruven site
      ruven site --out /tmp/site --format json
      ruven site --base-url https://owner.github.io/ruven/
      ruven build && ruven site          # lists the release files with their SHA-256
      python3 -m http.server -d dist/site 8000   # then open http://127.0.0.1:8000/
    """
    from ruven.site import build_site

    result = build_site(package, out, base_url=base_url, release_dir=release, progress=progress)
    if fmt == "json":
        echo_json(result.to_dict())
        return 0
    rows = ", ".join(f"{k} {v}" for k, v in result.rows.items())
    click.echo(f"Wrote {result.pages} pages of {result.name} {result.version} into {result.out} in {result.seconds:.1f} s (row pages: {rows}).")
    if result.release:
        click.echo(f"Release files listed and copied: {len(result.release)}.")
    else:
        click.echo("No release files of this version found in --release: run `ruven build` first to list them.")
    return 0
