"""Messages and hints shared by every validation layer, keyed by finding code.

Each layer finds problems its own way; all of them describe a problem with the same words,
so that a contributor reads one vocabulary whatever layer caught it.
"""

from __future__ import annotations

from typing import Any

from ruven.package import Field

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


def rule_message(code: str, field: Field, value: str, row: dict[str, Any], *, detail: str = "", paths: str = "") -> tuple[str, str]:
    """(message, hint) for a finding of the pandera layer (layer 2), keyed by its code."""
    name = field.name
    if code == "invalid-date":
        from ruven.package import date_problem

        why = date_problem(value) or "it is not a real calendar date"
        return f"{value!r} is not a valid date: {why}", f"write {name} as {field_format(field)}; check the day exists in that month"
    if code == "date-in-future":
        return f"{value} is in the future", f"check {name}: a recorded fact cannot be dated after today (use --today to validate as of another day)"
    if code == "range-order":
        stem = name.rsplit("_", 1)[0]
        parts = ", ".join(f"{s}={row.get(f'{stem}_{s}', '')!r}" for s in ("low", "best", "high") if f"{stem}_{s}" in row)
        return f"{stem} is out of order ({parts}): low <= best <= high must hold", f"swap or correct the {stem}_low/_best/_high figures"
    if code == "date-order":
        start = field.extension.get("not-before") or name.replace("end", "start")
        return f"{name} {value} is before {start} {row.get(start, '')}", f"correct {start} or {name}: {name} cannot come before {start}"
    if code == "inconsistent-value":
        within = field.extension.get("same-within", "")
        return (
            f"{name} {value!r} differs from the {name} of other rows with the same {within} {row.get(within, '')!r}",
            f"give every row of one {within} the same {name} (see docs/codebook.md), or correct the {within}",
        )
    if code == "delivered-exceeds-ordered":
        stem = name[: -len("_delivered")]
        cap = row.get(f"{stem}_ordered_high") or row.get(f"{stem}_ordered_best", "")
        return f"{name} {value} is more than the {cap} ordered", f"check {name} against {stem}_ordered_high (or _best): no more can be delivered than ordered"
    if code == "foreign-key":
        paths = paths or ", ".join(field.list_references)
        return f"{detail or value} is not in {paths}", f"use ids present in {paths} (column id), or add those rows there first"
    if code == "uncited-source":
        return f"{value} is not cited by any row", "cite it in a fact row's source_ids, or withdraw it if it is not needed"
    if code == "missing-translation":
        lang = name[:-3] + "_language"
        return f"{name} is empty but {lang} is {row.get(lang, '')!r}", f"add an English rendering of {name[:-3]} in {name}"
    if code == "date-after-sources":
        return f"{value} is after the publication date of every source it cites", "check the date, or cite a source that reports it (published on or after that date)"
    if code.startswith("unknown-") and code.endswith("-code"):
        kind = code[len("unknown-") : -len("-code")]
        std = {"country": "ISO 3166-1 alpha-2", "language": "ISO 639-1", "currency": "ISO 4217"}.get(kind, "ISO")
        return f"{value!r} is not an {std} {kind} code", f"write {name} as {field_format(field)}"
    if code == "invalid-url":
        from ruven.validate.rules import url_problem

        return f"{value!r} is not a well-formed http(s) URL: {url_problem(value)}", f"write {name} as {field_format(field)}"
    if code == "actor-kind":
        return f"{value} is not a person or a government body", f"{name} must point to an actor whose kind is person or government-body"
    if code == "reference-cycle":
        return f"{name} {value} leads back to this row: the {name} links form a cycle", f"break the cycle: one of the rows in it must have another or an empty {name}"
    if code == "whitespace":
        return f"{name} starts or ends with whitespace", "remove the spaces or line breaks at the start and end of the cell (ruven fmt does it)"
    if code == "unicode-normalization":
        return f"{name} is not in Unicode NFC form", "re-type the accented characters, or run `ruven fmt`, which normalises text to NFC"
    if code == "control-character":
        return f"{name} contains a control character", "remove tabs, carriage returns and other invisible control characters from the cell"
    if code == "formula-injection":
        return f"{name} starts with {value[:1]!r}: a spreadsheet would run it as a formula", "reword the cell so that it does not start with =, +, -, @, a tab or a carriage return"
    if code == "likely-duplicate":
        return f"this row looks like a duplicate of an earlier row ({name} {value!r})", "merge the two rows, or withdraw one of them with the reason and the id that replaces it"
    return f"{name}: {value!r} breaks the rule {code}", "see the codebook (docs/codebook.md)"

