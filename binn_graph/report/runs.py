"""The reports of ``binn-graph demo``, ``train`` and ``explain``: gather each run's results and write report.html.

:func:`demo_report` also computes what the demo's report shows beyond its metrics: the same BINN on a rewired graph
(held-out control), node importances on the held-out samples, their stability across seeds and the edge flows.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from ..attribution import explain, explain_edges
from ..attribution.null import rewire_inputs
from ..attribution.stability import add_stability, seed_tables
from ..metrics import regression_scores
from .collect import (
    command_line,
    data_summary,
    figure,
    graph_summary,
    metrics_block,
    now,
    parameters,
    plain,
    top_nodes,
    versions,
)
from .html import write_report
from .sankey import flow_data

__all__ = ["demo_report", "train_report", "explain_report", "holdout_scores", "cv_metrics_block", "single_output"]

EXPLAIN_HINT = "binn-graph explain RUN (add --null rewire --stability-seeds 3 for p/q and rank stability)"


def holdout_scores(model, X, y, task: str) -> dict:
    """Held-out metrics of a fitted model: accuracy and ROC-AUC (binary) or Pearson, Spearman, MSE and R²."""
    if task == "classification":
        proba = model.predict_proba(X)
        classes = np.asarray(model.classes_)
        out = {"accuracy": float(np.mean(classes[np.argmax(proba, axis=1)] == np.asarray(y)))}
        if proba.shape[1] == 2:
            out["roc_auc"] = float(roc_auc_score(np.asarray(y) == classes[1], proba[:, 1]))
        return out
    return regression_scores(y, model.predict(X))


def single_output(table: pd.DataFrame) -> pd.DataFrame:
    """The first output's rows of a multi-output explain table (the table itself otherwise)."""
    if "output" not in table.columns:
        return table
    return table[table["output"] == table["output"].iloc[0]]


def _figures(table: pd.DataFrame, edges: pd.DataFrame | None, top_k: int = 8) -> list[dict]:
    from ..attribution.plot import plot_level_ranking, plot_top_subgraph

    out = []
    fig = plot_level_ranking(table, top_k=top_k)
    out.append(figure("Top nodes per level", fig, "(connectivity-normalised importance)"))
    if edges is not None:
        fig = plot_top_subgraph(table, edges, top_k=min(top_k, 6))
        out.append(figure("Top subgraph", fig, "(top nodes per level and the edges between them)"))
    return out


def _graph_block(estimator, graph_report: pd.DataFrame | None = None) -> dict:
    reports = {}
    if graph_report is not None:
        reports["graph"] = graph_report
    model_report = getattr(estimator, "report_", None)
    if model_report is not None:
        reports["model"] = model_report.to_frame()
    return graph_summary(getattr(estimator, "architecture_", None), reports)


def demo_report(path: str | Path, estimator, X_train: pd.DataFrame, X_test: pd.DataFrame, y_train, y_test, *,
                baseline=None, baseline_name: str = "logistic regression", rewired_seeds=(1,), seeds=(1, 2),
                command: str = "binn-graph demo", settings: dict | None = None, edge_steps: int = 20,
                max_flow_nodes: int = 50) -> Path:
    """The demo's report: held-out metrics beside ``baseline`` and the BINN refitted on rewired graphs, importances
    of the held-out samples (clamp) with their stability over ``seeds`` (refits; the fitted model is one more run),
    the strongest flows, figures, and the build reports. Returns the written path."""
    task = "classification" if hasattr(estimator, "classes_") else "regression"
    rows = [{"model": "BINN (biological graph)", "kind": "binn", **holdout_scores(estimator, X_test, y_test, task)}]
    if baseline is not None:
        rows.append({"model": baseline_name, "kind": "baseline", **holdout_scores(baseline, X_test, y_test, task)})
    with warnings.catch_warnings():  # refits on the same rows: the first fit already warned about empty columns
        warnings.filterwarnings("ignore", message=".*no value in these rows")
        for seed in rewired_seeds:
            rewired = clone(estimator).set_params(graph=rewire_inputs(estimator.graph, estimator.architecture_, seed))
            rewired.fit(X_train, y_train)
            rows.append({"model": f"BINN on a rewired graph (seed {seed})", "kind": "rewired",
                         **holdout_scores(rewired, X_test, y_test, task)})
        table = explain(estimator, X_test, method="clamp")
        if seeds:
            tables = [table] + seed_tables(estimator, X_train, y_train, X_test, seeds=seeds, method="clamp")
            table = add_stability(table, tables)
    evaluation = f"{len(X_test)} held-out samples of {len(X_train) + len(X_test)} (stratified split)"
    edges = explain_edges(estimator, X_test, steps=edge_steps)
    X = pd.concat([X_train, X_test])
    y = pd.concat([pd.Series(np.asarray(y_train)), pd.Series(np.asarray(y_test))], ignore_index=True)
    params = {k: v for k, v in estimator.get_params().items() if k != "graph"}
    report = {
        "title": "binn-graph demo: a BINN on the AKI plasma proteomics cohort (Reactome)",
        "run": {"command": command, "parameters": plain({**(settings or {}), **params}), "versions": versions(),
                "created": now(), "output": str(Path(path).parent)},
        "data": data_summary(X, y, task=task, target="group"),
        "graph": _graph_block(estimator, estimator.graph.report.to_frame()),
        "metrics": metrics_block(rows, task=task, evaluation=evaluation),
        "nodes": top_nodes(table),
        "stability": table.attrs.get("stability"),
        "flows": flow_data(single_output(table), edges, max_nodes=max_flow_nodes),
        "figures": _figures(table, edges),
        "notes": [f"Node p- and q-values need a null: {EXPLAIN_HINT}, on a run written by binn-graph train."],
    }
    return write_report(path, report)


def cv_metrics_block(metrics: dict, task: str, baseline_name: str | None = None) -> dict | None:
    """A run's cross-validated metrics (``metrics.json``: ``cv``, ``cv_baseline``, ``cv_rewired``) as report rows."""
    cv = metrics.get("cv")
    if not cv:
        return None
    names = {"cv": ("BINN (biological graph)", "binn"),
             "cv_baseline": (baseline_name or metrics.get("cv_baseline", {}).get("model", "baseline"), "baseline"),
             "cv_rewired": ("BINN on a rewired graph", "rewired")}
    rows = []
    for key, (name, kind) in names.items():
        block = metrics.get(key)
        if block:
            rows.append({"model": block.get("model", name), "kind": kind,
                         **{k: v for k, v in block.items()
                            if isinstance(v, (int, float)) and k not in ("folds", "model") and v is not None}})
    return metrics_block(rows, task=task, evaluation=f"{cv.get('folds', '?')}-fold cross-validation, every sample "
                                                      f"predicted once by a model that did not see it")


def train_report(path: str | Path, *, args, estimator, X: pd.DataFrame, y, metrics: dict,
                 graph_report: pd.DataFrame | None = None) -> Path:
    """``binn-graph train``'s report: the run, the data, the graph, cross-validated metrics when ``--cv`` ran."""
    task = args.task
    block = cv_metrics_block(metrics, task)
    report = {
        "title": f"binn-graph train: {Path(args.output).name}",
        "run": {"command": command_line("train"), "parameters": parameters(args), "versions": versions(),
                "created": now(), "output": str(Path(path).parent.resolve())},
        "data": data_summary(X, y, task=task, target=getattr(args, "target_column", None)),
        "graph": _graph_block(estimator, graph_report),
        "metrics": block,
        "metrics_note": "No held-out metrics: the run was trained on every sample without --cv (train --cv K "
                        "cross-validates; add --rewired-control for the rewired-graph control).",
        "nodes_note": f"Node importances are not part of training: {EXPLAIN_HINT} writes them with their own report.",
        "notes": [f"Explain this run: {EXPLAIN_HINT.replace('RUN', str(Path(args.output)))}."],
    }
    return write_report(path, report)


def explain_report(path: str | Path, *, args, config: dict, run_metrics: dict, model, X: pd.DataFrame,
                   table: pd.DataFrame, edges: pd.DataFrame, figure_paths: dict[str, Path] | None = None, y=None,
                   graph_report: pd.DataFrame | None = None, warnings: list[str] | None = None) -> Path:
    """``binn-graph explain``'s report: the run's metrics and verdict, the ranking with p/q and stability, the flows."""
    task = config.get("task", "classification")
    one = single_output(table)
    null = table.attrs.get("null")
    stability = table.attrs.get("stability")
    report = {
        "title": f"binn-graph explain: {Path(args.run).resolve().name}",
        "run": {"command": command_line("explain"),
                "parameters": {**parameters(args), "training command": config.get("command"),
                               "training parameters": plain(config.get("params", {}))},
                "versions": versions(), "created": now(), "output": str(Path(path).parent.resolve())},
        "data": data_summary(X, y, task=task, target=config.get("target_column"),
                             notes=["Importances are computed on these samples (the run's training data unless "
                                    "--data names others)."]),
        "graph": _graph_block(model, graph_report),
        "metrics": cv_metrics_block(run_metrics, task),
        "metrics_note": "No held-out metrics: the run was trained without --cv (train --cv K, with "
                        "--rewired-control for the rewired-graph control).",
        "null": null,
        "stability": stability,
        "stability_note": "Rank stability across seeds: not measured (--stability-seeds 3 refits the model twice "
                          "more and reports Kendall τ).",
        "nodes": top_nodes(one),
        "flows": flow_data(one, edges),
        "figures": [figure(title, p) for title, p in (figure_paths or {}).items() if Path(p).is_file()],
        "warnings": list(warnings or []),
    }
    return write_report(path, report)
