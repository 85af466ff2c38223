"""Reading data matrices and targets for the command line (CSV, TSV, parquet), keyed by sample id; run directories.

Every matrix is read **samples × features**: one row per sample, the first column holding the sample ids, one
column per feature (``features_in_rows=True`` reads a features × samples file). :func:`check_orientation` tells a
transposed matrix by the ids it shares with a graph. A run directory's ``config.json`` records its inputs by
absolute path and SHA-256 content hash (:func:`input_record`, :func:`run_input`), so a run is usable from any
working directory and a changed input file is noticed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from contextlib import contextmanager
from os import PathLike
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from .errors import DataValidationError

__all__ = ["read_matrix", "atomic_output", "read_target", "check_orientation", "input_record", "fingerprint", "write_run_config",
           "read_run_config", "run_input", "ORIENTATION"]

logger = logging.getLogger(__name__)

#: How every matrix is laid out, for help texts and error messages.
ORIENTATION = "samples × features: one row per sample, the first column holding the sample ids, one column per feature"

_DELIMITERS = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}


def _first_line(p: Path) -> str:
    import gzip

    try:
        with open(p, "rb") as handle:
            opener = gzip.open if handle.read(2) == b"\x1f\x8b" else open
        with opener(p, "rt", encoding="utf-8", errors="replace") as handle:
            return handle.readline()
    except OSError:
        return ""


def _delimiter_hint(p: Path, sep: str) -> str:
    line = _first_line(p)
    found = [name for char, name in _DELIMITERS.items() if char != sep and line.count(char)]
    if sep in line or not found:
        return ""
    return (f"; its header line holds no {_DELIMITERS[sep]} but {found[0]}s: is it {found[0]}-separated? binn-graph "
            "reads .csv files comma-separated and .tsv, .txt and .tab files tab-separated; save it as one of these")


def _read_any(path: str | PathLike, index_col: int | str | None = 0) -> pd.DataFrame:
    p = Path(path)
    if p.is_dir():
        raise DataValidationError(f"{p}: is a directory; expected a CSV, TSV or parquet file")
    if not p.is_file():
        raise DataValidationError(f"{p}: file does not exist")
    if p.stat().st_size == 0:
        raise DataValidationError(f"{p}: the file is empty; expected a table with a header line")
    name = p.name.lower().removesuffix(".gz")
    try:
        if name.endswith(".parquet"):
            frame = pd.read_parquet(p)
            if index_col is not None and isinstance(frame.index, pd.RangeIndex):  # ids stored as a column
                frame = frame.set_index(frame.columns[index_col] if isinstance(index_col, int) else index_col)
            return frame
        sep = "\t" if name.endswith((".tsv", ".txt", ".tab")) else ","
        frame = pd.read_csv(p, sep=sep, index_col=index_col)
    except ImportError as exc:
        raise DataValidationError(f"{p}: reading parquet needs pyarrow ({exc}); pip install pyarrow") from None
    except pd.errors.EmptyDataError:
        raise DataValidationError(f"{p}: holds no table (only blank lines?); expected a header line and rows") from None
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        hint = "" if name.endswith(".parquet") else _delimiter_hint(p, sep)
        raise DataValidationError(f"{p}: cannot be read as a table ({exc}){hint}") from None
    if index_col is not None and frame.shape[1] == 0:
        hint = _delimiter_hint(p, sep)
        raise DataValidationError(f"{p}: only one column (the ids), no data columns{hint}")
    if index_col is None and frame.shape[1] == 1:
        hint = _delimiter_hint(p, sep)
        if hint:
            raise DataValidationError(f"{p}: only one column{hint}")
    return frame


def read_matrix(path: str | PathLike, *, features_in_rows: bool = False) -> pd.DataFrame:
    """Read a samples × features matrix (first column = sample ids); features × samples with ``features_in_rows``."""
    frame = _read_any(path)
    if features_in_rows:
        frame = frame.T
    if frame.shape[0] == 0:
        raise DataValidationError(f"{path}: a header but no {'feature' if features_in_rows else 'sample'} rows")
    frame.index = frame.index.astype(str)
    frame.columns = [str(c) for c in frame.columns]
    if frame.index.duplicated().any():
        dup = frame.index[frame.index.duplicated()].unique().tolist()
        raise DataValidationError(f"{path}: duplicated sample ids {dup[:5]}")
    _check_numeric(frame, path, features_in_rows)
    return frame


def _check_numeric(frame: pd.DataFrame, path, features_in_rows: bool) -> None:
    """Every value a number (or empty): name the first cell that is not, by sample, feature and line."""
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values):
            continue
        numbers = pd.to_numeric(values, errors="coerce")
        bad = numbers.isna() & values.notna()
        if not bad.any():
            continue
        position = int(np.flatnonzero(bad.to_numpy())[0])
        sample = frame.index[position]
        line = frame.columns.get_loc(column) + 2 if features_in_rows else position + 2
        raise DataValidationError(
            f"{path}, line {line}: {values.iloc[position]!r} (sample {sample!r}, feature {column!r}) is not a number; "
            f"{int(bad.sum())} such value(s) for this feature. Data matrices hold numbers only, with empty cells "
            "for missing values")


def check_orientation(frame: pd.DataFrame, known, *, path, what: str, features_in_rows: bool = False,
                      allow_none: bool = False, hint: str = "") -> int:
    """Number of ``frame``'s feature columns found in ``known`` (the graph's or model's input ids).

    Raises :class:`~binn_graph.errors.DataValidationError` when the matrix looks transposed (no column but some
    row ids are in ``known``), and, unless ``allow_none``, when no feature is in ``known`` at all (``hint``: what
    else the user can do then).
    """
    known = set(map(str, known))
    in_columns = sum(c in known for c in frame.columns)
    if in_columns:
        return in_columns
    in_rows = sum(i in known for i in frame.index)
    flag = ("it was read with --features-in-rows (features × samples); drop that flag" if features_in_rows else
            "pass --features-in-rows if the file is features × samples")
    if in_rows:
        raise DataValidationError(
            f"{path}: the matrix looks transposed: none of its {frame.shape[1]} feature columns but {in_rows} of its "
            f"{frame.shape[0]} row ids (e.g. {[i for i in frame.index if i in known][:3]}) are {what}. binn-graph "
            f"reads every matrix {ORIENTATION}; {flag}")
    if allow_none:
        return 0
    example = sorted(known)[:3]
    raise DataValidationError(
        f"{path}: none of its {frame.shape[1]} feature columns (e.g. {list(frame.columns[:3])}) is one of the "
        f"{len(known)} {what} (e.g. {example}); check the id type (the bundled Reactome uses UniProt accessions) "
        f"and that the matrix is {ORIENTATION}{hint}")


def read_target(path: str | PathLike, column: str | None = None) -> pd.Series | pd.DataFrame:
    """Read targets keyed by sample id (first column); ``column`` picks one (comma-separated for several)."""
    frame = _read_any(path)
    if frame.shape[0] == 0:
        raise DataValidationError(f"{path}: a header but no sample rows")
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


# ---------------------------------------------------------------------------------------------- run directories
def fingerprint(path: str | PathLike) -> str:
    """SHA-256 of a file's bytes, or of a directory's files (relative names and contents, in sorted order)."""
    p = Path(path)
    digest = hashlib.sha256()
    files = [p] if p.is_file() else sorted(f for f in p.rglob("*") if f.is_file())
    for f in files:
        if p.is_dir():
            digest.update(f.relative_to(p).as_posix().encode() + b"\0")
        with open(f, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def input_record(path: str | PathLike) -> dict:
    """``{"path": absolute path, "sha256": content hash}`` of an input file or directory."""
    p = Path(path).expanduser().resolve()
    return {"path": str(p), "sha256": fingerprint(p)}


def write_run_config(run: str | PathLike, config: dict) -> Path:
    """Write ``config.json`` into ``run``."""
    target = Path(run) / "config.json"
    target.write_text(json.dumps(config, indent=2))
    return target


def read_run_config(run: str | PathLike) -> dict:
    """The ``config.json`` of a run directory written by ``binn-graph train``."""
    run = Path(run)
    path = run / "config.json"
    if not run.is_dir():
        raise DataValidationError(f"{run}: no such run directory (write one with `binn-graph train -o {run}`)")
    if not path.is_file():
        raise DataValidationError(f"{run}: no config.json; is it a run directory written by `binn-graph train`?")
    try:
        config = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataValidationError(f"{path}: not valid JSON ({exc}); rerun `binn-graph train`") from None
    if not isinstance(config, dict):
        raise DataValidationError(f"{path}: expected a JSON object; rerun `binn-graph train`")
    return config


def run_input(config: dict, key: str, run: str | PathLike, *, hint: str) -> Path:
    """Path of the run's input ``key`` (``graph``, ``data``, ``target``), checked to exist and to be unchanged.

    New runs store absolute paths and content hashes (``inputs``); runs written before store the path as typed,
    resolved against the working directory, then against the run directory's parent. ``hint`` says what to do
    when the input is gone.
    """
    record = (config.get("inputs") or {}).get(key)
    stored = record["path"] if record else config.get(key)
    if not stored:
        raise DataValidationError(f"{run}/config.json records no {key}; {hint}")
    candidates = [Path(stored)] if Path(stored).is_absolute() else [Path(stored), Path(run).parent / stored]
    found = next((c for c in candidates if c.exists()), None)
    if found is None:
        raise DataValidationError(f"{run}: the run was trained on {key} {stored}, which does not exist any more "
                                  f"(looked in {', '.join(str(c.resolve()) for c in candidates)}); {hint}")
    if record and record.get("sha256") and fingerprint(found) != record["sha256"]:
        logger.warning(f"{found}: changed since the run {run} was trained (content hash differs); results may not "
                       f"match the trained model")
    return found


@contextmanager
def atomic_output(path: str | PathLike, mode: str = "wb") -> Iterator:
    """Open a temporary file beside ``path`` for writing; on success it replaces ``path`` in one step.

    On any exception (including ``KeyboardInterrupt``) the temporary file is removed and ``path`` is untouched, so
    a reader never sees a half-written output.
    """
    target = Path(path)
    handle, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    umask = os.umask(0o022)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # the permissions of a plainly opened file, not mkstemp's 0600
    try:
        with os.fdopen(handle, mode) as out:
            yield out
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
