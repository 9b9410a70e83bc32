"""The reference notebooks nbval checks are the executed chapters, and nbval bites."""

import re
import subprocess
import sys

import jupytext
import nbformat
import pytest

from .make_reference import REFERENCE_DIR, ROOT, code_cells, is_notebook, output_differences, reference_path

CHAPTERS = [ROOT / "index.md", *sorted((ROOT / "chapters").glob("*.md"))]
NOTEBOOK_CHAPTERS = [c for c in CHAPTERS if is_notebook(c)]


def test_every_notebook_chapter_has_a_reference_and_no_other():
    expected = {reference_path(c).name for c in NOTEBOOK_CHAPTERS}
    stored = {p.name for p in REFERENCE_DIR.glob("*.ipynb")}
    assert stored == expected, "run `make reference` to regenerate tests/notebooks"


@pytest.mark.parametrize("chapter", NOTEBOOK_CHAPTERS, ids=lambda p: p.name)
def test_chapter_code_matches_its_reference_notebook(chapter):
    reference = nbformat.read(reference_path(chapter), as_version=4)
    assert code_cells(jupytext.read(chapter)) == code_cells(reference), (
        f"{chapter.relative_to(ROOT)} differs from its reference notebook: run `make reference`"
    )
    assert all(cell.execution_count for cell in reference.cells if cell.cell_type == "code"), \
        "the reference notebook was not executed"


@pytest.mark.parametrize("chapter", NOTEBOOK_CHAPTERS, ids=lambda p: p.name)
def test_every_glue_reference_in_the_prose_is_glued(chapter):
    text = chapter.read_text(encoding="utf-8")
    used = set(re.findall(r"\{glue:text\}`([A-Za-z0-9_]+)", text))
    reference = nbformat.read(reference_path(chapter), as_version=4)
    glued = {output.metadata["scrapbook"]["name"]
             for cell in reference.cells if cell.cell_type == "code"
             for output in cell.outputs if "scrapbook" in output.get("metadata", {})}
    assert used <= glued, f"not glued: {sorted(used - glued)}"


def _tamper(notebook, mime_prefix: str) -> str:
    """Change the first digit of the first stored output whose mime type starts with ``mime_prefix``."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            for mime, value in output.get("data", {}).items():
                if mime.startswith(mime_prefix) and re.search(r"\d", value):
                    output["data"][mime] = re.sub(r"\d", lambda m: str((int(m.group()) + 1) % 10), value, count=1)
                    return mime
    raise AssertionError(f"no output of type {mime_prefix} to tamper with")


@pytest.mark.parametrize("mime_prefix", ["application/papermill.record/", "text/html"])
def test_a_hand_changed_stored_number_fails_nbval(tmp_path, mime_prefix):
    notebook = nbformat.read(REFERENCE_DIR / "scaling.ipynb", as_version=4)
    _tamper(notebook, mime_prefix)
    target = tmp_path / "tampered.ipynb"
    nbformat.write(notebook, target)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", "-p", "no:cacheprovider",
         "-q", "--rootdir", str(tmp_path), "-c", "/dev/null", str(target)],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert run.returncode == 1, run.stdout[-2000:]
    assert "1 failed" in run.stdout


@pytest.mark.parametrize("mime_prefix", ["application/papermill.record/", "text/html", "text/plain"])
def test_a_hand_changed_digit_fails_the_comparison_of_executed_chapters(mime_prefix):
    reference = nbformat.read(REFERENCE_DIR / "scaling.ipynb", as_version=4)
    assert output_differences(reference, reference) == []
    tampered = nbformat.read(REFERENCE_DIR / "scaling.ipynb", as_version=4)
    mime = _tamper(tampered, mime_prefix)
    found = output_differences(tampered, reference)
    assert len(found) == 1 and mime in found[0]


def test_the_comparison_of_executed_chapters_sees_a_changed_stream_and_changed_code():
    reference = nbformat.read(REFERENCE_DIR / "bootstrap.ipynb", as_version=4)
    changed = nbformat.read(REFERENCE_DIR / "bootstrap.ipynb", as_version=4)
    stream = next(o for c in changed.cells for o in c.get("outputs", []) if o.output_type == "stream")
    stream.text = re.sub(r"\d", "9", stream.text, count=1)
    assert output_differences(changed, reference)
    changed = nbformat.read(REFERENCE_DIR / "bootstrap.ipynb", as_version=4)
    next(c for c in changed.cells if c.cell_type == "code").source += "\nx = 1"
    assert output_differences(changed, reference) == [
        "the code cells differ: the executed notebook is not this chapter's reference"]


def test_glue_is_compared_as_every_page_shows_it(tmp_path):
    from .make_reference import shown_as

    page = tmp_path / "chapters" / "probe.md"
    page.parent.mkdir()
    page.write_text("{glue:text}`x:.1f` and {glue:text}`/chapters/scaling.md::avg70:.2f`, {glue}`y`\n"
                    "```{glue:figure} z\n:name: fig-z\n:doc: other.md\n```\n", encoding="utf-8")
    shown = shown_as([page], root=tmp_path)
    assert shown == {"chapters/probe": {"x": {".1f"}, "y": {None}}, "chapters/scaling": {"avg70": {".2f"}},
                     "chapters/other": {"z": {None}}}
    reference = nbformat.read(REFERENCE_DIR / "bootstrap.ipynb", as_version=4)
    changed = nbformat.read(REFERENCE_DIR / "bootstrap.ipynb", as_version=4)
    record = next(o for c in changed.cells for o in c.get("outputs", [])
                  if o.get("metadata", {}).get("scrapbook", {}).get("name") == "drop_resample_hi")
    mime = "application/papermill.record/text/plain"
    value = float(record["data"][mime])
    as_read = {"chapters/bootstrap": {"drop_resample_hi": {".1f"}}}["chapters/bootstrap"]
    unread = 0.001 if f"{value + 0.001:.1f}" == f"{value:.1f}" else -0.001
    record["data"][mime] = repr(value + unread)  # a digit no page prints
    assert output_differences(changed, reference, shown=as_read) == []
    assert output_differences(changed, reference) != []  # compared whole where no page says how it is read
    record["data"][mime] = repr(value + 0.1)  # a digit the page prints
    assert output_differences(changed, reference, shown=as_read) != []
