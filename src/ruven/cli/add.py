"""``ruven add``: add a row to a table, asking field by field (or from --set / --json)."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from typing import TYPE_CHECKING, Any

import click

from ruven.cli.output import TextFile, echo_json, format_option, package_option, parse_today
from ruven.report import LAYERS

if TYPE_CHECKING:  # pragma: no cover
    from ruven.add import AddResult, NewRow, Session


def _pairs(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in value:
        name, sep, v = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{item!r} is not FIELD=VALUE")
        out[name.strip()] = v
    return out


@click.command()
@click.argument("resource")
@package_option
@click.option("--set", "sets", multiple=True, callback=_pairs, metavar="FIELD=VALUE", help="A cell of the new row (repeatable); skips the prompts.")
@click.option("--json", "json_file", type=TextFile(), default=None, help="Read the row (an object, or a list of objects) from this JSON file (UTF-8); - reads stdin.")
@click.option("--dry-run", is_flag=True, help="Check and print the row; write nothing.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation before writing (interactive mode).")
@click.option("--layer", "layers", multiple=True, type=click.Choice(LAYERS), help="Validate with only this layer (repeatable) [default: all layers].")
@click.option("--today", callback=parse_today, default=None, metavar="YYYY-MM-DD", help="Date that counts as today for the not-in-the-future checks.")
@format_option("text", "json")
def add(resource: str, package: str | None, sets: dict[str, str], json_file: Any, dry_run: bool, yes: bool, layers: tuple[str, ...], today: dt.date | None, fmt: str) -> int:
    """Add a row to RESOURCE (a table of the package), validated before it is written.

    Without --set or --json it asks for each field in schema order, showing the field's
    title, description and allowed values, proposing the next free id, and checking each
    answer as you type it. In a reference field (actor_id, source_ids, ...) type ?WORD to
    search the referenced table or + to add a new row there (e.g. a new source) in the same
    flow. The row is then validated with the whole package through every layer; findings
    it causes refuse it (exit 1, file untouched). Otherwise it is written at its id's place
    and nothing else in the file changes. Prompts go to stderr, the result to stdout.

    Writers wait for each other (one lock per package: add, fmt, release). If the file is
    edited by hand while add checks the row, add starts over from the edited file; if it
    keeps changing, add refuses (exit 3) and writes nothing: an edit is never reverted.
    A file that cannot be written (no permission, a full disk) is exit 3, file untouched.

    \b
    Examples:
      ruven add deployments                       ask field by field
      ruven add sources --set url=https://example.org/x --set publisher=Example \\
          --set language=en --set kind=newspaper --set accessed=2026-11-25
      echo '{"name": "Example Ltd", "kind": "company", "country": "RU", "description": "A firm."}' > actor.json
      ruven add actors --json actor.json --dry-run
      ruven add actors --json - --format json < actor.json
    """
    from ruven.add import Session, add_rows, make_row
    from ruven.package import DataPackage

    pkg = DataPackage.load(package)
    pkg.resource(resource)  # usage error for an unknown table
    session = Session(pkg)
    rows: list[NewRow]
    if sets or json_file is not None:
        docs: list[dict[str, Any]] = []
        if json_file is not None:
            try:
                loaded = json.loads(json_file)
            except json.JSONDecodeError as exc:
                raise click.BadParameter(f"not valid JSON: {exc}", param_hint="--json") from None
            except RecursionError:
                raise click.BadParameter("the JSON is nested too deeply: give an object (field -> value) or a list of them", param_hint="--json") from None
            docs = loaded if isinstance(loaded, list) else [loaded]
            if not all(isinstance(d, dict) for d in docs):
                raise click.BadParameter("expected an object (field -> value) or a list of them", param_hint="--json")
        if sets:
            docs = [{**d, **sets} for d in docs] if docs else [dict(sets)]
        rows = []
        for d in docs:
            row = make_row(pkg, resource, d, session)
            session.pending.append(row)
            rows.append(row)
    else:
        main = ask_row(session, resource)
        rows = [*session.pending, main]
        _show_rows(rows, pkg)
        if not dry_run and not yes and not click.confirm("Validate and write?", default=True, err=True):
            click.echo("Nothing written.", err=True)
            return 1
    result = add_rows(pkg, rows, dry_run=dry_run, layers=layers or None, today=today)
    render(result, fmt)
    return 0 if result.ok else 1


def _show_rows(rows: list[NewRow], pkg: Any) -> None:
    for r in rows:
        click.echo(f"\nrow for {pkg.resource(r.resource).relpath}:", err=True)
        for k, v in r.values.items():
            if v:
                click.echo(f"  {k}: {v}", err=True)


def ask_row(session: Session, resource: str, depth: int = 0) -> NewRow:
    """Ask for every field of a new ``resource`` row; each answer is checked before the next."""
    from ruven.add import NewRow
    from ruven.canonical import normalize_cell

    res = session.pkg.resource(resource)
    pad = "  " * depth
    say = lambda text="": click.echo(textwrap.indent(text, pad) if text else "", err=True)  # noqa: E731
    say(f"New row for {res.relpath}: {res.title}. {res.description}".strip())
    say("Enter keeps the [proposal]; an empty answer leaves an optional field empty.")
    values: dict[str, str] = {}
    auto = True
    for p in session.prompts(resource):
        say()
        say(f"{p.title} ({p.name}, {'required' if p.required else 'optional'})")
        if p.description:
            say(textwrap.fill(p.description, 96, initial_indent="  ", subsequent_indent="  "))
        say(f"  format: {p.format}")
        for i, (value, meaning) in enumerate(p.choices, start=1):
            say(f"  {i:>2}. {value}" + (f": {meaning}" if meaning else ""))
        if p.references:
            say(f"  points to {', '.join(p.references)}: type ?WORD to search, + to add a new row there" + (f" (append {p.delimiter}+ to a list)" if p.is_list else ""))
        default = p.default
        while True:
            ans = normalize_cell(click.prompt(pad + p.name, default=default, show_default=bool(default), err=True))
            if p.references and ans.startswith("?"):
                for target in p.references:
                    hits = session.search(target, ans[1:])
                    say(f"  {len(hits)} match(es) in {target}" + (" (the last ones shown)" if len(hits) >= 15 else ""))
                    for ident, label in hits:
                        say(f"    {ident}  {label}")
                continue
            if p.references and (ans == "+" or (p.is_list and ans.endswith(p.delimiter + "+"))):
                target = p.references[0]
                if len(p.references) > 1:
                    target = click.prompt(pad + "which table", type=click.Choice(p.references), err=True)
                new = ask_row(session, target, depth + 1)
                session.pending.append(new)
                say(f"  {new.id} will be added to {session.pkg.resource(target).relpath}")
                ans = ans[:-1] + new.id
            if p.choices and ans.isdigit() and ans not in dict(p.choices) and 1 <= int(ans) <= len(p.choices):
                ans = p.choices[int(ans) - 1][0]
                say(f"  = {ans}")
            problem = session.check(resource, p.name, ans)
            if problem:
                say(f"  ✗ {problem.message} ({problem.code})")
                say(f"    hint: {problem.hint}")
                default = ""
                continue
            break
        if p.name == "id":
            auto = ans == p.default
        values[p.name] = ans
    return NewRow(resource, values, auto_id=auto)


def render(result: AddResult, fmt: str) -> None:
    if fmt == "json":
        echo_json(result.to_dict())
        return
    for r in result.rows:
        path = result.paths.get(r.resource, r.resource)
        line = result.lines.get(r.id)
        where = f"{path}" + (f" at line {line}" if line else "")
        if result.written:
            click.echo(f"added {r.id} to {where}")
        elif result.ok and result.dry_run:
            click.echo(f"dry run: {r.id} would be added to {where}; nothing written")
            click.echo("  " + ",".join(r.values.keys()))
            click.echo("  " + ",".join(r.values.values()))
    for f in result.findings:
        sev = "warning: " if f.severity == "warning" else ""
        click.echo(f"{f.location}: {sev}{f.message} ({f.code})")
        if f.hint:
            click.echo(f"    hint: {f.hint}")
    if not result.ok:
        files = ", ".join(sorted(set(result.paths.values())))
        click.echo(f"refused: {len(result.errors)} error(s) caused by the new row(s); {files} left untouched")
    elif result.findings:
        click.echo(f"{len(result.findings)} warning(s) caused by the new row(s)")
