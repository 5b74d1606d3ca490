"""``ruven release``: refuse unless every precondition holds; then version, changelog, build."""

from __future__ import annotations

import datetime as dt

import click

from ruven.cli.output import echo_json, format_option, package_option, parse_today, progress


@click.command()
@click.argument("version")
@package_option
@click.option("--dry-run", is_flag=True, help="Check the preconditions and say what would be done; write nothing.")
@click.option("--out", "-o", type=click.Path(file_okay=False), default="dist", show_default=True, help="Folder for the release files.")
@click.option("--today", callback=parse_today, default=None, metavar="YYYY-MM-DD", help="Release date for the changelog (and today for validation) [default: today].")
@format_option("text", "json")
def release(version: str, package: str | None, dry_run: bool, out: str, today: dt.date | None, fmt: str) -> int:
    """Release VERSION (MAJOR.MINOR.PATCH) of the data package.

    Refuses (exit 1, naming each failed precondition and its fix) unless the package
    validates, `ruven fmt --check` passes, the bump from the last release to VERSION is the
    one `ruven diff` implies (the last release is the tag v<semver>, or in a clone without
    tags the commit that first set datapackage.json's highest version with a dated changelog
    section; none: compared with an empty package, so the first release is 0.1.0), and
    CHANGELOG.md has entries for VERSION (under
    ## [VERSION] or ## [Unreleased]). Then sets `version` in datapackage.json, dates the
    changelog section under a fresh ## [Unreleased], and runs `ruven build`. Committing and
    tagging are left to you; the output says the commands.

    \b
    Examples:
      ruven release 0.4.0 --dry-run
      ruven release 0.4.0
      ruven release 0.5.0 --dry-run --out build/release --format json
    """
    from ruven.release.plan import release as run_release

    progress(f"release {version}: checking preconditions")
    plan = run_release(package, version, dry_run=dry_run, today=today, out=out)
    if fmt == "json":
        echo_json(plan.to_dict())
        return 0 if plan.ok else 1
    since = plan.since or plan.tag or "an empty package (no earlier release)"
    click.echo(f"release {version}: previous {plan.previous or '-'}, compared with {since}")
    for c in plan.checks:
        click.echo(f"  {'ok' if c.ok else 'FAILED'}  {c.name}: {c.message}")
        if not c.ok and c.hint:
            click.echo(f"          fix: {c.hint}")
    if not plan.ok:
        click.echo(f"refused: {len(plan.failed)} precondition(s) failed ({', '.join(c.name for c in plan.failed)}); nothing written")
        return 1
    if dry_run:
        click.echo("dry run: would")
        for a in plan.actions:
            click.echo(f"  - {a}")
        click.echo("then you: " + " && ".join(plan.next_steps))
        return 0
    for a in plan.actions:
        click.echo(f"done: {a}")
    if plan.build:
        click.echo(f"built {len(plan.build['artifacts'])} file(s) into {plan.build['out']}")
    click.echo("next: " + " && ".join(plan.next_steps))
    return 0
