"""Reading data matrices and targets for the command line (CSV, TSV, parquet), keyed by sample id."""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import pandas as pd

from .errors import DataValidationError

__all__ = ["read_matrix", "read_target"]


def _read_any(path: str | PathLike, index_col: int | str | None = 0) -> pd.DataFrame:
    p = Path(path)
    if not p.is_file():
        raise DataValidationError(f"{p}: file does not exist")
    name = p.name.lower().removesuffix(".gz")
    try:
        if name.endswith(".parquet"):
            frame = pd.read_parquet(p)
            if index_col is not None and isinstance(frame.index, pd.RangeIndex):  # ids stored as a column
                frame = frame.set_index(frame.columns[index_col] if isinstance(index_col, int) else index_col)
            return frame
        sep = "\t" if name.endswith((".tsv", ".txt", ".tab")) else ","
        return pd.read_csv(p, sep=sep, index_col=index_col)
    except ImportError as exc:
        raise DataValidationError(f"{p}: reading parquet needs pyarrow ({exc}); pip install pyarrow") from None
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataValidationError(f"{p}: cannot be read as a table ({exc})") from None


def read_matrix(path: str | PathLike, *, features_in_rows: bool = False) -> pd.DataFrame:
    """Read a samples × features matrix (first column = sample ids), or features × samples with ``features_in_rows``."""
    frame = _read_any(path)
    if features_in_rows:
        frame = frame.T
    frame.index = frame.index.astype(str)
    frame.columns = [str(c) for c in frame.columns]
    if frame.index.duplicated().any():
        dup = frame.index[frame.index.duplicated()].unique().tolist()
        raise DataValidationError(f"{path}: duplicated sample ids {dup[:5]}")
    return frame


def read_target(path: str | PathLike, column: str | None = None) -> pd.Series | pd.DataFrame:
    """Read targets keyed by sample id (first column); ``column`` picks one (comma-separated for several)."""
    frame = _read_any(path)
    frame.index = frame.index.astype(str)
    if column is None:
        if frame.shape[1] != 1:
            raise DataValidationError(f"{path}: has columns {list(frame.columns)}; choose one with --target-column")
        return frame.iloc[:, 0]
    names = column.split(",")
    missing = [c for c in names if c not in frame.columns]
    if missing:
        raise DataValidationError(f"{path}: no column(s) {missing}; found {list(frame.columns)}")
    return frame[names[0]] if len(names) == 1 else frame[names]
