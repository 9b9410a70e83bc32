from pathlib import Path

import pytest

from opsd import fit_all, load_gains

ROOT = Path(__file__).resolve().parents[1]
OBSERVED = ROOT / "data" / "observed_gains.csv"


@pytest.fixture(scope="session")
def observed():
    return load_gains(OBSERVED)


@pytest.fixture(scope="session")
def observed_fits(observed):
    return fit_all(observed)
