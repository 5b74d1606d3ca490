"""Messages and hints shared by every validation layer, keyed by finding code.

Each layer finds problems its own way; all of them describe a problem with the same words,
so that a contributor reads one vocabulary whatever layer caught it.
"""

from __future__ import annotations

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
        return "a partial ISO date YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2019-03 or 2019-03-23; not 3/23/2019)"
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
