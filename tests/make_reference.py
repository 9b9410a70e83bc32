"""Execute the book's notebook chapters into the reference notebooks nbval checks.

    python tests/make_reference.py index.md chapters/*.md

Each MyST Markdown chapter that has a kernel becomes
``tests/notebooks/<name>.ipynb``, executed in the chapter's own directory.
Images are dropped from the stored outputs (nbval does not compare them)
and so are execution timestamps and random cell ids, and each stream is one
output however the kernel chunked it, so that ``git diff tests/notebooks``
shows only the numbers and text that moved.  It also redraws
``docs/figure_1.png``, the figure the README shows, from the same data.
"""

from __future__ import annotations

import re
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


#: What nbval leaves out of a comparison (its defaults), and the images the references do not store.
SKIP_COMPARE = ("metadata", "traceback", "prompt_number", "output_type", "name", "execution_count",
                "application/vnd.jupyter.widget-view+json", *DROPPED_MIME)


def _flatten(outputs) -> dict[str, list]:
    """nbval's view of a cell's outputs: streams coalesced, every compared field (each mime type of
    ``data`` its own field) mapped to the list of its values, in order."""
    from nbval.plugin import coalesce_streams, transform_streams_for_comparison

    fields: dict[str, list] = {}
    for output in transform_streams_for_comparison(coalesce_streams([nbformat.from_dict(o) for o in outputs])):
        for key, value in output.items():
            if key == "data":
                for mime, content in value.items():
                    if mime not in SKIP_COMPARE:
                        fields.setdefault(mime, []).append(content)
            elif key not in SKIP_COMPARE:
                fields.setdefault(key, []).append(value)
    return fields


def _is_glue(output) -> bool:
    return "scrapbook" in output.get("metadata", {})


def glued(notebook, extracted=None) -> dict[str, dict]:
    """Every glued value of ``notebook``, name -> its data under the ``papermill.record`` mime types.

    The book build moves glue outputs out of the executed notebook into a
    ``.glue.json`` beside it, with the mime prefix stripped; ``extracted``
    is that file's content, and is read back the same way.
    """
    values = {}
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    for output in [*outputs, *(extracted or {}).values()]:
        if _is_glue(output):
            prefix = output["metadata"]["scrapbook"]["mime_prefix"]
            values[output["metadata"]["scrapbook"]["name"]] = {
                mime if mime.startswith(prefix) else prefix + mime: content
                for mime, content in output["data"].items()}
    return values


GLUE_ROLE = re.compile(r"\{glue(?::(\w+))?\}`([^`]+)`")
GLUE_DIRECTIVE = re.compile(r"```\{glue(?::\w+)?\}[ \t]+(\S+)[ \t]*((?:\n:[^\n]*)*)")


def shown_as(pages, root: Path = ROOT) -> dict[str, dict[str, set]]:
    """Notebook (its path from the root, without suffix) -> glue key -> every format spec the prose of
    ``pages`` pastes it with (``{glue:text}`[doc::]key[:spec]```, parsed as myst-nb parses it), or
    None where a page pastes it whole (any other glue role or directive)."""
    shown: dict[str, dict[str, set]] = {}

    def paste(page, doc, key, spec):
        if doc is None:
            target = page.resolve()
        elif doc.startswith("/"):  # from the source root, as Sphinx reads it
            target = (root / doc.lstrip("/")).resolve()
        else:
            target = (page.parent / doc).resolve()
        notebook = target.relative_to(root.resolve()).with_suffix("").as_posix()
        shown.setdefault(notebook, {}).setdefault(key, set()).add(spec)

    for page in pages:
        page = Path(page)
        text = page.read_text(encoding="utf-8")
        for match in GLUE_ROLE.finditer(text):
            role, content = match.groups()
            if role == "text":
                key, spec = content.rsplit(":", 1) if ":" in content else (content, "s")
            else:
                key, spec = content, None
            doc, key = key.split("::", 1) if "::" in key else (None, key)
            paste(page, doc, key, spec)
        for match in GLUE_DIRECTIVE.finditer(text):
            doc = re.search(r"^:doc:\s*(\S+)", match.group(2), re.MULTILINE)
            paste(page, doc.group(1) if doc else None, match.group(1), None)
    return shown


def _as_read(value: dict, specs) -> dict:
    """A glued value as the prose shows it: formatted by every spec it is pasted with, or whole."""
    from myst_nb.core.variables import format_plain_text

    if not specs or None in specs or "application/papermill.record/text/plain" not in value:
        return value
    return {spec: format_plain_text(value["application/papermill.record/text/plain"], spec)
            for spec in sorted(specs)}


def output_differences(executed, reference, extracted_glue=None, shown=None) -> list[str]:
    """Where the outputs of ``executed`` differ from those of ``reference`` by nbval's rules.

    The notebooks must have the same code cells; each cell's outputs must
    have the same fields (stream names, mime types) with equal values, and
    every glued value (``extracted_glue``: see :func:`glued`) must read the
    same: where ``shown`` (key -> format specs, see :func:`shown_as`) says
    how the prose pastes it, as formatted there, since digits beyond those
    are nowhere on the page; otherwise whole.  Images are not compared, as
    nbval does not compare them.
    """
    ran, stored = ([c for c in nb.cells if c.cell_type == "code"] for nb in (executed, reference))
    if [c.source for c in ran] != [c.source for c in stored]:
        return ["the code cells differ: the executed notebook is not this chapter's reference"]
    found = []
    for number, (cell, ref) in enumerate(zip(ran, stored)):
        got, want = ({k: v for k, v in _flatten(o for o in c.get("outputs", []) if not _is_glue(o)).items()}
                     for c in (cell, ref))
        if got != want:
            moved = [k for k in sorted(set(got) | set(want)) if got.get(k) != want.get(k)]
            found.append(f"code cell {number}: " + "; ".join(
                f"{k}: {str(want.get(k))[:300]!r} stored, {str(got.get(k))[:300]!r} computed" for k in moved))
    got, want = glued(executed, extracted_glue), glued(reference)
    shown = shown or {}
    for name in sorted(set(got) | set(want)):
        if name not in got or name not in want:
            found.append(f"glue {name!r}: {want.get(name)!r} stored, {got.get(name)!r} computed")
        elif _as_read(got[name], shown.get(name)) != _as_read(want[name], shown.get(name)):
            found.append(f"glue {name!r}: {want.get(name)!r} stored, {got.get(name)!r} computed")
    return found


def _tidy(notebook) -> None:
    from nbval.plugin import coalesce_streams

    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number}"  # stable ids instead of random ones
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":  # one output per stream, however the kernel chunked it
            cell.outputs = coalesce_streams(cell.outputs)
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
