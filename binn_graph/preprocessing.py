"""Input validation and preprocessing fit on training rows only.

Columns are matched to the model's input nodes by name, never by position.
Missing values are handled explicitly: ``impute="mean"`` (training-set means),
``"zero"``, or ``"mask"`` (mean imputation plus a 0/1 missingness indicator as a
second unit of every input node).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import DataValidationError, FeatureMismatchError

__all__ = ["as_frame", "align_columns", "check_no_empty_columns", "empty_columns", "InputPreprocessor", "IMPUTE_MODES"]

IMPUTE_MODES = ("mean", "zero", "mask")


def as_frame(X, what: str = "X") -> pd.DataFrame:
    """A DataFrame view of ``X``; numpy arrays get columns ``x0, x1, ...`` (document: pass a DataFrame)."""
    if isinstance(X, pd.DataFrame):
        frame = X.copy(deep=False)  # the caller's frame keeps its column labels
    else:
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise DataValidationError(f"{what} must be 2-dimensional (samples × features), got shape {arr.shape}")
        frame = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
    frame.columns = [str(c) for c in frame.columns]
    dup = frame.columns[frame.columns.duplicated()].unique().tolist()
    if dup:
        raise FeatureMismatchError(f"{what} has duplicated column names: {dup[:5]}")
    if frame.shape[0] == 0:
        raise DataValidationError(f"{what} has no samples (shape {frame.shape}); at least 1 is required")
    dtypes = frame.dtypes
    accepted = {d: pd.api.types.is_numeric_dtype(d) or pd.api.types.is_bool_dtype(d) for d in set(dtypes)}
    bad = frame.columns[~dtypes.map(accepted).to_numpy(dtype=bool)].tolist()
    if bad:
        col = bad[0]
        values = pd.to_numeric(frame[col], errors="coerce")
        offending = frame[col][values.isna() & frame[col].notna()]
        if len(offending):
            raise DataValidationError(f"{what} column {col!r} holds non-numeric values, e.g. "
                                      f"{offending.iloc[0]!r} in row {offending.index[0]!r}")
        frame = frame.assign(**{c: pd.to_numeric(frame[c], errors="coerce") for c in bad})
    return frame


def empty_columns(frame: pd.DataFrame) -> list:
    """Columns of ``frame`` that hold no value at all (integer and boolean columns cannot be missing)."""
    nullable = frame.select_dtypes(exclude=["integer", "bool"])
    return nullable.columns[nullable.isna().all(axis=0).to_numpy()].tolist()


def check_no_empty_columns(frame: pd.DataFrame, what: str = "X") -> None:
    """Raise DataValidationError naming the columns of ``frame`` that hold no value at all."""
    empty = empty_columns(frame)
    if empty:
        raise DataValidationError(f"{what} has {len(empty)} column(s) with no values at all: {empty[:5]}; "
                                  "drop them before fitting, or pass empty_columns='warn' to impute them at the "
                                  "centre")


def align_columns(frame: pd.DataFrame, input_ids: list[str], what: str = "X") -> pd.DataFrame:
    """Select ``input_ids`` from ``frame`` by name (extra columns are ignored); missing ones raise."""
    missing = [c for c in input_ids if c not in frame.columns]
    if missing:
        raise FeatureMismatchError(
            f"{what} lacks {len(missing)} of the model's {len(input_ids)} input columns "
            f"(e.g. {missing[:5]}); columns are matched by name")
    return frame.loc[:, input_ids]


def _numeric(frame: pd.DataFrame) -> np.ndarray:
    """The frame's values, keeping a compact homogeneous dtype (int8 dosages stay int8)."""
    values = frame.to_numpy()
    return values if values.dtype.kind in "biuf" else values.astype(np.float64)


def _column_chunks(n_cols: int, size: int = 2048):
    return (slice(a, min(a + size, n_cols)) for a in range(0, n_cols, size))


@dataclass
class InputPreprocessor:
    """Imputation and standardisation statistics from the training rows."""

    impute: str = "mean"
    scale: bool = True
    mean_: np.ndarray | None = field(default=None, repr=False)
    scale_: np.ndarray | None = field(default=None, repr=False)
    fill_: np.ndarray | None = field(default=None, repr=False)
    unobserved_: list[str] = field(default_factory=list, repr=False)

    @property
    def input_width(self) -> int:
        """Units per input node: 2 with a missingness indicator (``impute="mask"``), else 1."""
        return 2 if self.impute == "mask" else 1

    def fit(self, frame: pd.DataFrame) -> "InputPreprocessor":
        """Learn fill values and scaling from the training rows of ``frame`` (samples × inputs)."""
        if self.impute not in IMPUTE_MODES:
            raise DataValidationError(f"impute must be one of {IMPUTE_MODES}, not {self.impute!r}")
        values = _numeric(frame)
        n_cols = values.shape[1]
        mean, std = np.zeros(n_cols), np.ones(n_cols)
        unobserved = np.zeros(n_cols, dtype=bool)
        for cols in _column_chunks(n_cols):  # bounded temporaries for wide genotype matrices
            block = values[:, cols].astype(np.float64)
            if values.dtype.kind == "f":
                if np.isinf(block).any():
                    col = frame.columns[cols][np.isinf(block).any(axis=0)][0]
                    raise DataValidationError(f"column {col!r} holds infinite values")
                empty = np.isnan(block).all(axis=0)
                unobserved[cols] = empty
                block[:, empty] = 0.0  # no training value: centre 0, scale 1
                mean[cols], std[cols] = np.nanmean(block, axis=0), np.nanstd(block, axis=0)
            else:  # integers and booleans cannot be missing
                mean[cols], std[cols] = block.mean(axis=0), block.std(axis=0)
        self.unobserved_ = frame.columns[unobserved].tolist()
        self.mean_ = mean if self.scale else np.zeros_like(mean)
        self.scale_ = np.where(std > 0, std, 1.0) if self.scale else np.ones_like(std)
        self.fill_ = np.zeros_like(mean) if self.impute == "zero" else mean
        return self

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """``[n_samples, n_inputs * input_width]`` float32; with ``mask`` the units interleave (value, missing)."""
        values = _numeric(frame)
        n, n_cols = values.shape
        out = np.empty((n, n_cols, self.input_width), dtype=np.float32)
        mean, scale, fill = (np.asarray(v, dtype=np.float32) for v in (self.mean_, self.scale_, self.fill_))
        for cols in _column_chunks(n_cols):
            block = values[:, cols].astype(np.float32)
            missing = np.isnan(block) if values.dtype.kind == "f" else np.zeros(block.shape, dtype=bool)
            block = np.where(missing, fill[cols], block)
            out[:, cols, 0] = (block - mean[cols]) / scale[cols]
            if self.impute == "mask":
                out[:, cols, 1] = missing
        return out.reshape(n, -1)

    def to_dict(self) -> dict:
        """The fitted state as plain lists (for checkpoints)."""
        return {"impute": self.impute, "scale": self.scale, "mean": self.mean_.tolist(),
                "scale_values": self.scale_.tolist(), "fill": self.fill_.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> "InputPreprocessor":
        """Rebuild from :meth:`to_dict` output."""
        out = cls(data["impute"], data["scale"])
        out.mean_, out.scale_, out.fill_ = (np.asarray(data[k], dtype="float64") for k in ("mean", "scale_values", "fill"))
        return out
