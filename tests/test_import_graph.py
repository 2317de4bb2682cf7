"""The import graph of ``ztconsole/`` has no circle: no module imports a module that imports it back,
directly or around a circle. Imports inside functions count (they run too, only later); imports under
``if TYPE_CHECKING:`` do not (they never run). Read from the source with ``ast``, so a lazy import cannot
hide a circle the way it hides from ``sys.modules``."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "ztconsole"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, name: str, modules: set[str], *, is_package: bool = False) -> set[str]:
    """The ztconsole modules that module ``name`` (its ``source``) imports (a ``from x import y`` counts
    ``x.y`` when that is a module, else ``x``), leaving out ``TYPE_CHECKING`` blocks."""
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source))
    related = lambda a, b: a == b or a.startswith(b + ".") or b.startswith(a + ".")  # noqa: E731 - a package and its own modules
    return {m for m in found if m in modules and not related(m, name)}


def graph() -> dict[str, set[str]]:
    files = {module_name(f): f for f in PACKAGE.rglob("*.py")}
    modules = set(files)
    return {name: imports_of(path.read_text(encoding="utf-8"), name, modules, is_package=path.name == "__init__.py")
            for name, path in files.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            connect(v)
    return out


def test_no_module_imports_one_that_imports_it_back() -> None:
    found = cycles(graph())
    assert found == [], "import circles: " + "; ".join(" <-> ".join(c) for c in found)


def test_the_checker_sees_lazy_imports_and_ignores_type_checking() -> None:
    """The test above can fail: a circle is found, a lazy import counts, a TYPE_CHECKING one does not."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    source = ("from typing import TYPE_CHECKING\n"
              "if TYPE_CHECKING:\n    from ztconsole.cli import run\n"
              "def f():\n    from ztconsole import config\n    from . import gaps\n")
    modules = {"ztconsole.cli", "ztconsole.config", "ztconsole.engine.gaps", "ztconsole.engine.x"}
    assert imports_of(source, "ztconsole.engine.x", modules) == {"ztconsole.config", "ztconsole.engine.gaps"}
