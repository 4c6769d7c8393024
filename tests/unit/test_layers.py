"""The dependency direction: services -> contracts -> shared, never back. Read from the source
(every import statement, at any depth in a module), so a lazy import inside a function counts
as much as one at the top."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# what a layer may not import
FORBIDDEN = {"shared": ("services", "contracts"), "contracts": ("services",)}


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.lineno, node.module


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_it(layer):
    wrong = [f"{path.relative_to(ROOT)}:{line}: {name}"
             for path in sorted((ROOT / layer).rglob("*.py"))
             for line, name in _imports(path)
             if name.split(".")[0] in FORBIDDEN[layer]]
    assert not wrong, "\n".join(wrong)
