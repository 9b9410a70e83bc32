from pathlib import Path

import pytest

from opsd import fit_all, load_gains
from opsd.audit import load_claims, printed

ROOT = Path(__file__).resolve().parents[1]
OBSERVED = ROOT / "data" / "observed_gains.csv"


@pytest.fixture(scope="session", autouse=True)
def session_runs(tmp_path_factory):
    """Named runs computed by the tests go to a cache of the session's own, never to the book's
    ``_build/runs``: a test cannot pass by loading a result the book stored."""
    directory = tmp_path_factory.mktemp("runs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPSD_RUNS", str(directory))
        yield directory


@pytest.fixture(scope="session")
def observed():
    return load_gains(OBSERVED)


@pytest.fixture(scope="session")
def observed_fits(observed):
    return fit_all(observed)


@pytest.fixture(scope="session")
def claims():
    """The paper's printed numbers (data/paper_claims.csv); tests copy it before changing it."""
    return load_claims()


def as_printed(value, claims, claim_id: str) -> bool:
    """Whether ``value`` rounds to the digits the paper prints for ``claim_id``."""
    decimals = int(claims.loc[claim_id, "decimals"])
    return round(float(value), decimals) == round(printed(claims, claim_id), decimals)


BOOK_RUNS = ROOT / "_build" / "runs"


def _book_runs_listing() -> dict[str, int]:
    return {str(p.relative_to(BOOK_RUNS)): p.stat().st_mtime_ns for p in BOOK_RUNS.rglob("*")} \
        if BOOK_RUNS.exists() else {}


def pytest_sessionstart(session):
    session.config.stash[_BOOK_RUNS_KEY] = _book_runs_listing()


def pytest_sessionfinish(session, exitstatus):
    """The book's cache of named runs is never written by the tests: a run that lands there fails the session."""
    before = session.config.stash.get(_BOOK_RUNS_KEY, None)
    if before is not None and _book_runs_listing() != before:
        session.config.get_terminal_writer().line(f"FAILED: the tests changed {BOOK_RUNS}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_BOOK_RUNS_KEY = pytest.StashKey[dict]()


# Book-level tests keep their files untouched; their slow ones (> 2 s here) are marked from here.
SLOW_BOOK_TESTS = ("tests/test_reference_notebooks.py::test_a_hand_changed_stored_number_fails_nbval",)


def pytest_collection_modifyitems(items):
    for item in items:
        if item.nodeid.split("[")[0] in SLOW_BOOK_TESTS:
            item.add_marker(pytest.mark.slow)
