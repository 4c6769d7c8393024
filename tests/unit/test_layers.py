"""The layer contract (services/README.md, "Who may import whom"):

    shared (the kernel)  <-  contracts  <-  services/<name>  <-  demo

- the kernel imports no contract, no service and not the demo, and names no service's module
  even in a string (it finds services through the entry points "sanxiang.services");
- a contract imports no service and not the demo;
- a service imports no other service (what it needs of a peer goes over RPC or events) and
  not the demo;
- the demo talks to the services over RPC through their contracts and imports none of them.

Read from the source (every import statement, at any depth in a module, relative ones
resolved), so a lazy import inside a function counts as much as one at the top."""
from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# the top-level packages of the suite, lowest layer first
LAYERS = ("shared", "contracts", "services", "demo")
# what a layer may not import
FORBIDDEN = {
    "shared": ("contracts", "services", "demo"),
    "contracts": ("services", "demo"),
    "services": ("demo",),
    "demo": ("services",),
}
# a service's module named in a string ("services.records.service:RecordsService")
SERVICE_MODULE = re.compile(r"(?<![\w.])services\.[a-z_][a-z0-9_]*")
# Known service -> service imports left to remove, each "importing module -> imported module".
# Empty once every service reaches its peers through contracts only; nothing may be added.
KNOWN_SIBLING_IMPORTS: frozenset[str] = frozenset()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(path: Path, node: ast.ImportFrom) -> str:
    """The module an ImportFrom names, a relative one resolved against `path`'s package."""
    if not node.level:
        return node.module or ""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package.pop()
    base = package[:len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(path, node)
            yield node.lineno, module
            if module in LAYERS:  # `from services import review` names a package too
                for alias in node.names:
                    yield node.lineno, f"{module}.{alias.name}"


def _sources(layer: str) -> list[Path]:
    return sorted((ROOT / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_imports_nothing_above_it(layer):
    wrong = [f"{path.relative_to(ROOT)}:{line}: {name}"
             for path in _sources(layer)
             for line, name in _imports(path)
             if name.split(".")[0] in FORBIDDEN[layer]]
    assert not wrong, "\n".join(wrong)


def _sibling_imports() -> Iterator[tuple[str, str]]:
    for path in _sources("services"):
        parts = path.relative_to(ROOT / "services").parts
        if len(parts) < 2:  # services/__init__.py belongs to no service
            continue
        own = parts[0]
        for line, name in _imports(path):
            target = name.split(".")
            if target[0] == "services" and len(target) > 1 and target[1] != own:
                yield f"{path.relative_to(ROOT)}:{line}", f"{_module_name(path)} -> {name}"


def test_no_service_imports_another():
    found = list(_sibling_imports())
    wrong = [f"{where}: {edge}" for where, edge in found if edge not in KNOWN_SIBLING_IMPORTS]
    assert not wrong, "\n".join(wrong)
    # an allowance that no longer matches anything is removed, never left for reuse
    stale = KNOWN_SIBLING_IMPORTS - {edge for _, edge in found}
    assert not stale, "\n".join(sorted(stale))


def test_the_kernel_names_no_service_module():
    """Not even in a string: `services.<name>` paths come from the entry points."""
    wrong = [f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}"
             for path in _sources("shared")
             for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path)))
             if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and SERVICE_MODULE.search(node.value)]
    assert not wrong, "\n".join(wrong)


def test_the_layers_are_the_suites_packages():
    """A new top-level package is placed in the contract before it is written."""
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    assert packages == set(LAYERS)
