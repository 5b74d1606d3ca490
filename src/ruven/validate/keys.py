"""Which tables other tables refer to, the order to read them in, and the key values kept."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ruven.package import DataPackage, Resource

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from ruven.validate.tables import Table


def key_fields(pkg: DataPackage) -> dict[str, set[str]]:
    """(resource -> fields) whose values other tables refer to: foreign keys and id lists."""
    out: dict[str, set[str]] = {}
    for res in pkg:
        for fk in res.foreign_keys:
            out.setdefault(fk.resource, set()).add(fk.reference_field)
        for fld in res.fields:
            for ref in fld.list_references:
                target = pkg.resources.get(ref)
                if target is not None and target.primary_key:
                    out.setdefault(ref, set()).add(target.primary_key[0])
    return out


def load_order(pkg: DataPackage, resources: list[Resource]) -> list[Resource]:
    """Referenced tables first (foreign keys and id lists), otherwise descriptor order."""
    names = [r.name for r in resources]
    deps = {r.name: {fk.resource for fk in r.foreign_keys if fk.resource != r.name} | {ref for f in r.fields for ref in f.list_references} for r in resources}
    out: list[str] = []
    visiting: set[str] = set()

    def visit(n: str) -> None:
        if n in out or n in visiting or n not in deps:
            return
        visiting.add(n)
        for d in sorted(deps[n], key=lambda x: names.index(x) if x in names else 0):
            visit(d)
        visiting.discard(n)
        out.append(n)

    for n in names:
        visit(n)
    return [pkg.resources[n] for n in out]


def keys_of(table: Table, fields: set[str]) -> dict[tuple[str, str], pl.Series]:
    """The distinct values of the fields other tables refer to."""
    out = {}
    for name in fields:
        if name in table.df.columns:
            s = table.df.get_column(name)
            # duplicates do no harm to membership tests; without empty cells the column itself
            # is kept (its buffers are shared, not copied, while the table's checks still run)
            out[(table.name, name)] = s.filter(s != "") if (s == "").any() else s
    return out

