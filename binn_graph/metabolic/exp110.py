"""EXP110 (Faure et al., Nat Commun 2023): E. coli growth rates on 110 media, as binn-graph inputs.

:func:`load_exp110` returns the media as samples × exchange reaction ids (column
``EX_<met>_e_i`` → exchange ``EX_<met>_e``, the uptake half in AMN's split
models) and the measured mean growth rate (h⁻¹). :func:`amn_uptake` applies
the authors' FBA-baseline scaling: uptake bound = 2.5 × level, 1e-4 where the
level is 0. With iML1515, ``condition_fluxes(model, method="fba", medium=amn_uptake(media),
close_uptakes=True)`` is that baseline (Q² 0.518 against the measured growth;
benchmarks/RESULTS.md).
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import pandas as pd

from ..datasets import data_path

__all__ = ["load_exp110", "amn_uptake", "EXP110_BIOMASS"]

#: The growth reaction of iML1515 used by the authors.
EXP110_BIOMASS = "BIOMASS_Ec_iML1515_core_75p37M"


def load_exp110(path: str | PathLike | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """``(media, growth)``: 110 × 38 uptake levels by exchange id, and GR_AVG (h⁻¹), rows ``medium0..109``.

    ``path`` is an ``iML1515_EXP.csv`` (or the folder holding it); default: the bundled copy.
    """
    path = data_path("metabolic/iML1515_EXP.csv") if path is None else Path(path)
    if path.is_dir():
        path = path / "iML1515_EXP.csv"
    table = pd.read_csv(path)
    columns = [c for c in table.columns if c.startswith("EX_")]
    media = table[columns].astype(float)
    media.columns = [c.removesuffix("_i") for c in columns]
    media.index = pd.Index([f"medium{i}" for i in range(len(table))], name="medium")
    growth = pd.Series(table["GR_AVG"].to_numpy(dtype=float), index=media.index, name="growth")
    return media, growth


def amn_uptake(media: pd.DataFrame, scale: float = 2.5, floor: float = 1e-4) -> pd.DataFrame:
    """The authors' uptake bounds: ``scale × level``, ``floor`` where the level is 0."""
    return (scale * media).where(media > 0, floor)
