"""Bundled example data for :mod:`binn_graph` (see ``binn_graph/data/README.md`` for sources and licences)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import pandas as pd

from .errors import DataValidationError

__all__ = ["AKIData", "load_aki", "data_path"]


def data_path(relative: str) -> Path:
    """Absolute path of a file under ``binn_graph/data``."""
    path = Path(str(files("binn_graph").joinpath("data", relative)))
    if not path.exists():
        raise FileNotFoundError(f"no bundled data file {relative!r}")
    return path


@dataclass
class AKIData:
    """Septic acute kidney injury plasma proteomics (Hartman et al. 2023).

    ``X``: samples × proteins (UniProt accessions as columns, log intensities, NaN = missing);
    ``y``: group per sample (1 or 2), aligned to ``X`` by sample id.
    """

    X: pd.DataFrame
    y: pd.Series


def load_aki() -> AKIData:
    """Load the bundled AKI cohort: 197 samples × 554 proteins, 74 in group 1 and 123 in group 2."""
    matrix = pd.read_csv(data_path("aki/sample_datamatrix.csv.gz"))
    if "Protein" not in matrix.columns:
        raise DataValidationError("AKI data matrix has no 'Protein' column")
    X = matrix.set_index("Protein").T
    X.index.name = "sample"
    X.columns.name = None
    design = pd.read_csv(data_path("aki/sample_design_matrix.tsv"), sep="\t")
    y = design.set_index("sample")["group"]
    missing = X.index.difference(y.index)
    if len(missing):
        raise DataValidationError(f"{len(missing)} samples of the matrix have no group: {list(missing[:5])}")
    return AKIData(X=X.astype("float64"), y=y.loc[X.index].rename("group"))
