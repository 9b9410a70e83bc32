"""Execute the book's notebook chapters into the reference notebooks nbval checks.

    python tests/make_reference.py index.md chapters/*.md

Each MyST Markdown chapter that has a kernel becomes
``tests/notebooks/<name>.ipynb``, executed in the chapter's own directory.
Images are dropped from the stored outputs (nbval does not compare them)
and so are execution timestamps and random cell ids, so that ``git diff tests/notebooks``
shows only the numbers and text that moved.  It also redraws
``docs/figure_1.png``, the figure the README shows, from the same data.
"""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = ROOT / "tests" / "notebooks"
DROPPED_MIME = ("image/png", "image/jpeg", "image/svg+xml")


def is_notebook(source: Path) -> bool:
    """A chapter is a notebook when its front matter names a kernel."""
    return "kernelspec" in jupytext.read(source).metadata


def reference_path(source: Path) -> Path:
    return REFERENCE_DIR / f"{Path(source).stem}.ipynb"


def code_cells(notebook) -> list[tuple[str, list[str]]]:
    """(source, tags) of every code cell: what must agree between a chapter and its reference."""
    return [(cell.source, sorted(cell.metadata.get("tags", [])))
            for cell in notebook.cells if cell.cell_type == "code"]


def _tidy(notebook) -> None:
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number}"  # stable ids instead of random ones
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):
            for mime in DROPPED_MIME:
                output.get("data", {}).pop(mime, None)


def build(source: Path) -> Path:
    source = Path(source).resolve()
    notebook = jupytext.read(source)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(source.parent)}}).execute()
    _tidy(notebook)
    target = reference_path(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    return target


def readme_figure() -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import opsd
    from opsd.plots import figure_1

    target = ROOT / "docs" / "figure_1.png"
    target.parent.mkdir(exist_ok=True)
    fits = opsd.fit_all(opsd.load_gains(opsd.DATA_DIR / "observed_gains.csv"))
    figure_1(fits).savefig(target, dpi=110, metadata={"Software": None})
    return target


def main(argv: list[str]) -> int:
    sources = [Path(a) for a in argv if is_notebook(Path(a))]
    expected = {reference_path(s) for s in sources}
    for stale in REFERENCE_DIR.glob("*.ipynb"):
        if stale not in expected:
            stale.unlink()
            print(f"removed {stale.relative_to(ROOT)} (no chapter)")
    for source in sources:
        print(f"executed {source} -> {build(source).relative_to(ROOT)}")
    print(f"drew {readme_figure().relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
