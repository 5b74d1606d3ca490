"""Read the data package's descriptor and Table Schemas (plain JSON; no heavy imports).

The JSON in ``datapackage.json`` and ``schemas/`` is the single source of truth: every
other part of ruven (validation layers, DuckDB types, codebook, ``ruven add`` prompts)
asks this module for fields, keys and references instead of keeping its own list.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from ruven.errors import PackageReadError

DESCRIPTOR = "datapackage.json"
#: Order in which resources are loaded: referenced tables first.
PARTIAL_DATE = "partial-date"
ID_LIST = "id-list"
TOTALS_FLAG = "totals-flag"
#: The EDTF shapes this package uses (EDTF level 0 without times): ``YYYY``, ``YYYY-MM``,
#: ``YYYY-MM-DD`` and an interval ``A/B`` of two of them. A cheap pre-filter only: the EDTF
#: library parses and checks every value (:func:`date_problem`).
PARTIAL_DATE_RE = re.compile(r"^[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?(?:/[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?)?$")


def find_package(start: str | os.PathLike[str] | None = None) -> Path:
    """Return the path of ``datapackage.json``.

    ``start`` may be the descriptor itself or a folder. Without it: ``$RUVEN_PACKAGE``, then
    the current folder and its parents, then the repository this module was installed from.
    """
    if start is None and os.environ.get("RUVEN_PACKAGE"):
        start = os.environ["RUVEN_PACKAGE"]
    if start is not None:
        p = Path(start)
        if p.is_dir():
            p = p / DESCRIPTOR
        if not p.exists():
            raise PackageReadError(
                f"no data package at {p}",
                "pass the path of datapackage.json or of the folder that holds it",
                location=str(p),
            )
        return p
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / DESCRIPTOR).exists():
            return folder / DESCRIPTOR
    repo = Path(__file__).resolve().parents[2] / DESCRIPTOR
    if repo.exists():
        return repo
    raise PackageReadError(
        "no datapackage.json in this folder or its parents",
        "run ruven inside the package folder, or pass --package PATH",
    )


def _read_json(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise PackageReadError(f"{what} {path.name} does not exist", "create it or fix the path that points to it", location=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise PackageReadError(f"{what} is not UTF-8 text ({exc.reason} at byte {exc.start})", "save the file as UTF-8", location=str(path)) from exc
    except OSError as exc:
        raise PackageReadError(f"{what} cannot be read: {exc.strerror}", "check the path and its permissions", location=str(path)) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise PackageReadError(
            f"{what} is not valid JSON: {exc.msg}",
            "fix the JSON syntax at that place (a missing comma, quote or bracket is the usual cause)",
            location=f"{path}:{exc.lineno}:{exc.colno}",
        ) from exc


@dataclass
class Field:
    """One Table Schema field, with ruven's reading of its ``x-ruven`` extension."""

    descriptor: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.descriptor.get("name", ""))

    @property
    def type(self) -> str:
        return str(self.descriptor.get("type", "string"))

    @property
    def title(self) -> str:
        return str(self.descriptor.get("title", self.name))

    @property
    def description(self) -> str:
        return str(self.descriptor.get("description", ""))

    @property
    def constraints(self) -> dict[str, Any]:
        return dict(self.descriptor.get("constraints", {}))

    @property
    def required(self) -> bool:
        return bool(self.constraints.get("required", False))

    @property
    def enum(self) -> list[str] | None:
        return self.constraints.get("enum")

    @property
    def extension(self) -> dict[str, Any]:
        return dict(self.descriptor.get("x-ruven", {}))

    @property
    def kind(self) -> str:
        """``partial-date``, ``id-list`` or the Table Schema type."""
        return str(self.extension.get("kind", self.type))

    @property
    def is_partial_date(self) -> bool:
        return self.kind == PARTIAL_DATE

    @property
    def is_totals_flag(self) -> bool:
        """The boolean that says whether a row's figures may be added up (``count_in_totals``)."""
        return self.kind == TOTALS_FLAG

    def is_true(self, value: str | None) -> bool:
        """A boolean cell's truth, by the field's ``trueValues``."""
        return (value or "") in (self.descriptor.get("trueValues") or ["true", "True", "TRUE", "1"])

    @property
    def is_id_list(self) -> bool:
        return self.kind == ID_LIST

    @property
    def list_references(self) -> list[str]:
        return list(self.extension.get("references", []))

    @property
    def delimiter(self) -> str:
        return str(self.extension.get("delimiter", ";"))

    @property
    def value_meanings(self) -> dict[str, str]:
        return dict(self.extension.get("values", {}))

    # --- conventions a rule depends on, declared in ``x-ruven`` (read here and nowhere else)

    @property
    def not_before(self) -> str | None:
        """``x-ruven.not-before``: the field this partial date may not lie wholly before."""
        v = self.extension.get("not-before")
        return str(v) if v else None

    @property
    def same_within(self) -> str | None:
        """``x-ruven.same-within``: the field whose rows share one value of this one."""
        v = self.extension.get("same-within")
        return str(v) if v else None

    @property
    def range_members(self) -> dict[str, str]:
        """``x-ruven.range`` (on a range's best figure): ``low``/``best``/``high`` -> field name."""
        r = self.extension.get("range") or {}
        return {k: str(r[k]) for k in ("low", "best", "high") if r.get(k)}

    @property
    def not_more_than(self) -> list[str]:
        """``x-ruven.not-more-than``: fields this figure may not exceed (the first filled one counts)."""
        v = self.extension.get("not-more-than") or []
        return [str(v)] if isinstance(v, str) else [str(x) for x in v]

    @property
    def translation_of(self) -> str | None:
        """``x-ruven.translation-of``: the field this one renders in English."""
        v = self.extension.get("translation-of")
        return str(v) if v else None

    @property
    def language_field(self) -> str | None:
        """``x-ruven.language-field``: the field holding the language of the original."""
        v = self.extension.get("language-field")
        return str(v) if v else None

    @property
    def actor_kinds(self) -> list[str]:
        """``x-ruven.actor-kinds``: the kinds of actor this reference may point to (empty: any)."""
        return [str(k) for k in self.extension.get("actor-kinds") or []]

    @property
    def not_after_sources(self) -> bool:
        """``x-ruven.not-after-sources``: this date is not after every cited source's publication."""
        return bool(self.extension.get("not-after-sources"))

    @property
    def cites_sources(self) -> bool:
        """``x-ruven.cites-sources``: this id list names the row's sources."""
        return bool(self.extension.get("cites-sources"))

    @property
    def is_publication_date(self) -> bool:
        """``x-ruven.publication-date``: the date a source was published."""
        return bool(self.extension.get("publication-date"))

    @property
    def duplicate_key(self) -> list[str]:
        """``x-ruven.duplicate-key``: with these fields, equal (normalised) text marks a likely duplicate."""
        return [str(k) for k in self.extension.get("duplicate-key") or []]

    def conventions(self) -> list[str]:
        """One line per ``x-ruven`` convention, for the codebook."""
        out = []
        if self.not_before:
            out.append(f"not before `{self.not_before}`")
        if self.same_within:
            out.append(f"one value per `{self.same_within}`")
        if self.range_members:
            out.append("range " + " <= ".join(f"`{v}`" for v in self.range_members.values()))
        if self.not_more_than:
            out.append("not more than " + ", else ".join(f"`{n}`" for n in self.not_more_than))
        if self.translation_of:
            lang = f" when `{self.language_field}` is not `en`" if self.language_field else ""
            out.append(f"English rendering of `{self.translation_of}`, required{lang}")
        if self.actor_kinds:
            out.append("actor kinds: " + ", ".join(f"`{k}`" for k in self.actor_kinds))
        if self.not_after_sources:
            out.append("not after the publication of the latest source the row cites")
        if self.cites_sources:
            out.append("cites the row's sources")
        if self.is_publication_date:
            out.append("publication date (rows citing the source are not dated after it)")
        if self.duplicate_key:
            out.append("likely duplicate with the same " + ", ".join(f"`{k}`" for k in self.duplicate_key))
        return out

    # --- reading a cell as its schema type (the one schema-to-value mapping)

    @property
    def true_values(self) -> list[str]:
        return [str(v) for v in self.descriptor.get("trueValues") or ["true", "True", "TRUE", "1"]]

    @property
    def false_values(self) -> list[str]:
        return [str(v) for v in self.descriptor.get("falseValues") or ["false", "False", "FALSE", "0"]]

    @property
    def value_kind(self) -> str:
        """How a cell of this field is read: ``number`` (integer and number, as floats),
        ``boolean`` (by trueValues/falseValues) or ``text``."""
        if self.type in ("integer", "number"):
            return "number"
        if self.type == "boolean":
            return "boolean"
        return "text"

    def parse(self, value: str | None) -> Any:
        """A cell as its value: float, bool or str; None when empty or unreadable."""
        v = value or ""
        kind = self.value_kind
        if kind == "number":
            try:
                return float(v.strip().replace("_", ""))
            except ValueError:
                return None
        if kind == "boolean":
            return True if v in self.true_values else (False if v in self.false_values else None)
        return v or None


@dataclass
class ForeignKey:
    field: str
    resource: str  # resolved: never "" (self-reference is the resource's own name)
    reference_field: str


@dataclass
class Resource:
    """A resource of the package with its Table Schema loaded."""

    package: DataPackage
    descriptor: dict[str, Any]
    schema: dict[str, Any]
    schema_path: Path | None

    @property
    def name(self) -> str:
        return str(self.descriptor.get("name", ""))

    @property
    def title(self) -> str:
        return str(self.descriptor.get("title", self.name))

    @property
    def description(self) -> str:
        return str(self.descriptor.get("description", ""))

    @property
    def relpath(self) -> str:
        return str(self.descriptor.get("path", ""))

    @property
    def path(self) -> Path:
        return self.package.root / self.relpath

    @cached_property
    def fields(self) -> list[Field]:
        return [Field(f) for f in self.schema.get("fields", [])]

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def totals_flag(self) -> Field | None:
        """The field that marks rows whose figures may be added up (``x-ruven.kind: totals-flag``)."""
        return next((f for f in self.fields if f.is_totals_flag), None)

    def in_totals(self, row: dict[str, str]) -> bool:
        """True when ``row``'s figures may be added to other rows (always, for a table without a flag)."""
        flag = self.totals_flag
        return flag is None or flag.is_true(row.get(flag.name))

    @property
    def primary_key(self) -> list[str]:
        pk = self.schema.get("primaryKey", [])
        return [pk] if isinstance(pk, str) else list(pk)

    @property
    def foreign_keys(self) -> list[ForeignKey]:
        out = []
        for fk in self.schema.get("foreignKeys", []):
            fields = fk.get("fields")
            ref = fk.get("reference", {})
            rfields = ref.get("fields")
            f = fields[0] if isinstance(fields, list) else fields
            rf = rfields[0] if isinstance(rfields, list) else rfields
            out.append(ForeignKey(f, ref.get("resource") or self.name, rf))
        return out

    @property
    def id_prefix(self) -> str | None:
        """``DEP`` for ``DEP-0001``: read from the id field's pattern."""
        if "id" not in self.field_names:
            return None
        m = re.match(r"^\^([A-Z]+)-", self.field("id").constraints.get("pattern", ""))
        return m.group(1) if m else None

    def read_rows(self) -> list[dict[str, str]]:
        """All rows as dicts of strings (the CSV as written; no type conversion)."""
        with self.path.open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))

    def row_count(self) -> int:
        with self.path.open(encoding="utf-8", newline="") as fh:
            return max(sum(1 for _ in csv.reader(fh)) - 1, 0)


class DataPackage:
    """The descriptor and schemas of a ruven data package, read as plain JSON."""

    def __init__(self, descriptor_path: Path, descriptor: dict[str, Any]) -> None:
        self.descriptor_path = descriptor_path
        self.root = descriptor_path.parent
        self.descriptor = descriptor
        self.resources: dict[str, Resource] = {}
        for res in descriptor.get("resources", []):
            if not isinstance(res, dict):
                continue
            schema = res.get("schema", {})
            schema_path = None
            if isinstance(schema, str):
                schema_path = self.root / schema
                schema = _read_json(schema_path, f"schema of resource {res.get('name')!r}") if _is_local(schema) else {}
            if not isinstance(schema, dict):
                schema = {}
            r = Resource(self, res, schema, schema_path)
            self.resources[r.name] = r

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> DataPackage:
        p = find_package(path)
        desc = _read_json(p, "datapackage.json")
        if not isinstance(desc, dict):
            raise PackageReadError("datapackage.json must hold a JSON object", "start the file with { and list the resources under \"resources\"", location=f"{p}:1:1")
        return cls(p, desc)

    @property
    def name(self) -> str:
        return str(self.descriptor.get("name", ""))

    @property
    def title(self) -> str:
        return str(self.descriptor.get("title", ""))

    @property
    def version(self) -> str:
        return str(self.descriptor.get("version", ""))

    @property
    def license(self) -> str:
        lic = self.descriptor.get("licenses") or [{}]
        return str(lic[0].get("name", ""))

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources.values())

    def resource(self, name: str) -> Resource:
        try:
            return self.resources[name]
        except KeyError:
            from ruven.errors import UsageError

            raise UsageError(f"no resource named {name!r}", "choose one of: " + ", ".join(self.resources)) from None

    @property
    def fact_tables(self) -> list[Resource]:
        """Resources whose rows cite sources (they have a ``source_ids`` field)."""
        return [r for r in self if "source_ids" in r.field_names]

    def descriptor_line(self, needle: str) -> int | None:
        """Physical line of the descriptor where ``needle`` first appears (for located errors)."""
        try:
            for i, line in enumerate(self.descriptor_path.read_text(encoding="utf-8").splitlines(), start=1):
                if needle in line:
                    return i
        except OSError:
            return None
        return None


def _is_local(path: str) -> bool:
    return "://" not in path and not Path(path).is_absolute() and ".." not in Path(path).parts


@lru_cache(maxsize=1 << 16)
def _edtf(value: str) -> tuple[str, str] | str:
    """``(first day, last day)`` of an EDTF date or interval, or why it is not one.

    Parsed with the EDTF library's level-0 grammar (dates and ``A/B`` intervals: the subset
    the data model allows); the bounds it gives are then checked to be real calendar days
    (the grammar alone accepts 2019-02-29) and in order."""
    import datetime as dt

    if not PARTIAL_DATE_RE.match(value):
        return "it is not written YYYY, YYYY-MM, YYYY-MM-DD or an interval A/B of two of them"
    from edtf.parser.grammar import ParseException, level0Expression

    try:
        parsed = level0Expression.parse_string(value, parse_all=True)[0]
    except ParseException:
        return "it is not a valid EDTF date (a month 01-12 and a day that exists)"
    try:
        lo = dt.date(*parsed.lower_strict()[:3])
        hi = dt.date(*parsed.upper_strict()[:3])
    except ValueError:
        return "it is not a real calendar date (that day does not exist in that month)"
    if hi < lo:
        return "its interval ends before it starts (write the earlier date first: A/B)"
    return lo.isoformat(), hi.isoformat()


def date_problem(value: str) -> str | None:
    """Why ``value`` is not an EDTF date or interval of this package's subset, or None."""
    out = _edtf(value or "")
    return out if isinstance(out, str) else None


def date_bounds(value: str) -> tuple[str, str] | None:
    """First and last calendar day an EDTF date or interval covers, or None if it is not one.

    >>> date_bounds("2019-02")
    ('2019-02-01', '2019-02-28')
    >>> date_bounds("2009-08/2010-04")
    ('2009-08-01', '2010-04-30')
    """
    out = _edtf(value or "")
    return None if isinstance(out, str) else out


__all__ = ["DataPackage", "Field", "ForeignKey", "Resource", "date_bounds", "date_problem", "find_package"]
