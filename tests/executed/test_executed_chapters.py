"""The chapters as the book build executed them, compared with the reference notebooks by nbval's rules.

``make test`` executes every chapter once, in the book build; this test then
compares each executed notebook (``_build/jupyter_execute``) with its
reference in ``tests/notebooks``, output by output, as nbval would after
executing it again, except that a glued number is compared as the prose
shows it (to the digits its format spec prints, on every page that pastes
it): digits nobody reads are not a result, and they move with the CPU.
``OPSD_BOOK_EXECUTED`` points it at another build.
"""

import json
import os
from pathlib import Path

import nbformat
import pytest

from ..make_reference import ROOT, output_differences, reference_path, shown_as
from ..test_reference_notebooks import CHAPTERS, NOTEBOOK_CHAPTERS

EXECUTED = Path(os.environ.get("OPSD_BOOK_EXECUTED", ROOT / "_build" / "jupyter_execute"))


#: How the prose of every page pastes each glued value.
SHOWN = shown_as(CHAPTERS)


def executed_path(chapter: Path) -> Path:
    return EXECUTED / chapter.relative_to(ROOT).with_suffix(".ipynb")


@pytest.mark.parametrize("chapter", NOTEBOOK_CHAPTERS, ids=lambda p: p.name)
def test_the_book_computed_what_the_reference_notebook_stores(chapter):
    executed = executed_path(chapter)
    if not executed.exists():
        pytest.fail(f"{executed} is missing: build the book first (make book)")
    glue_file = executed.with_suffix(".glue.json")
    extracted = json.loads(glue_file.read_text(encoding="utf-8")) if glue_file.exists() else {}
    differences = output_differences(nbformat.read(executed, as_version=4),
                                     nbformat.read(reference_path(chapter), as_version=4), extracted,
                                     SHOWN.get(chapter.relative_to(ROOT).with_suffix("").as_posix()))
    assert not differences, f"{chapter.relative_to(ROOT)}:\n" + "\n".join(differences)
