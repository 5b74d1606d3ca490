"""The registry of finding codes: one entry per code, as frictionless keeps one class per error.

Every finding of every layer, and every answer ``ruven add`` refuses, carries a code from
:data:`CODES`. An entry says which layer reports it (the first of ``layers``; a code a second
layer also reports lists that one after), its default severity, the shape of its message, the
usual hint, and the documentation the codebook prints (what it means, a bad example, the fix).
:func:`make` is the one constructor of findings: it refuses a code that is not registered.

Light on purpose (no polars, no frictionless): the CLI, ``ruven add`` and the docs import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ruven.report import LAYERS, SEVERITIES, Finding, truncate

FRICTIONLESS, PANDERA, EXPECTATIONS = LAYERS


@dataclass(frozen=True)
class Code:
    """One finding code and its documentation."""

    code: str
    layers: tuple[str, ...]
    severity: str
    title: str
    #: the shape of the message (placeholders in braces); the layer fills in the details
    template: str
    hint: str
    #: what the finding means
    meaning: str
    #: a cell, row or file that trips it
    example: str
    #: how to fix the data
    fix: str

    @property
    def layer(self) -> str:
        return self.layers[0]


def _c(code: str, layers: str | tuple[str, ...], severity: str, title: str, template: str, hint: str, meaning: str, example: str, fix: str) -> Code:
    return Code(code, (layers,) if isinstance(layers, str) else layers, severity, title, template, hint, meaning, example, fix)


_ALL: tuple[Code, ...] = (
    # --- layer 1: the files and the descriptor (preflight, frictionless metadata)
    _c("package-error", FRICTIONLESS, "error", "Package error", "the descriptor or a schema is not valid: {note}", "fix the descriptor or schema at that place; see https://datapackage.org/standard/table-schema/",
       "`datapackage.json` lists no resources, or frictionless finds it malformed.", '`"resources": []`', "List one resource per table and fix the JSON frictionless points to."),
    _c("resource-error", FRICTIONLESS, "error", "Resource error", "resource {resource!r} points to {path}", "set the path to data/<resource>.csv",
       "A resource has no path; its path is a URL (ruven never downloads), points outside the package folder (an absolute path, `..`, or a symlink out of the package), is not a regular file (a folder, a device) or is larger than ruven reads; or a table a foreign key refers to could not be read. Every other command refuses such a path before reading anything (exit 3).", '`"path": "../elsewhere.csv"`, `"path": "/dev/zero"` or `"path": "https://…"`', "Keep the CSV inside the package under `data/` and point the resource to it."),
    _c("schema-error", FRICTIONLESS, "error", "Schema error", "the schema of {resource!r} is not valid: {note}", "point \"schema\" to schemas/<resource>.json and fix it",
       "A resource's Table Schema is missing, a URL, outside the package folder, not a regular file, or not a valid Table Schema.", '`"schema": "https://…/x.json"`', "Point `schema` to `schemas/<resource>.json` and fix what frictionless names."),
    _c("field-error", FRICTIONLESS, "error", "Field error", "a field of a schema is not valid: {note}", "fix the field at that place of the schema",
       "A field of a Table Schema is malformed (an unknown type, a bad constraint).", '`{"name": "x", "type": "text"}`', "Use a Table Schema type and valid constraints."),
    _c("scheme-error", FRICTIONLESS, "error", "Missing file", "the file {path} of resource {resource!r} does not exist", "create the file with the schema's header, or fix the path",
       "The descriptor names a CSV file that is not there.", "`data/agreements.csv` deleted", "Create the file with the schema's header line, or fix the path in `datapackage.json`."),
    _c("format-error", FRICTIONLESS, "error", "Format error", "{path} cannot be read as CSV", "check that the file is a UTF-8 CSV file",
       "The file is not a CSV file frictionless can read.", "a spreadsheet saved as `.xlsx` under a `.csv` name", "Export the table as CSV (UTF-8)."),
    _c("io-error", FRICTIONLESS, "error", "Read error", "{path} cannot be read", "check that the file exists and can be read",
       "The operating system refused to read the file.", "a file without read permission", "Fix the file's permissions."),
    _c("encoding-error", FRICTIONLESS, "error", "Not UTF-8", "{path} is not UTF-8", "re-save the file as UTF-8 without BOM (ruven fmt removes a BOM)",
       "The file is not UTF-8 without a byte-order mark (UTF-16, Latin-1, Windows-1252, or a BOM).", "`Caf\\xe9` saved as Latin-1", "Re-save as UTF-8 (`iconv -f latin1 -t utf-8`), or run `ruven fmt` to drop a BOM."),
    _c("source-error", FRICTIONLESS, "error", "Unreadable CSV", "{path} cannot be parsed: {note}", "check the quoting of that line",
       "The file is empty, holds a NUL byte, a quote that never closes, or a cell too large to be real.", '`"an unclosed quote,1,2`', "Fix the quoting (double a quote inside a quoted cell) or remove the binary paste."),
    _c("line-endings", FRICTIONLESS, "warning", "Windows line endings", "{path} has Windows line endings (CRLF)", "run `ruven fmt` to rewrite it with \\n line endings",
       "The file ends its lines with CRLF, so every line would show as changed in git.", "a file saved by Excel on Windows", "Run `ruven fmt`."),
    # --- layer 1: the header and the rows (Table Schema)
    _c("duplicate-label", FRICTIONLESS, "error", "Duplicate column", "column {label!r} appears twice in the header", "the header must be exactly the schema's field names",
       "A column name appears twice in the header.", "`id,name,name`", "Delete or rename the second column."),
    _c("missing-label", FRICTIONLESS, "error", "Missing column", "the header lacks column {field!r}", "the header must be exactly the schema's field names",
       "The header has fewer columns than the schema has fields.", "`id,name` for a schema with `id,name,kind`", "Add the column (empty cells are fine for optional fields)."),
    _c("extra-label", FRICTIONLESS, "error", "Extra column", "the header has a column {label!r} that the schema does not define", "the header must be exactly the schema's field names",
       "The header has a column the schema does not define.", "`id,name,kind,colour`", "Remove the column, or add the field to the schema first."),
    _c("incorrect-label", FRICTIONLESS, "error", "Wrong column name", "header column {label!r} should be {field!r}", "the header must be exactly the schema's field names",
       "A header column is not the field the schema puts there.", "`ID` where the schema says `id`", "Rename the column (columns are in schema order; `ruven fmt` reorders them)."),
    _c("blank-label", FRICTIONLESS, "error", "Empty column name", "the header has an empty column name", "the header must be exactly the schema's field names",
       "A header column has no name.", "`id,,kind`", "Name the column as the schema does, or remove it."),
    _c("extra-cell", FRICTIONLESS, "error", "Extra cell", "row has more cells than the columns of the header", "check for an unquoted comma; quote cells that contain commas",
       "A row has more cells than the header has columns.", "`ACT-0009,Rosneft, Inc.,company` (the comma in the name is not quoted)", 'Quote the cell that holds a comma: `"Rosneft, Inc."`.'),
    _c("missing-cell", FRICTIONLESS, "error", "Missing cell", "row has fewer cells than the columns of the header", "check for a missing separator",
       "A row has fewer cells than the header has columns.", "`ACT-0009,Rosneft`", "Add the missing separators (empty cells are written as nothing between two commas)."),
    _c("blank-row", FRICTIONLESS, "error", "Blank row", "the row is empty", "delete the empty line",
       "A line holds only separators or nothing.", "`,,,,`", "Delete the line (`ruven fmt` does)."),
    _c("type-error", FRICTIONLESS, "error", "Wrong type", "{value!r} is not a valid {type} for {field}", "write the value as the field's type says",
       "A cell cannot be read as its field's type (integer, number, boolean, date).", "`1,500` or `about 200` in an integer field", "Write digits only (`1500`); put words in `notes`."),
    _c("constraint-error", FRICTIONLESS, "error", "Constraint broken", "{value!r} breaks the {constraint} constraint of {field}", "write the value as the field's constraints say",
       "A cell breaks a Table Schema constraint of its field: required, enum, pattern, minimum, maximum, length.", "`status` = `gone` (not an allowed value), an empty required `name`", "Use an allowed value (the codebook lists each field's values and their meaning) or fill in the field."),
    _c("unique-error", FRICTIONLESS, "error", "Duplicate value", "{value!r} appears more than once in {field}", "change or withdraw the duplicate",
       "A value of a field that must be unique (other than the primary key) appears twice.", "two sources with the same `url`", "Keep one row and withdraw the other (say which id replaces it in `withdrawn`)."),
    _c("primary-key", FRICTIONLESS, "error", "Duplicate or missing id", "{value!r} is already used by an earlier row as {field}", "ids are never reused: give this row the next free id (ruven add proposes it)",
       "A row has no id, or an id an earlier row already uses. (A duplicated id is reported once, as this code, not also as `unique-error`.)", "two rows `ACT-0001`", "Give the later row the next free id (`ruven add` proposes it), or withdraw the duplicate."),
    _c("foreign-key", (FRICTIONLESS, PANDERA), "error", "Unknown id", "{value} is not in {target}", "use an id present in the referenced table, or add that row there first",
       "A cell refers to an id that the referenced table lacks (a foreign key, or one id of an id list, checked by the pandera layer).", "`source_ids` = `SRC-0001;SRC-0999` when there is no `SRC-0999`", "Correct the id, or add the referenced row first."),
    # --- layer 2: rules derived from the schemas and their x-ruven conventions
    _c("invalid-date", PANDERA, "error", "Invalid date", "{value!r} is not a valid date: {why}", "write an EDTF date YYYY, YYYY-MM or YYYY-MM-DD, or an interval A/B",
       "A date has the right shape but is not a real calendar day, or an interval ends before it starts.", "`2019-02-30`, `2012/2011`", "Correct the day or swap the two ends of the interval."),
    _c("date-in-future", PANDERA, "error", "Date in the future", "{value} is in the future", "a recorded fact cannot be dated after today (use --today to validate as of another day)",
       "A date lies wholly after today.", "`2031-05` in `start_date`", "Correct the date; a planned event is dated when it was announced."),
    _c("range-order", PANDERA, "error", "Range out of order", "{stem} is out of order (low <= best <= high must hold)", "swap or correct the low/best/high figures",
       "The figures of a range (`x-ruven.range`: low, best, high) are not in order. One finding per row: on the best figure when low > best, else on the high one.", "`personnel_low=120, personnel_best=100`", "Swap or correct the figures so that low <= best <= high."),
    _c("date-order", PANDERA, "error", "Dates out of order", "{field} {value} is before {earlier}", "a later date cannot come before the earlier one",
       "A date declared `x-ruven.not-before` another lies wholly before it.", "`end_date=2019-02` with `start_date=2019-03`", "Correct either date."),
    _c("inconsistent-value", PANDERA, "error", "Inconsistent value", "{field} {value!r} differs from the other rows with the same {within}", "give every row of one group the same value",
       "A field declared `x-ruven.same-within` another differs from the most common value among the rows that share the other field.", "two pages of one publisher with `state_affiliation` `RU` and empty", "Give every row of the group the same value, or correct the grouping field."),
    _c("delivered-exceeds-ordered", PANDERA, "error", "More delivered than ordered", "{field} {value} is more than the {cap} ordered", "no more can be delivered than ordered",
       "A field declared `x-ruven.not-more-than` others (delivered against ordered high, else best) exceeds them.", "`quantity_delivered=11` with `quantity_ordered_high=10`", "Correct the delivered or the ordered figure."),
    _c("uncited-source", PANDERA, "warning", "Uncited source", "{value} is not cited by any row", "cite it in a fact row's source_ids, or withdraw it",
       "A live row of a table that id lists cite as sources (`x-ruven.cited-by-facts`) is cited by no row.", "a source `SRC-0042` that no `source_ids` names", "Cite it where it is used, or withdraw it."),
    _c("missing-translation", PANDERA, "error", "Missing translation", "{field} is empty but the language is {language!r}", "add an English rendering",
       "A field declared `x-ruven.translation-of` another is empty while the original is not in English.", "`quote_language=es` and an empty `quote_en`", "Add the English rendering."),
    _c("date-after-sources", PANDERA, "error", "Dated after its sources", "{value} is after the publication date of every source it cites", "check the date, or cite a source that reports it",
       "A date declared `x-ruven.not-after-sources` lies after the publication of every source the row cites.", "a statement dated `2019-04-15` citing only a page published `2019-03-24`", "Correct the date, or cite the source that reports it."),
    _c("unknown-country-code", PANDERA, "error", "Unknown country code", "{value!r} is not an ISO 3166-1 alpha-2 country code", "write a two-letter upper-case ISO 3166-1 code",
       "A country code has the right shape but is not an ISO 3166-1 alpha-2 code.", "`ZZ`", "Use the country's ISO code (`RU`, `VE`)."),
    _c("unknown-language-code", PANDERA, "error", "Unknown language code", "{value!r} is not an ISO 639-1 language code", "write a two-letter lower-case ISO 639-1 code",
       "A language code has the right shape but is not an ISO 639-1 code.", "`xx`", "Use the language's ISO code (`en`, `es`, `ru`)."),
    _c("unknown-currency-code", PANDERA, "error", "Unknown currency code", "{value!r} is not an ISO 4217 currency code", "write a three-letter ISO 4217 code",
       "A currency code has the right shape but is not an ISO 4217 code.", "`ABC`", "Use the currency's ISO code (`USD`, `RUB`)."),
    _c("invalid-url", (PANDERA, FRICTIONLESS), "error", "Malformed URL", "{value!r} is not a well-formed http(s) URL: {why}", "write a full http:// or https:// address without spaces",
       "A URL has no host, no domain, a bad port, spaces or a scheme other than http(s); in a table, or in the descriptor (`homepage`, `licenses[].path`, `sources[].path`: these become links, so a `javascript:` address is refused; a local `path` must name a file inside the package folder).", "`https://example`, `javascript:alert(1)`", "Copy the full address from the browser."),
    _c("actor-kind", PANDERA, "error", "Wrong kind of actor", "{value} is not one of the kinds {kinds}", "point to an actor of an allowed kind",
       "A field declared `x-ruven.actor-kinds` points to an actor of another kind.", "`speaker_id` naming a state rather than a person or government body", "Point to the person or body that spoke."),
    _c("reference-cycle", PANDERA, "error", "Reference cycle", "{field} {value} leads back to this row", "break the cycle",
       "The links of a self-referencing field (an actor's `parent_id`) form a cycle.", "`ACT-0001` parent `ACT-0002`, and `ACT-0002` parent `ACT-0001`", "Give one row of the cycle another or an empty parent."),
    _c("whitespace", PANDERA, "error", "Stray whitespace", "{field} starts or ends with whitespace", "remove the spaces at the start and end (ruven fmt does it)",
       "A free-text cell starts or ends with spaces or line breaks.", "`' Leading space.'`", "Run `ruven fmt`."),
    _c("unicode-normalization", PANDERA, "error", "Not NFC", "{field} is not in Unicode NFC form", "run `ruven fmt`, which normalises text to NFC",
       "A text cell writes an accented letter as a letter plus a combining mark.", "`Cafe\\u0301`", "Run `ruven fmt`."),
    _c("control-character", PANDERA, "error", "Control character", "{field} contains a control character", "remove tabs and other invisible control characters",
       "A text cell holds a tab, carriage return or other control character.", "`Tab\\tinside`", "Remove the character."),
    _c("invisible-character", PANDERA, "error", "Invisible character", "{field} contains an invisible character: {codepoint}", "delete it (retype the text around it)",
       "A text cell holds a bidirectional control (U+202A-E, U+2066-9, U+200E/F, U+061C) or a zero-width character (U+200B-D, U+2060, U+FEFF).",
       "`Fixture\\u202e note` (U+202E RIGHT-TO-LEFT OVERRIDE)", "Delete the character (retype the text around it)."),
    _c("formula-injection", PANDERA, "error", "Formula start", "{field} starts with {first!r}: a spreadsheet would run it as a formula", "reword the start of the cell",
       "A text cell starts with `=`, `+`, `@`, a tab or a CR (a plain number excepted), or with `-` and a sum, a cell reference or a function.",
       "`=HYPERLINK(\"x\")`, `@handle said`, `-2+3`, `-SUM(A1:A2)`", "Reword the start of the cell (`-40 C at altitude` is fine)."),
    _c("likely-duplicate", PANDERA, "warning", "Likely duplicate", "this row looks like a duplicate of an earlier row ({field} {value!r})", "merge the two rows, or withdraw one",
       "A live row repeats an earlier one: a field declared `x-ruven.duplicate-key` (a URL up to trivial differences; a quote with the same speaker and date).", "`http://www.example.org/a/` after `https://example.org/a`", "Merge the rows, or withdraw one with the id that replaces it."),
    # --- layer 3: plausibility of whole tables (Great Expectations suites)
    _c("suite-error", EXPECTATIONS, "error", "Suite error", "the expectation suite cannot be run: {note}", "fix the suite in validation/",
       "An expectation suite in `validation/` cannot be read or run.", "a suite naming a column the schema lacks", "Fix the suite's JSON."),
    _c("row-count-below-minimum", EXPECTATIONS, "error", "Too few rows", "the table has {value} rows; expected at least {min}", "a table lost rows: restore them",
       "A table has fewer rows than it had at the last release: rows are withdrawn, never deleted.", "`statements.csv` with only its header", "Restore the deleted rows (mark withdrawn ones in `withdrawn`)."),
    _c("row-count-implausible", EXPECTATIONS, "warning", "Implausible row count", "the table has {value} rows; expected at most {max}", "check for a duplicated import",
       "A table holds far more rows than this package could plausibly record.", "a table that doubled by a repeated paste", "Check for duplicated rows; raise the bound in the suite if the growth is real."),
    _c("implausible-value", EXPECTATIONS, "warning", "Implausible magnitude", "{field} {value} is above the plausible maximum {max}", "check the unit and the number of zeros",
       "A figure is larger than a row of this table can plausibly hold (the schema's own minimum and maximum are layer 1's).", "`amount_usd_best=90000000000` (90 billion)", "Check the unit (millions?) and the zeros; raise the bound if the figure is real."),
    _c("implausible-quote-length", EXPECTATIONS, "warning", "Implausible quote length", "{field} has an implausible length", "quote a full sentence, not a word or a whole article",
       "A quote is too short or too long to be a statement.", "`quote=No`", "Quote the sentence that says it."),
)

#: code -> its entry
CODES: dict[str, Code] = {c.code: c for c in _ALL}


def get(code: str) -> Code:
    """The registered entry of ``code``; a ``KeyError`` says a layer emits an unregistered code."""
    try:
        return CODES[code]
    except KeyError:
        raise KeyError(f"finding code {code!r} is not in the registry ruven.validate.codes.CODES") from None


def known(code: str, fallback: str) -> str:
    """``code`` if registered, else ``fallback``: for error types of a library (frictionless) that
    ruven does not document one by one; the library's own message goes into the finding."""
    return code if code in CODES else fallback


def make(code: str, resource: str, path: str, line: int | None, field: str, value: Any, message: str = "", hint: str = "", *, layer: str = "", severity: str = "") -> Finding:
    """The one constructor of findings: the code must be registered; layer and severity default to
    the registry's, and the message and hint to its template and hint."""
    entry = get(code)
    layer = layer or entry.layer
    if layer not in entry.layers:
        raise ValueError(f"finding code {code!r} is not reported by layer {layer!r} (registry: {', '.join(entry.layers)})")
    severity = severity or entry.severity
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}")
    return Finding(severity, layer, code, resource, path, line, field, truncate(value), message or entry.title, hint or entry.hint)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def codebook_section() -> str:
    """The registry as a Markdown section of the codebook: every code with its layer, default
    severity, meaning, an example that trips it and the fix."""
    from tabulate import tabulate

    out = [
        "## Finding codes",
        "",
        "Every problem `ruven validate` (and `ruven add`) reports carries one of these codes. One problem gives one finding: "
        "a check made by the structural layer (frictionless) is not repeated by the rules (pandera), and the expectation suites "
        "only judge whole tables and implausible magnitudes. Errors make the package invalid; warnings only with `--strict`.",
        "",
    ]
    rows = [(f"`{c.code}`", ", ".join(c.layers), c.severity, _cell(c.meaning), _cell(c.example), _cell(c.fix)) for c in _ALL]
    out.append(tabulate(rows, headers=["Code", "Layer", "Severity", "Meaning", "Example", "Fix"], tablefmt="github", disable_numparse=True))
    return "\n".join(out) + "\n"


__all__ = ["CODES", "Code", "codebook_section", "get", "known", "make"]
