"""Messages and hints shared by every validation layer, keyed by finding code.

Each layer finds problems its own way; all of them describe a problem with the same words,
so that a contributor reads one vocabulary whatever layer caught it. The codes themselves, their
layers, severities and documentation are registered in :mod:`ruven.validate.codes`; this module
fills in the details of one finding (which value, which field, what the schema allows).
"""

from __future__ import annotations

from typing import Any

from ruven.package import DataPackage, Field, Resource
from ruven.report import Finding
from ruven.validate import codes

TYPE_HINTS = {
    "integer": "write a whole number with digits only: no thousands separators, units or words (e.g. 1500)",
    "number": "write digits with a '.' decimal point and no thousands separators, units or words (e.g. 35.5)",
    "date": "write the date as YYYY-MM-DD (e.g. 2019-03-23)",
    "boolean": "write true or false",
}


def field_format(field: Field) -> str:
    """How a value of this field is written, for hints."""
    if field.is_partial_date:
        return "an EDTF date YYYY, YYYY-MM or YYYY-MM-DD, or an interval A/B of two such dates (e.g. 2019-03, 2019-03-23 or 2008/2009; not 3/23/2019)"
    if field.is_id_list:
        refs = ", ".join(field.list_references)
        return f"one or more ids of {refs} separated by ';' without spaces (e.g. SRC-0001;SRC-0002)"
    if field.enum:
        return "one of: " + ", ".join(field.enum)
    pattern = field.constraints.get("pattern", "")
    if pattern.startswith("^") and "-[0-9]{4}$" in pattern:
        prefix = pattern[1:].split("-")[0]
        return f"an id like {prefix}-0001"
    if pattern == "^[a-z]{2}$":
        return "a two-letter lower-case ISO 639-1 language code (e.g. en, es, ru)"
    if pattern == "^[A-Z]{2}$":
        return "a two-letter upper-case ISO 3166-1 country code (e.g. RU, VE, US)"
    if pattern == "^[A-Z]{3}$":
        return "a three-letter ISO 4217 currency code (e.g. USD, RUB)"
    if pattern.startswith("^https?://"):
        return "a full http:// or https:// address without spaces"
    if pattern:
        return f"a value matching the pattern {pattern}"
    return TYPE_HINTS.get(field.type, f"a {field.type}")


def constraint_message(field: Field, constraint: str, value: str) -> tuple[str, str]:
    """(message, hint) for a broken Table Schema constraint."""
    c = field.constraints
    if constraint == "required":
        return f"{field.name} is empty but required", f"fill in {field.name}: {field_format(field)}"
    if constraint == "enum":
        return f"{value!r} is not an allowed {field.name}", f"use one of: {', '.join(c.get('enum', []))}"
    if constraint == "pattern":
        return f"{value!r} is not {field_format(field)}", f"write {field.name} as {field_format(field)}"
    if constraint == "minimum":
        return f"{value} is below the minimum {c.get('minimum')} of {field.name}", f"use a value of at least {c.get('minimum')}"
    if constraint == "maximum":
        return f"{value} is above the maximum {c.get('maximum')} of {field.name}", f"use a value of at most {c.get('maximum')}"
    if constraint in ("minLength", "maxLength"):
        return f"{field.name} breaks its {constraint} of {c.get(constraint)}", "shorten or complete the value"
    if constraint == "unique":
        return f"{value!r} appears more than once in {field.name}", f"each {field.name} must be unique: change or withdraw the duplicate"
    return f"{value!r} breaks the {constraint} constraint of {field.name}", f"write {field.name} as {field_format(field)}"


def type_message(field: Field, value: str) -> tuple[str, str]:
    return f"{value!r} is not a valid {field.type} for {field.name}", TYPE_HINTS.get(field.type, f"write a valid {field.type}")


def rule_message(code: str, field: Field, value: str, row: dict[str, Any], *, detail: str = "", paths: str = "", resource: Resource | None = None) -> tuple[str, str]:
    """(message, hint) for a finding of the pandera layer (layer 2), keyed by its code."""
    name = field.name
    if code == "invalid-date":
        from ruven.package import date_problem

        why = date_problem(value) or "it is not a real calendar date"
        return f"{value!r} is not a valid date: {why}", f"write {name} as {field_format(field)}; check the day exists in that month"
    if code == "date-in-future":
        return f"{value} is in the future", f"check {name}: a recorded fact cannot be dated after today (use --today to validate as of another day)"
    if code == "range-order":
        members = next((g.range_members for g in (resource.fields if resource else []) if name in g.range_members.values()), {})
        parts = ", ".join(f"{k}={row.get(n, '')!r}" for k, n in members.items() if n in row)
        what = " / ".join(members.values()) or name
        return f"{what} is out of order ({parts}): low <= best <= high must hold", f"swap or correct the figures of {what}"
    if code == "date-order":
        start = field.not_before or ""
        return f"{name} {value} is before {start} {row.get(start, '')}", f"correct {start} or {name}: {name} cannot come before {start}"
    if code == "inconsistent-value":
        within = field.same_within or ""
        return (
            f"{name} {value!r} differs from the {name} of other rows with the same {within} {row.get(within, '')!r}",
            f"give every row of one {within} the same {name} (see docs/codebook.md), or correct the {within}",
        )
    if code == "delivered-exceeds-ordered":
        caps = field.not_more_than
        cap = next((row.get(n) for n in caps if row.get(n)), "")
        return f"{name} {value} is more than the {cap} ordered", f"check {name} against {', else '.join(caps)}: no more can be delivered than ordered"
    if code == "foreign-key":
        paths = paths or ", ".join(field.list_references)
        return f"{detail or value} is not in {paths}", f"use ids present in {paths} (column id), or add those rows there first"
    if code == "uncited-source":
        return f"{value} is not cited by any row", "cite it in a fact row's source_ids, or withdraw it if it is not needed"
    if code == "missing-translation":
        lang = field.language_field or ""
        return f"{name} is empty but {lang} is {row.get(lang, '')!r}", f"add an English rendering of {field.translation_of} in {name}"
    if code == "date-after-sources":
        return f"{value} is after the publication date of every source it cites", "check the date, or cite a source that reports it (published on or after that date)"
    if code.startswith("unknown-") and code.endswith("-code"):
        kind = code[len("unknown-") : -len("-code")]
        std = {"country": "ISO 3166-1 alpha-2", "language": "ISO 639-1", "currency": "ISO 4217"}.get(kind, "ISO")
        return f"{value!r} is not an {std} {kind} code", f"write {name} as {field_format(field)}"
    if code == "invalid-url":
        from ruven.validate.frames import url_problem

        return f"{value!r} is not a well-formed http(s) URL: {url_problem(value)}", f"write {name} as {field_format(field)}"
    if code == "actor-kind":
        kinds = " or ".join(field.actor_kinds)
        return f"{value} is not of kind {kinds}", f"{name} must point to an actor whose kind is {kinds}"
    if code == "reference-cycle":
        return f"{name} {value} leads back to this row: the {name} links form a cycle", f"break the cycle: one of the rows in it must have another or an empty {name}"
    if code == "whitespace":
        return f"{name} starts or ends with whitespace", "remove the spaces or line breaks at the start and end of the cell (ruven fmt does it)"
    if code == "unicode-normalization":
        return f"{name} is not in Unicode NFC form", "re-type the accented characters, or run `ruven fmt`, which normalises text to NFC"
    if code == "control-character":
        return f"{name} contains a control character", "remove tabs, carriage returns and other invisible control characters from the cell"
    if code == "invisible-character":
        from ruven.text import describe, invisible_characters

        chars = ", ".join(describe(c) for c in invisible_characters(value))
        return f"{name} contains an invisible character: {chars}", "delete it (retype the text around it): it changes how the text displays or compares without showing"
    if code == "formula-injection":
        return f"{name} starts with {value[:1]!r}: a spreadsheet would run it as a formula", "reword the start of the cell: =, +, @, a tab or a carriage return there, or - followed by a sum, a cell reference or a function, make a spreadsheet evaluate it"
    if code == "likely-duplicate":
        return f"this row looks like a duplicate of an earlier row ({name} {value!r})", "merge the two rows, or withdraw one of them with the reason and the id that replaces it"
    entry = codes.get(code)
    return f"{name}: {value!r}: {entry.title.lower()}", entry.hint



def contract_finding(pkg: DataPackage, res: Resource, code: str, line: int | None, fname: str, value: str, constraint: str = "", target: str = "", label: str = "") -> Finding:
    """The Finding for a frictionless error class, with ruven's message and hint."""
    rel = res.relpath
    fld = _field(res, fname)
    msg, hint = code, ""
    if code == "type-error" and fld:
        msg, hint = type_message(fld, value)
    elif code == "constraint-error" and fld:
        msg, hint = constraint_message(fld, constraint or "constraint", value)
    elif code in ("unique-error", "primary-key"):
        if not value and code == "primary-key":
            msg = f"the row has no {fname}"
            hint = f"every row needs a {fname}: give it the next free id (ruven add proposes it)"
        else:
            msg = f"{value!r} is already used by an earlier row as {fname}"
            hint = "ids are never reused: give this row the next free id (ruven add proposes it) or withdraw the duplicate"
    elif code == "foreign-key":
        tpath = pkg.resources[target].relpath if target in pkg.resources else target
        msg = f"{value} is not in {tpath}"
        hint = f"use an id present in {tpath} (column id), or add that row there first"
    elif code in ("extra-cell", "missing-cell"):
        msg = f"row has {'more' if code == 'extra-cell' else 'fewer'} cells than the {len(res.field_names)} columns of the header"
        hint = "check for an unquoted comma or a missing/extra separator; quote cells that contain commas"
        if code == "extra-cell":
            fname = ""
    elif code == "blank-row":
        msg, hint = "the row is empty", "delete the empty line"
    elif code in ("duplicate-label", "missing-label", "extra-label", "incorrect-label", "blank-label"):
        line = 1
        fname = fname or label
        value = label
        expected = ",".join(res.field_names)
        msg = {
            "duplicate-label": f"column {label!r} appears twice in the header",
            "missing-label": f"the header lacks column {fname!r}",
            "extra-label": f"the header has a column {label!r} that the schema does not define",
            "incorrect-label": f"header column {label!r} should be {fname!r}",
            "blank-label": "the header has an empty column name",
        }[code]
        hint = f"the header must be exactly: {expected}"
    elif code == "resource-error":
        msg = f"foreign keys to {target} were not checked: {target} could not be read"
        hint = f"fix the error reported for {target} first"
    else:
        hint = "see the message; the codebook (docs/codebook.md) describes every field"
    return codes.make(code, res.name, rel, line, fname, value, msg, hint, layer=codes.FRICTIONLESS)



def _field(res: Resource, name: str) -> Field | None:
    try:
        return res.field(name)
    except KeyError:
        return None

