"""A Table Schema field and foreign key, with ruven's reading of the ``x-ruven`` extension: the
conventions (kinds, ranges, date order, translations, actor kinds, totals flag) the rules, the
typed connection and the codebook all read from here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PARTIAL_DATE = "partial-date"
ID_LIST = "id-list"
TOTALS_FLAG = "totals-flag"


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
        return str(self.descriptor.get("x-ruven", {}).get("kind", self.type))  # (no copy: asked for on every cell of a page)

    @property
    def is_free_text(self) -> bool:
        """A string without enum or pattern: the text hygiene rules (:mod:`ruven.text`) apply."""
        return self.type == "string" and not self.enum and not self.constraints.get("pattern", "")

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



__all__ = ["ID_LIST", "PARTIAL_DATE", "TOTALS_FLAG", "Field", "ForeignKey"]
