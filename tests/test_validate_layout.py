"""The validation core's layout: no import cycles, no module that does several things."""

from __future__ import annotations

import ast

from conftest import REPO

VALIDATE = REPO / "src" / "ruven" / "validate"
#: A module past this many lines is split by concern (preflight / contract / keys / reference;
#: derivation / frame checks / execution).
MAX_LINES = 450


def _graph() -> dict[str, set[str]]:
    mods = {p.stem for p in VALIDATE.glob("*.py")}
    out: dict[str, set[str]] = {}
    for p in VALIDATE.glob("*.py"):
        deps = set()
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):  # imports inside functions count too
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ruven.validate"):
                parts = node.module.split(".")
                if len(parts) > 2:
                    deps.add(parts[2])
                else:
                    deps.update(a.name for a in node.names if a.name in mods)
        out[p.stem] = deps - {p.stem}
    return out


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                cycles.append(path[path.index(dep) :] + [dep])
            elif dep not in state:
                visit(dep, [*path, dep])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    return cycles


def test_no_import_cycles_in_validate() -> None:
    graph = _graph()
    assert {"rules", "messages", "structural", "codes"} <= set(graph) and graph["rules"]
    assert _cycles(graph) == []


def test_cycle_check_sees_a_cycle() -> None:
    """The check above can fail: the cycle this refactor broke is found when planted back."""
    graph = {"rules": {"messages"}, "messages": {"structural"}, "structural": {"rules"}, "codes": set()}
    assert _cycles(graph) == [["messages", "structural", "rules", "messages"]]


def test_no_module_does_several_things() -> None:
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in VALIDATE.glob("*.py")}
    assert {n: s for n, s in sizes.items() if s > MAX_LINES} == {}
    assert len((REPO / "src" / "ruven" / "report.py").read_text(encoding="utf-8").splitlines()) <= MAX_LINES
