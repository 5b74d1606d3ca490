"""The data package: its descriptor and resources, read from ``datapackage.json`` and the
Table Schemas (plain JSON; no heavy imports)."""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ruven.errors import PackageReadError
from ruven.package import paths
from ruven.package.fields import Field, ForeignKey

DESCRIPTOR = "datapackage.json"


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
    repo = Path(__file__).resolve().parents[3] / DESCRIPTOR
    if repo.exists():
        return repo
    raise PackageReadError(
        "no datapackage.json in this folder or its parents",
        "run ruven inside the package folder, or pass --package PATH",
    )


def _read_json(path: Path, what: str) -> Any:
    try:
        text = paths.read_bytes(path, what).decode("utf-8")
    except FileNotFoundError as exc:
        raise PackageReadError(f"{what} {path.name} does not exist", "create it or fix the path that points to it", location=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise PackageReadError(f"{what} is not UTF-8 text ({exc.reason} at byte {exc.start})", "save the file as UTF-8", location=str(path)) from exc
    except OSError as exc:
        raise PackageReadError(f"{what} cannot be read: {exc.strerror}", "check the path and its permissions", location=str(path)) from exc
    try:
        return json.loads(text)
    except RecursionError as exc:  # "[[[[…" 100,000 deep: the parser's stack, not a syntax error
        raise PackageReadError(f"{what} is nested too deeply to be read", "a descriptor or schema is a few levels deep: fix the file by hand", location=str(path)) from exc
    except json.JSONDecodeError as exc:
        raise PackageReadError(
            f"{what} is not valid JSON: {exc.msg}",
            "fix the JSON syntax at that place (a missing comma, quote or bracket is the usual cause)",
            location=f"{path}:{exc.lineno}:{exc.colno}",
        ) from exc


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
    def path_problem(self) -> paths.PathProblem | None:
        """Why the resource's path cannot be read (a URL, outside the package folder, not a
        regular file, too large), or None (see :mod:`ruven.package.paths`)."""
        if not self.relpath:
            return paths.PathProblem("missing", f"resource {self.name!r} has no path", f'add "path": "data/{self.name}.csv"')
        return paths.check(self.package.root, self.relpath, f"the path of resource {self.name!r}")

    @property
    def path(self) -> Path:
        """The resource's file, through the one resolver: :class:`~ruven.package.paths.PackagePathError`
        (exit 3) for a path outside the package folder, a URL, a device or a folder."""
        problem = self.path_problem
        if problem is not None:
            raise paths.PackagePathError(problem.message, problem.hint, location=self.package.descriptor_location(self.relpath or self.name))
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
    def extension(self) -> dict[str, Any]:
        """The resource-level ``x-ruven`` block of the schema (``label``, ``summary``)."""
        ext = self.schema.get("x-ruven", {})
        return dict(ext) if isinstance(ext, dict) else {}

    @property
    def label_fields(self) -> list[str]:
        """The fields that make a row's label (``x-ruven.label``); a foreign key stands for the
        referenced row's label."""
        return [str(n) for n in self.extension.get("label") or []]

    @property
    def summary_fields(self) -> list[str]:
        """The fields whose first non-empty value is a row's summary (``x-ruven.summary``, else ``summary``)."""
        declared = [str(n) for n in self.extension.get("summary") or []]
        return declared or (["summary"] if "summary" in self.field_names else [])

    @property
    def source_field(self) -> Field | None:
        """The id-list field that cites ``sources`` (``source_ids``): a resource with one is a fact table."""
        return next((f for f in self.fields if f.is_id_list and "sources" in f.list_references), None)

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
        #: resource name -> why its schema path was not read (outside the package, a URL, ...)
        self.schema_problems: dict[str, paths.PathProblem] = {}
        for res in descriptor.get("resources", []):
            if not isinstance(res, dict):
                continue
            schema = res.get("schema", {})
            schema_path = None
            if isinstance(schema, str):
                what = f"the schema of resource {res.get('name')!r}"
                problem = paths.check(self.root, schema, what)
                if problem is None:
                    schema_path = self.root / schema
                    schema = _read_json(schema_path, what)
                else:
                    self.schema_problems[str(res.get("name", ""))] = problem
                    schema = {}
            if not isinstance(schema, dict):
                schema = {}
            r = Resource(self, res, schema, schema_path)
            self.resources[r.name] = r

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None, *, check_paths: bool = True) -> DataPackage:
        """Read the descriptor and the schemas. With ``check_paths`` (every command but
        ``validate``, which reports them as findings) a resource or schema path outside the
        package folder, a URL, a device or a folder is a :class:`~ruven.package.paths.PackagePathError`
        before any file is read."""
        p = find_package(path)
        desc = _read_json(p, "datapackage.json")
        if not isinstance(desc, dict):
            raise PackageReadError("datapackage.json must hold a JSON object", "start the file with { and list the resources under \"resources\"", location=f"{p}:1:1")
        pkg = cls(p, desc)
        if check_paths:
            pkg.check_paths()
        pkg.clean_stale_temp()
        return pkg

    def clean_stale_temp(self) -> None:
        """Remove the temporary files a killed writer left beside the tables (``.ruven-<pid>-*``
        of a process that no longer runs: :func:`ruven.fs.clean_stale`)."""
        from ruven.fs import clean_stale

        folders = {self.root}
        for res in self:
            if res.relpath and res.path_problem is None:
                folders.add((self.root / res.relpath).parent)
        for folder in sorted(folders):
            clean_stale(folder)

    def check_paths(self) -> None:
        """Raise :class:`~ruven.package.paths.PackagePathError` for the first resource or
        schema path that cannot be read safely (a missing file is left to its reader)."""
        for res in self:
            problem = self.schema_problems.get(res.name)
            if problem is not None:
                raise paths.PackagePathError(problem.message, problem.hint, location=self.descriptor_location(str(res.descriptor.get("schema"))))
            if res.relpath:
                res.path  # noqa: B018 - the resolver raises for an unsafe path

    def file(self, rel: str, what: str = "") -> Path:
        """A file the package names by ``rel`` (README.md, validation/x.json), through the one
        resolver: :class:`~ruven.package.paths.PackagePathError` when it is unsafe."""
        return paths.resolve(self.root, rel, what or rel, location=str(self.root / rel))

    def descriptor_location(self, needle: str) -> str:
        """``datapackage.json:LINE`` of the first line holding ``"needle"`` (or just the file)."""
        line = self.descriptor_line(f'"{needle}"') or self.descriptor_line(needle)
        return f"{self.descriptor_path}:{line}" if line else str(self.descriptor_path)

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
            text = paths.read_bytes(self.descriptor_path).decode("utf-8", "replace")
        except (OSError, PackageReadError):
            return None
        for i, line in enumerate(text.splitlines(), start=1):
            if needle in line:
                return i
        return None



__all__ = ["DESCRIPTOR", "DataPackage", "Resource", "find_package"]
