"""The registry of finding codes: every emitted code is registered, every registered code documented."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from conftest import REPO
from ruven.report import LAYERS, SEVERITIES
from ruven.validate import codes
from ruven.validate.codes import CODES

SRC = REPO / "src" / "ruven"
KEBAB = re.compile(r"^[a-z]+(?:-[a-z]+)*$")
#: a string that can only be a finding code (multi-word kebab case) where a code is expected
CODE_LITERAL = re.compile(r"^[a-z]+(?:-[a-z]+)+$")
#: calls whose first kebab-case string argument is a finding code
CODE_CALLS = {"make", "_f", "Problem", "Rule", "contract_finding", "known", "rule_message"}
#: modules allowed to build a Finding directly: the registry itself, and the two places that
#: restore findings already made (the cache and layer 3's child process)
DIRECT_FINDING = {"validate/codes.py", "validate/cache.py", "validate/expectations.py", "report.py"}


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("code", sorted(CODES))
def test_entry_is_complete(code: str) -> None:
    c = CODES[code]
    assert c.code == code and KEBAB.match(code)
    assert c.layers and set(c.layers) <= set(LAYERS) and c.severity in SEVERITIES
    assert c.title and c.template and c.hint and c.meaning and c.example and c.fix


def test_unregistered_code_cannot_be_emitted() -> None:
    with pytest.raises(KeyError, match="not in the registry"):
        codes.make("made-up-code", "actors", "data/actors.csv", 2, "id", "x")
    with pytest.raises(ValueError, match="not reported by layer"):
        codes.make("range-order", "deployments", "data/deployments.csv", 2, "personnel_best", "1", layer="expectations")


def test_every_code_literal_in_the_source_is_registered() -> None:
    """Statically: each string literal passed as a code to a finding constructor is registered."""
    unknown = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in CODE_CALLS:
                continue
            lits = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str) and CODE_LITERAL.match(a.value)]
            if lits and lits[0] not in CODES:
                unknown.append(f"{path.relative_to(SRC)}:{node.lineno}: {lits[0]}")
    assert not unknown, unknown


def test_findings_are_built_only_through_the_registry() -> None:
    direct = []
    for path in _modules():
        rel = path.relative_to(SRC).as_posix()
        if rel in DIRECT_FINDING:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Finding":
                direct.append(f"{rel}:{node.lineno}")
    assert not direct, direct


def test_suite_codes_are_registered_expectation_codes() -> None:
    for suite in sorted((REPO / "validation").glob("*.json")):
        for e in json.loads(suite.read_text(encoding="utf-8"))["expectations"]:
            code = e["meta"]["code"]
            assert code in CODES and "expectations" in CODES[code].layers, (suite.name, code)


def test_codebook_documents_every_code() -> None:
    from ruven.docs.codebook import codebook_markdown
    from ruven.package import DataPackage

    generated = codebook_markdown(DataPackage.load(REPO))
    committed = (REPO / "docs" / "codebook.md").read_text(encoding="utf-8")
    for text in (generated, committed):
        section = text[text.index("## Finding codes") :]
        listed = re.findall(r"^\| `([a-z-]+)` +\|", section, flags=re.M)
        assert listed == list(CODES), set(CODES) ^ set(listed)


def test_codebook_section_rows_hold_layer_severity_example_and_fix() -> None:
    section = codes.codebook_section()
    row = next(line for line in section.splitlines() if line.startswith("| `primary-key`"))
    cells = [c.strip() for c in row.strip("|").split(" | ")]
    assert cells[1:3] == ["frictionless", "error"] and all(cells)


def test_add_reports_with_the_registry_layers() -> None:
    from ruven.add import Problem

    assert Problem("invalid-date", "m", "h").layer == "pandera"
    assert Problem("type-error", "m", "h").layer == "frictionless"
    with pytest.raises(KeyError):
        Problem("partial-date", "m", "h")
