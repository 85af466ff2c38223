"""Plain data for a run report, gathered from the objects a run has (estimator, tables, build reports, figures).

Every function returns dicts, lists, strings and numbers only, so a report can be built, tested and stored as JSON
without the objects it came from.
"""

from __future__ import annotations

import base64
import io
import math
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["versions", "command_line", "parameters", "now", "data_summary", "graph_summary", "metrics_block",
           "top_nodes", "figure", "plain", "NODE_COLUMNS"]

#: Columns of the report's node table, in order (those present in the explain table are shown).
NODE_COLUMNS = ["rank", "node_type", "node_id", "name", "full_name", "level", "normalized_importance", "specific_rank",
                "driver", "member_rank", "p_value", "q_value", "mean_rank", "rank_sd"]
_PACKAGES = ("binn-graph", "torch", "torch-geometric", "numpy", "pandas", "scipy", "scikit-learn", "networkx")


def plain(value):
    """``value`` with numpy scalars and arrays, pandas missing values and paths turned into JSON types."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, (int, str)):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def versions() -> dict:
    """Python and the versions of the packages a run depends on (``None`` when one is not installed)."""
    out = {"python": sys.version.split()[0]}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def command_line(command: str, argv: list[str] | None = None) -> str:
    """The command as typed when run through the ``binn-graph`` script, else ``binn-graph COMMAND (in-process)``."""
    argv = sys.argv if argv is None else argv
    if argv and Path(argv[0]).name == "binn-graph":
        return " ".join(["binn-graph", *argv[1:]])
    return f"binn-graph {command} (called in-process; the parameters are listed below)"


def parameters(args) -> dict:
    """An argparse namespace's settings, JSON-ready (the handler function left out)."""
    return {k: plain(v) for k, v in sorted(vars(args).items()) if k != "func" and not callable(v)}


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def data_summary(X: pd.DataFrame, y=None, *, task: str | None = None, target: str | None = None,
                 notes: list[str] | None = None) -> dict:
    """Samples, features, missing values, and the class counts (classification) or target range (regression)."""
    values = X.to_numpy(dtype=np.float64, na_value=np.nan) if len(X.columns) else np.zeros((len(X), 0))
    out = {"samples": int(X.shape[0]), "features": int(X.shape[1]),
           "missing_share": float(np.isnan(values).mean()) if values.size else 0.0,
           "task": task, "target": target, "classes": None, "target_range": None, "notes": list(notes or [])}
    if y is not None:
        series = y if isinstance(y, pd.Series) else pd.DataFrame(y).iloc[:, 0]
        if task == "classification" or (task is None and not pd.api.types.is_float_dtype(series)):
            out["classes"] = {str(k): int(v) for k, v in series.value_counts().sort_index().items()}
        else:
            out["target_range"] = [float(series.min()), float(series.max())]
    return out


def graph_summary(architecture=None, reports: dict[str, pd.DataFrame] | None = None) -> dict:
    """The compiled network's size per level and every build-report row (what was read, kept and dropped, and why).

    ``reports`` maps a stage name (``"graph"``, ``"model"``) to a :class:`~kg.report.BuildReport` frame
    (``report.to_frame()``) or to a table with the same columns.
    """
    out: dict = {"layer_sizes": None, "connection_counts": None, "n_nodes": None, "n_edges": None, "report": []}
    if architecture is not None:
        sizes = [int(v) for v in architecture.layer_sizes]
        counts = [int(v) for v in architecture.connection_counts]
        out.update(layer_sizes=sizes, connection_counts=counts, n_nodes=int(sum(sizes)), n_edges=int(sum(counts)))
    rows = []
    for stage, frame in (reports or {}).items():
        if frame is None or not len(frame):
            continue
        frame = frame.drop(columns=["stage"], errors="ignore")
        for record in frame.to_dict(orient="records"):
            rows.append({"stage": stage, **{k: plain(v) for k, v in record.items()}})
    out["report"] = rows
    return out


def metrics_block(rows: list[dict], *, task: str, evaluation: str) -> dict:
    """Held-out metrics of the BINN, its baselines and rewired controls, with the metric the verdict reads.

    Each row has ``model``, ``kind`` (``"binn"``, ``"baseline"`` or ``"rewired"``) and metric values; the primary
    metric is ROC-AUC (or accuracy without it) for classification and R² for regression, and comes first.
    """
    rows = [plain(r) for r in rows]
    columns = [c for c in dict.fromkeys(k for r in rows for k in r) if c not in ("model", "kind")]
    if task == "classification":
        primary = "roc_auc" if any(r.get("roc_auc") is not None for r in rows) else "accuracy"
    else:
        primary = "r2"
    columns = [primary] + [c for c in columns if c != primary] if primary in columns else columns
    labels = {"roc_auc": "ROC-AUC", "accuracy": "accuracy", "r2": "R²", "pearson": "Pearson r",
              "spearman": "Spearman ρ", "mse": "MSE"}
    return {"evaluation": evaluation, "primary": primary, "primary_label": labels.get(primary, primary),
            "higher_is_better": True, "columns": columns, "labels": {c: labels.get(c, c) for c in columns},
            "rows": rows}


def top_nodes(table: pd.DataFrame, k: int = 30) -> dict:
    """The ``k`` best-ranked rows of an explain table (one output), named: ``name`` when given, else the id."""
    if "output" in table.columns:
        table = table[table["output"] == table["output"].iloc[0]]
    ordered = table.sort_values("rank", kind="stable")
    shown = ordered.head(k)
    columns = [c for c in NODE_COLUMNS if c in shown.columns]
    rows = []
    for record in shown[columns].to_dict(orient="records"):
        row = {c: plain(record[c]) for c in columns}
        if "name" in row and not (isinstance(row["name"], str) and row["name"].strip()):
            row["name"] = None
        rows.append(row)
    return {"columns": columns, "rows": rows, "total": int(len(table)),
            "by_type": {str(t): int(n) for t, n in table["node_type"].value_counts().items()}}


def figure(title: str, source, caption: str = "") -> dict:
    """A figure for the report as base64 PNG: ``source`` is a PNG path, PNG bytes or a matplotlib figure."""
    if isinstance(source, (str, Path)):
        data = Path(source).read_bytes()
    elif isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    else:
        buffer = io.BytesIO()
        source.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
        data = buffer.getvalue()
    return {"title": title, "caption": caption, "png": base64.b64encode(data).decode("ascii")}
