"""The package as a whole: what ``import opsd`` exports and how its modules import each other."""

import ast
from pathlib import Path

import opsd

PACKAGE = Path(opsd.__file__).resolve().parent


def _is_type_checking(test) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree, modules) -> set[str]:
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


def import_graph() -> dict[str, set[str]]:
    """Module -> the opsd modules it imports (``__init__`` is the package itself)."""
    paths = {path.stem: path for path in PACKAGE.glob("*.py")}
    modules = set(paths) - {"__init__", "__main__"}
    return {name: _imports(ast.parse(path.read_text(encoding="utf-8")), modules) - {name}
            for name, path in paths.items()}


def cycles(graph) -> list[list[str]]:
    """Every elementary cycle's node list, each found once (from its smallest module)."""
    out = []

    def walk(start, node, path):
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                out.append(path + [start])
            elif nxt > start and nxt not in path:
                walk(start, nxt, path + [nxt])

    for start in sorted(graph):
        walk(start, start, [start])
    return out


def test_the_cycle_finder_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_imports_inside_functions_but_not_type_checking_ones():
    tree = ast.parse("from typing import TYPE_CHECKING\nfrom .a import x\nif TYPE_CHECKING:\n    from .b import y\n"
                     "else:\n    from . import e\ndef f():\n    from . import c\n    import opsd.d\n")
    assert _imports(tree, {"a", "b", "c", "d", "e"}) == {"a", "c", "d", "e"}


def test_the_import_graph_has_no_cycle():
    graph = import_graph()
    assert graph["fitting"] >= {"solver", "weights", "checks"}  # the graph is read, not empty
    found = cycles(graph)
    assert not found, "import cycles in opsd: " + "; ".join(" -> ".join(cycle) for cycle in found)


def test_top_level_exports():
    assert set(opsd.__all__) <= set(dir(opsd))
    from opsd.weights import akaike_weights

    assert opsd.akaike_weights is akaike_weights
    assert opsd.RULES == ("aic", "aicc", "bic", "pseudo_bma", "stacking")
