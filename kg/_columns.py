"""Column helpers: attribute dtype normalisation and duplicate collapsing.

Attribute columns have one of four dtypes: ``str`` (missing = NaN), ``float64``,
nullable ``Int64`` and nullable ``boolean``. Normalising every column keeps
concatenation, storage and the RDF/networkx round trips lossless.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype, is_bool_dtype, is_float_dtype, is_integer_dtype

from .errors import SchemaError
from .schema import SET_ATTRIBUTES

STR = pd.StringDtype(na_value=np.nan)
DTYPE_NAMES = {"str": STR, "float64": np.dtype("float64"), "Int64": pd.Int64Dtype(), "boolean": pd.BooleanDtype()}
SEPARATOR = "|"


def dtype_name(dtype) -> str:
    """Canonical name ("str", "float64", "Int64", "boolean") of a normalised column dtype."""
    if isinstance(dtype, pd.StringDtype):
        return "str"
    if isinstance(dtype, pd.Int64Dtype):
        return "Int64"
    if isinstance(dtype, pd.BooleanDtype):
        return "boolean"
    if is_float_dtype(dtype):
        return "float64"
    raise SchemaError(f"unsupported column dtype {dtype}")


def normalize_column(values, n: int, name: str) -> pd.Series:
    """Turn a scalar or a sequence of length ``n`` into a normalised attribute Series."""
    if isinstance(values, (str, bytes, int, float, bool, np.generic)) or values is None:
        series = pd.Series([values] * n)
    else:
        series = pd.Series(values).reset_index(drop=True) if not isinstance(values, pd.Series) else values.reset_index(drop=True)
        if len(series) != n:
            raise SchemaError(f"attribute {name!r} has {len(series)} values for {n} ids; give one per id or a scalar")
    return coerce(series, name)


def coerce(series: pd.Series, name: str = "") -> pd.Series:
    """Coerce a Series to one of the four attribute dtypes."""
    dtype = series.dtype
    if isinstance(dtype, (pd.StringDtype, pd.Int64Dtype, pd.BooleanDtype)):
        return series.astype(STR) if isinstance(dtype, pd.StringDtype) else series
    if is_bool_dtype(dtype):
        return series.astype("boolean")
    if is_integer_dtype(dtype):
        return series.astype("Int64")
    if is_float_dtype(dtype):
        return series.astype("float64")
    kind = infer_dtype(series, skipna=True)
    if kind == "boolean":
        return series.astype("boolean")
    if kind == "integer":
        return series.astype("Int64")
    if kind in {"floating", "mixed-integer-float", "decimal"}:  # missing values may be pd.NA, which float() refuses
        return series.astype(object).where(series.notna(), np.nan).astype("float64")
    if kind in {"string", "empty"}:
        return series.astype(STR)
    if kind in {"bytes"}:
        raise SchemaError(f"attribute {name!r} holds bytes; decode them to str first")
    mask = series.isna()
    out = series.astype(object).where(mask, series.astype(str))
    return out.astype(STR)


def align_dtypes(frame: pd.DataFrame, dtypes: dict[str, object]) -> pd.DataFrame:
    """Cast columns of ``frame`` to the given dtypes (after a concat introduced object/float NaN)."""
    for col, dt in dtypes.items():
        if col in frame.columns and frame[col].dtype != dt:
            try:
                frame[col] = frame[col].astype(dt)
            except (TypeError, ValueError):
                frame[col] = coerce(frame[col].astype(object), col)
    return frame


def union_join(values: Iterable) -> object:
    """Unite ``|``-joined value sets, keeping first-seen order; NaN if none."""
    seen: dict[str, None] = {}
    for v in values:
        if isinstance(v, str):
            for token in v.split(SEPARATOR):
                if token:
                    seen.setdefault(token, None)
    return SEPARATOR.join(seen) if seen else np.nan


def concat_tables(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate attribute tables, keeping the first dtype seen for each column."""
    frames = [f for f in frames if f is not None]
    dtypes: dict[str, object] = {}
    for f in frames:
        for c in f.columns:
            dtypes.setdefault(c, f[c].dtype)
    frames = [f for f in frames if len(f)] or frames[:1]
    out = pd.concat(frames, ignore_index=True, sort=False) if len(frames) > 1 else frames[0].copy()
    out = out.reindex(columns=list(dtypes))
    return align_dtypes(out, dtypes)


def collapse_duplicates(frame: pd.DataFrame, keys: list[str]) -> tuple[pd.DataFrame, int]:
    """Merge rows with equal ``keys``: set attributes are united, others keep the first non-missing value.

    Returns the collapsed frame (in first-occurrence order) and the number of rows removed.
    """
    dup = frame.duplicated(keys, keep=False).to_numpy()
    if not dup.any():
        return frame.reset_index(drop=True), 0
    dtypes = {c: frame[c].dtype for c in frame.columns}
    multi = frame[dup].copy()
    multi["_pos"] = np.flatnonzero(dup)
    grouped = multi.groupby(keys, sort=False, dropna=False)
    merged = grouped.first()
    for col in (c for c in frame.columns if c in SET_ATTRIBUTES and c not in keys):
        merged[col] = grouped[col].agg(union_join)
    merged = merged.reset_index()
    single = frame[~dup].copy()
    single["_pos"] = np.flatnonzero(~dup)
    out = pd.concat([single, merged], ignore_index=True, sort=False).sort_values("_pos", kind="stable")
    out = out.drop(columns="_pos").reset_index(drop=True)[list(frame.columns)]
    removed = len(frame) - len(out)
    return align_dtypes(out, dtypes), removed
