"""The package as a whole: what ``import opsd`` exports and how its modules import each other."""

import ast

import opsd
from opsd.sources import import_graph
from opsd.sources import imports as _imports


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
