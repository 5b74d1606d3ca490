"""``ruven docs``: regenerate (or check) the codebook, datasheet, CITATION.cff and README sections."""

from __future__ import annotations

import click

from ruven.cli.output import echo_json, format_option, package_option

#: Width of the help texts copied into the README, fixed so the reference does not depend on the terminal.
HELP_WIDTH = 100


def cli_reference_markdown() -> str:
    """Every registered command's ``--help``, in COMMANDS order, as Markdown (via click's own context)."""
    from ruven.cli.app import COMMANDS, cli

    # The group's own context settings (``-h``), as when a user runs ruven; a fixed width.
    settings = {**cli.context_settings, "terminal_width": HELP_WIDTH, "max_content_width": HELP_WIDTH}
    root = click.Context(cli, info_name="ruven", **settings)
    try:
        top = cli.get_help(root)
    except ImportError as exc:  # a registered command whose module is missing
        top = f"(help not available: {type(exc).__name__}: {exc})"
    parts = ["Generated from `--help` by `ruven docs`; `ruven COMMAND -h` shows the same.", "", "```text", top, "```"]
    for name in COMMANDS:
        try:
            cmd = cli.get_command(root, name)
        except ImportError as exc:  # a registered command whose module is missing: say so in the reference
            parts += ["", f"### `ruven {name}`", "", f"(help not available: {type(exc).__name__}: {exc})"]
            continue
        if cmd is None:
            continue
        ctx = click.Context(cmd, info_name=name, parent=root, terminal_width=HELP_WIDTH, max_content_width=HELP_WIDTH)
        parts += ["", f"### `ruven {name}`", "", "```text", cmd.get_help(ctx), "```"]
    return "\n".join(parts)


@click.command()
@package_option
@format_option("text", "json")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when a generated file differs from what the package generates.")
def docs(package: str | None, fmt: str, check: bool) -> int:
    """Generate docs/codebook.md, docs/datasheet.md, CITATION.cff and the README's generated sections.

    Everything is derived from datapackage.json, schemas/*.json, the data and the commands'
    help: the codebook (every field with type, constraints, allowed values and an example),
    the datasheet (with its figures computed from the data), the citation file, and the
    README sections between `<!-- BEGIN GENERATED: name -->` and `<!-- END GENERATED: name -->`
    markers (data dictionary, charts, how to cite, licence, CLI reference). The chart images
    in docs/charts are redrawn when the data behind them (docs/charts/charts.json) changed.
    With --check nothing is written and the exit code is 1 when something is out of date.

    \b
    Examples:
      ruven docs
      ruven docs --check                 # in CI: fail when the docs drift
      ruven docs --check --format json
    """
    from ruven.docs import FIX_COMMAND, generate_docs

    result = generate_docs(package, check=check, cli_reference=cli_reference_markdown())
    if fmt == "json":
        echo_json(result.to_dict())
    else:
        labels = {"written": "wrote", "unchanged": "up to date", "would-change": "out of date", "skipped": "skipped"}
        for f in result.files:
            click.echo(f"{labels[f.status]}: {f.path}" + (f" ({f.detail})" if f.detail and f.status != "unchanged" else ""))
        if result.drifted:
            click.echo(f"{len(result.drifted)} generated file(s) out of date: run `{FIX_COMMAND}` to regenerate them.")
    return 0 if result.ok else 1
