"""The ``ruven`` command group. Subcommands are imported only when they run or are listed."""

from __future__ import annotations

import importlib
from typing import Any

import click

from ruven import tool_version

#: command name -> "module:attribute". Each module imports only click and light ruven
#: modules at the top; heavy libraries are imported inside the command function.
COMMANDS: dict[str, str] = {
    "validate": "ruven.cli.validate:validate",
    "info": "ruven.cli.info:info",
    "docs": "ruven.cli.docs:docs",
    "chart": "ruven.cli.chart:chart",
    "serve": "ruven.cli.serve:serve",
    "fmt": "ruven.cli.fmt:fmt",
    "add": "ruven.cli.add:add",
    "diff": "ruven.cli.diff:diff",
    "release": "ruven.cli.release:release",
    "query": "ruven.cli.query:query",
    "build": "ruven.cli.build:build",
    "site": "ruven.cli.site:site",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)


def _version(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(f"ruven tool {tool_version()}")
    try:
        from ruven.package import DataPackage

        pkg = DataPackage.load()
        data = f"data package {pkg.name} {pkg.version or '(no version)'}"
    except Exception:  # noqa: BLE001 - --version must work outside a package too
        data = "data package: none found (pass --package to a command, or set RUVEN_PACKAGE)"
    click.echo(data)
    ctx.exit(0)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="""\b
Examples:
  ruven validate                     check the whole package, all layers
  ruven validate --format json       one JSON document for machines
  ruven info                         tables, row counts and dates covered
Run `ruven COMMAND --help` for a command's options and examples.""",
)
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_version, help="Show the version of the ruven tool and of the data package found here, and exit.")
@click.option("--debug", is_flag=True, help="Show a traceback when ruven itself fails.")
def cli(debug: bool) -> None:
    """ruven: Russia–Venezuela military, economic and diplomatic ties, as a validated data package.

    Validate, query, build and browse the package; add and review rows.
    """
