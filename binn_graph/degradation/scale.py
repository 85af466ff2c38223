"""Is a peptide intensity table linear or log2? Checks run before a flow fit, which needs linear abundances.

Log2 intensities from a mass spectrometer lie in a narrow band (about 5–40) with fractional values, and log2 of a
zero area is ``-inf``; linear areas span orders of magnitude and are never negative. :func:`check_scale` looks at
the finite cells and the ``±inf`` cells of a table and says which scale it looks like, and why.

>>> import pandas as pd
>>> check_scale(pd.DataFrame({"r1": [16.2, 15.1, float("-inf")], "r2": [17.0, 14.9, 12.3]})).looks_log2
True
>>> check_scale(pd.DataFrame({"r1": [2.1e6, 3.5e4, None], "r2": [1.9e6, 8.0e3, 120.0]})).looks_log2
False
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["ScaleCheck", "check_scale", "infinite_cells"]

#: Largest value a log2 intensity plausibly takes (2**40 ≈ 1.1e12).
LOG2_MAX = 40.0
#: Above this, 2**x overflows double precision's useful range for intensities: such a table is not log2.
LINEAR_MIN_MAX = 100.0


@dataclass
class ScaleCheck:
    """What :func:`check_scale` found in a table of intensities."""

    looks_log2: bool
    looks_linear: bool
    reason: str
    minus_inf: list[tuple[str, str]] = field(default_factory=list)  # (row, column) cells holding -inf
    plus_inf: list[tuple[str, str]] = field(default_factory=list)
    negative: int = 0


def infinite_cells(values: pd.DataFrame, sign: int = -1) -> list[tuple[str, str]]:
    """``(row, column)`` of every ``-inf`` (``sign=-1``) or ``+inf`` (``sign=1``) cell, in table order."""
    array = values.to_numpy(dtype=float)
    hit = np.isinf(array) & (np.sign(array) == sign)
    rows, cols = np.nonzero(hit)
    return [(str(values.index[r]), str(values.columns[c])) for r, c in zip(rows, cols)]


def check_scale(values: pd.DataFrame) -> ScaleCheck:
    """Whether numeric ``values`` (peptides × replicates) look like log2 or linear intensities.

    Log2 when a cell is ``-inf`` (log2 of 0) or negative, or when every finite value lies in [0, 40] with
    fractional values and less than a 100-fold spread between the smallest and largest positive value (linear
    areas span orders of magnitude; integer counts, as the simulator writes, are taken as linear). Linear when
    the largest value exceeds 100.
    """
    array = values.to_numpy(dtype=float)
    finite = array[np.isfinite(array)]
    minus, plus = infinite_cells(values, -1), infinite_cells(values, 1)
    negative = int((finite < 0).sum())
    if not finite.size:
        return ScaleCheck(False, False, "no finite intensity", minus, plus, negative)
    low, high = float(finite.min()), float(finite.max())
    if minus:
        return ScaleCheck(True, False, f"{len(minus)} cells are -inf (log2 of a zero area)", minus, plus, negative)
    if negative:
        return ScaleCheck(True, False, f"{negative} cells are negative (down to {low:.3g}); linear areas are not",
                          minus, plus, negative)
    if high > LINEAR_MIN_MAX:
        return ScaleCheck(False, True, f"values reach {high:.3g}", minus, plus, negative)
    positive = finite[finite > 0]
    fractional = bool(np.any(np.abs(finite - np.round(finite)) > 1e-9))
    spread = float(positive.max() / positive.min()) if positive.size else np.inf
    if high <= LOG2_MAX and fractional and spread < 100:
        return ScaleCheck(True, False, f"every value lies between {low:.3g} and {high:.3g} (a {spread:.3g}-fold "
                                       "spread; linear areas span orders of magnitude)", minus, plus, negative)
    return ScaleCheck(False, False, f"values between {low:.3g} and {high:.3g}", minus, plus, negative)
