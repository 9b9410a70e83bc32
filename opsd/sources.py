"""The package's own source, as it was when imported, and which modules import which.

A named run's cache key (:mod:`opsd.runs`) includes the source of every
module the run uses.  The text is read once, when this module is imported
(``opsd.runs`` imports every module a run can use before it), so a result
computed by code that was edited after import is keyed by the code that
computed it, and :func:`changed_since_import` tells the cache not to store
it at all.
"""

from __future__ import annotations

import ast
import functools
import hashlib
from pathlib import Path

__all__ = ["PACKAGE", "import_graph", "dependencies", "digest", "changed_since_import"]

PACKAGE = Path(__file__).resolve().parent


def _read() -> dict[str, bytes]:
    return {path.stem: path.read_bytes() for path in sorted(PACKAGE.glob("*.py"))}


#: Module name -> its source bytes when opsd.sources was imported.
_SNAPSHOT = _read()


def _is_type_checking(test) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(tree, modules) -> set[str]:
    """Sibling modules imported anywhere in ``tree`` (function bodies included), except under
    ``if TYPE_CHECKING:``."""
    found = set()

    def visit(node):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom):
            relative = node.level == 1
            absolute = node.level == 0 and node.module is not None and node.module.split(".")[0] == "opsd"
            if relative or absolute:
                parts = (node.module or "").split(".")[0 if relative else 1:] if node.module else []
                if parts:  # from .x import ... / from opsd.x import ...
                    found.add(parts[0])
                else:  # from . import x / from opsd import x
                    found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[1] for alias in node.names
                         if alias.name.startswith("opsd.") and alias.name.split(".")[1] in modules)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found & modules


def import_graph(sources: dict[str, bytes] | None = None) -> dict[str, set[str]]:
    """Module -> the opsd modules it imports (``__init__`` is the package itself), from the source
    as imported (or from ``sources``)."""
    if sources is None:
        return {name: set(found) for name, found in _imported_graph().items()}
    modules = set(sources) - {"__init__", "__main__"}
    return {name: imports(ast.parse(text), modules) - {name} for name, text in sources.items()}


@functools.cache
def _imported_graph() -> dict[str, frozenset[str]]:
    return {name: frozenset(found) for name, found in import_graph(_SNAPSHOT).items()}


def dependencies(*modules: str) -> tuple[str, ...]:
    """``modules`` and every opsd module they import, directly or not, sorted.

    The package's ``__init__`` is left out: it only re-exports names, so an
    edit there cannot change what a run computes.
    """
    graph = _imported_graph()
    seen, todo = set(), [m.removeprefix("opsd.") for m in modules]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        if module not in graph:
            raise ValueError(f"{module!r} is not a module of opsd")
        seen.add(module)
        todo.extend(graph[module])
    return tuple(sorted(seen - {"__init__"}))


def digest(modules) -> str:
    """SHA-256 of the named modules' source as imported."""
    h = hashlib.sha256()
    for name in sorted(modules):
        h.update(name.encode() + b"\0" + _SNAPSHOT[name] + b"\0")
    return h.hexdigest()


def changed_since_import(modules) -> tuple[str, ...]:
    """The named modules whose file on disk no longer holds the source that was imported."""
    return tuple(name for name in sorted(modules)
                 if (PACKAGE / f"{name}.py").read_bytes() != _SNAPSHOT[name])
