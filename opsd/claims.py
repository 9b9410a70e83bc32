"""The paper's printed numbers (``data/paper_claims.csv``) and how a computed value is compared with one."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .data import DATA_DIR

__all__ = ["CLAIM_COLUMNS", "FIT_LOCATIONS", "INPUT_QUANTITIES", "load_claims", "printed", "digit_errors",
           "fit_claims", "input_claims"]

CLAIM_COLUMNS = ("id", "location", "quantity", "law", "size_b", "condition", "printed", "decimals")
# Claims about the scaling-law fits to the observed data (Table 1, Section 3.2).
FIT_LOCATIONS = ("Table 1", "Section 3.2")
# The printed numbers the inverse problem is solved from: chi^2 fixes the
# overall scale of the errors, the 70B predictions their shape.
INPUT_QUANTITIES = ("chi2", "prediction")


def load_claims(path=None):
    """The paper's printed numbers (``data/paper_claims.csv``) as a DataFrame."""
    import pandas as pd

    path = Path(path) if path is not None else DATA_DIR / "paper_claims.csv"
    claims = pd.read_csv(path, dtype={"law": "string", "id": "string", "condition": "string"})
    missing = [c for c in CLAIM_COLUMNS if c not in claims.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
    for column in ("printed", "decimals"):
        values = pd.to_numeric(claims[column], errors="coerce")
        bad = values.isna() | (values != values.round() if column == "decimals" else False)
        if bad.any():
            raise ValueError(f"{path}: claim {claims['id'][bad].iloc[0]!r} has no valid {column!r} "
                             f"(got {claims[column][bad].iloc[0]!r})")
    if claims["id"].duplicated().any():
        raise ValueError(f"{path}: duplicate claim id {claims['id'][claims['id'].duplicated()].iloc[0]!r}")
    return claims.set_index("id")


def printed(claims, claim_id: str) -> float:
    """The value the paper prints for ``claim_id``."""
    try:
        return float(claims.loc[claim_id, "printed"])
    except KeyError:
        raise ValueError(f"no claim {claim_id!r} in the claims table") from None


def digit_errors(values, claims) -> np.ndarray:
    """(computed - printed) in units of half the last printed digit: |z| <= 1 reproduces it."""
    half_unit = 0.5 * 10.0 ** (-claims["decimals"].to_numpy(float))
    return (np.asarray(values, float) - claims["printed"].to_numpy(float)) / half_unit


def fit_claims(claims):
    """The claims about the scaling-law fits to the observed data."""
    return claims[claims["location"].isin(FIT_LOCATIONS)]


def input_claims(claims):
    """The printed chi^2 and 70B predictions the standard errors are recovered from."""
    fits = fit_claims(claims)
    return fits[fits["quantity"].isin(INPUT_QUANTITIES)]
