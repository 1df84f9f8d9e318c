"""The import contract (what import-linter would check): no import cycle between modules or between
packages, and the edges (API, CLI, console, demo) never imported by the domain packages. Every
import counts, including those inside functions: a lazy import that dodges a cycle is still one.
Imports under ``if TYPE_CHECKING:`` are for the type checker and do not count."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import huitong

ROOT = Path(huitong.__file__).parent
EDGES = {"api", "cli", "web", "demo"}
# the process's top: it builds the platform from every package, so only edges may import it
TOP = {"bootstrap", "tables", "migrations"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _type_checking(node: ast.AST) -> bool:
    """``if TYPE_CHECKING:`` or ``if typing.TYPE_CHECKING:`` exactly (not ``if not ...``)."""
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(name: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # only the body of such a block is for the type checker; its ``else:`` runs
    skipped = {
        id(n)
        for block in ast.walk(tree)
        if _type_checking(block)
        for stmt in block.body
        for n in ast.walk(stmt)
    }
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            targets = [node.args[0].value]  # importlib.import_module("huitong.x") is an import too
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, *([node.module] if node.module else [])])
            # ``from pkg import sub`` imports the submodule, as import-linter (grimp) reads it
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for target in targets:
            if target.startswith("huitong"):
                resolved = _resolve(target)
                if resolved and resolved != name:
                    found.add(resolved)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "huitong"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle_between_modules():
    assert _cycles(GRAPH) == []


def test_no_import_cycle_between_packages():
    packages: dict[str, set[str]] = defaultdict(set)
    for module, targets in GRAPH.items():
        for target in targets:
            if package(module) != package(target):
                packages[package(module)].add(package(target))
    assert _cycles(packages) == []


def test_domain_packages_never_import_the_edges_or_the_top():
    wrong = sorted(
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        if package(module) not in EDGES | TOP
        for target in targets
        if package(target) in EDGES | TOP and package(target) != package(module)
    )
    assert wrong == []


def test_the_scanner_reads_runtime_imports_the_type_checker_skips_and_import_module(tmp_path):
    code = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from huitong.share import grants\nelse:\n    from huitong.ledger import log\n"
        "if not TYPE_CHECKING:\n    from huitong.org import service\n"
        "def f():\n    import importlib\n    importlib.import_module('huitong.catalog.tables')\n"
    )
    path = tmp_path / "probe.py"
    path.write_text(code, encoding="utf-8")
    found = _imports("huitong.probe", path)
    assert found == {"huitong.ledger.log", "huitong.org.service", "huitong.catalog.tables"}


def test_the_contract_sees_a_cycle_when_there_is_one():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert "huitong.share.listeners" not in GRAPH["huitong.plugins"]  # named, loaded, never imported
    assert "huitong.share.subscriptions" in GRAPH["huitong.share.listeners"]


def test_pyiceberg_is_called_through_one_seam():
    users = sorted(
        {
            name
            for name, path in MODULES.items()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if (isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "pyiceberg")
            or (isinstance(node, ast.Import) and any(a.name.split(".")[0] == "pyiceberg" for a in node.names))
        }
    )
    assert users == ["huitong.store._iceberg"]
