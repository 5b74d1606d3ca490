"""``ruven diff``: rows added, withdrawn, changed and deleted, schema changes, and the bump."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ruven.cli.output import echo_json, format_option, package_option

if TYPE_CHECKING:  # pragma: no cover
    from ruven.diff import DiffReport, RowContent

#: How many changed cells a text or markdown rendering lists per table before summing up.
SHOW = 50
#: How many added rows the markdown rendering shows in full per table (the rest by id).
SHOW_ADDED = 50


@click.command()
@click.argument("old")
@click.argument("new")
@package_option
@format_option("text", "json", "markdown")
def diff(old: str, new: str, package: str | None, fmt: str) -> int:
    """Show what changed from OLD to NEW, row by row, and the version bump it implies.

    OLD and NEW are git revisions (branch, tag, commit; files are read with `git show`,
    nothing is checked out), released versions (0.2.0 or v0.2.0: the tag, or in a clone
    without tags the commit that released it) or package folders; EMPTY stands for no
    package. Per table:
    rows added, withdrawn, changed (by id, with each changed cell old -> new) and deleted
    (a policy violation: rows are withdrawn, never deleted), then schema changes. The bump
    uses the house style's data meanings (MAJOR: field/resource removed, type or key
    changed; MINOR: new rows/fields/resources; PATCH: corrections, withdrawals).
    Exit 0 when nothing differs, 1 when something does.

    \b
    Examples:
      ruven diff v0.1.0 HEAD
      ruven diff origin/main HEAD --format markdown >> "$GITHUB_STEP_SUMMARY"
      ruven diff HEAD .                      # uncommitted changes
      ruven diff 0.2.0 . --format json          # a release (its tag, or in a clone the commit that set it)
      ruven diff EMPTY . --format markdown       # everything, as a first release sees it
    """
    from ruven.diff import diff_specs

    report = diff_specs(old, new, package)
    if fmt == "json":
        echo_json(report.to_dict())
    elif fmt == "markdown":
        click.echo(markdown(report))
    else:
        click.echo(text(report))
    return 1 if report.differs else 0


def _cell(v: str, limit: int = 80) -> str:
    v = v.replace("\n", "⏎")
    return (v[:limit] + "…") if len(v) > limit else v


def text(r: DiffReport) -> str:
    out = [f"{r.old} (data package {r.old_version or '-'}) -> {r.new} (data package {r.new_version or '-'})"]
    for s in r.schema:
        out.append(f"schema: {s.resource or 'package'}: {s.detail} [{s.bump}]")
    for t in r.changed_tables:
        out.append(f"{t.path}: {len(t.added)} added, {len(t.withdrawn)} withdrawn, {len(t.changed)} changed, {len(t.removed)} deleted")
        if t.added:
            out.append("  added: " + _ids(t.added))
        for i, reason in t.withdrawn:
            out.append(f"  withdrawn: {i}: {_cell(reason)}")
        shown = 0
        for c in t.changed:
            for cell in c.cells:
                if shown < SHOW:
                    out.append(f"  changed: {c.id} {cell.field}: {_cell(cell.old)!r} -> {_cell(cell.new)!r}")
                shown += 1
        if shown > SHOW:
            out.append(f"  … {shown - SHOW} more changed cells (--format json lists all)")
        for i in t.removed:
            out.append(f"  DELETED: {i} (policy violation: restore it and withdraw it instead)")
    if r.differs:
        out.append(f"bump: {r.bump.upper()}" + (f" ({'; '.join(r.why())})" if r.why() else ""))
    else:
        out.append("no differences")
    return "\n".join(out)


def _ids(ids: list[str], limit: int = 40) -> str:
    return ", ".join(ids[:limit]) + (f" … and {len(ids) - limit} more" if len(ids) > limit else "")


def _md(v: str) -> str:
    from ruven.markdown import cell

    return cell(_cell(v)) or "∅"


def markdown(r: DiffReport) -> str:
    from ruven.markdown import table

    out = [f"## Data changes: `{r.old}` → `{r.new}`", ""]
    if not r.differs:
        return "\n".join([*out, "No differences."])
    out += [f"**Version bump implied: {r.bump.upper()}** — " + "; ".join(r.why()), ""]
    for v in r.violations:
        out.append(f"> ⚠️ {v}")
    if r.violations:
        out.append("")
    out.append(
        table(
            ["table", "added", "withdrawn", "changed", "deleted"],
            [[f"`{t.resource}`", len(t.added), len(t.withdrawn), len(t.changed), len(t.removed)] for t in r.changed_tables],
            ["left", "right", "right", "right", "right"],
        )
    )
    if r.schema:
        out += ["", "### Schema", ""]
        out += [f"- `{s.resource or 'datapackage.json'}`: {s.detail} ({s.bump})" for s in r.schema]
    for t in r.changed_tables:
        out += ["", f"### `{t.resource}`", ""]
        if t.added:
            out.append(f"- Added: {_ids(t.added)}")
        for i, reason in t.withdrawn:
            out.append(f"- Withdrawn: {i} — reason: {_md(reason)}")
        for i in t.removed:
            out.append(f"- **Deleted**: {i} (restore it and withdraw it instead)")
        if t.changed:
            cells = [(c.id, cell) for c in t.changed for cell in c.cells]
            out += ["", table(["id", "field", "old", "new"], [[_md(i), _md(cell.field), _md(cell.old), _md(cell.new)] for i, cell in cells[:SHOW]])]
            if len(cells) > SHOW:
                out.append(f"\n… {len(cells) - SHOW} more changed cells (`ruven diff --format json` lists all)")
        if t.added_rows:
            out += ["", f"#### Added rows of `{t.resource}`"]
            for row in t.added_rows[:SHOW_ADDED]:
                out += ["", *added_row_markdown(row)]
            if len(t.added_rows) > SHOW_ADDED:
                out += ["", f"… {len(t.added_rows) - SHOW_ADDED} more added rows (`ruven diff --format json` lists all, under `added_rows`)"]
    return "\n".join(out)


def _text(v: str) -> str:
    """Free text as safe inline Markdown: one line, HTML escaped (a PR's text renders as text)."""
    from html import escape

    return escape(" ".join(v.split()), quote=False).replace("|", "\\|")


def added_row_markdown(row: RowContent) -> list[str]:
    """An added row as a reviewer reads it: id and label, then its summary (or quote) as a
    quotation, its dates and figures by field name, and each cited source with its label
    (publisher, title) and URL."""
    from ruven.urls import link_html

    out = [f"**`{row.id}`**" + (f" — {_text(row.label)}" if row.label else "")]
    if row.summary:
        out += ["", f"> {_text(row.summary)}", ""]
    if row.dates:
        out.append("- dates: " + "; ".join(f"`{n}` {_text(v)}" for n, v in row.dates))
    if row.figures:
        out.append("- figures: " + "; ".join(f"`{n}` {_text(v)}" for n, v in row.figures))
    for s in row.sources:
        out.append(f"- source `{s.id}`: {_text(s.label)}" + (f" — {link_html(s.url, _cell(s.url))}" if s.url else ""))
    return out
