"""``binn-graph train`` and ``binn-graph predict``: fit a BINN on a matrix plus a saved graph; predict from a run.

A run directory holds ``model.pt`` (weights, architecture, preprocessing; loaded with
``weights_only``), ``config.json``, ``metrics.json`` and ``build_report.tsv``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict

from kg import KnowledgeGraph

from ..errors import DataValidationError
from ..estimators import BINNClassifier, BINNRegressor
from ..io import read_matrix, read_target
from ..metrics import regression_scores

__all__ = ["add_parser", "train_run", "predict_run"]

_PARAMS = ("input_type", "mode", "n_levels", "node_width", "activation", "dropout", "heads", "impute", "max_epochs",
           "batch_size", "lr", "weight_decay", "l1", "l2", "patience", "empty_columns", "random_state")
_DEFAULTS = BINNClassifier().get_params()  # the command line's defaults are the estimators' own


def _metrics(task: str, y, pred, proba) -> dict:
    if task == "classification":
        out = {"accuracy": float(np.mean(np.asarray(pred) == np.asarray(y)))}
        if proba is not None and proba.shape[1] == 2:
            out["roc_auc"] = float(roc_auc_score(y, proba[:, 1]))
        return out
    return regression_scores(y, pred)


def train_run(args: argparse.Namespace) -> Path:
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    graph = KnowledgeGraph.load(args.graph)
    X = read_matrix(args.data, features_in_rows=args.features_in_rows)
    y = read_target(args.target, args.target_column)
    common = X.index.intersection(y.index)
    only_x, only_y = X.index.difference(y.index), y.index.difference(X.index)
    if len(only_x) or len(only_y):
        print(f"joined by sample id: {len(common)} samples; {len(only_x)} only in the data "
              f"(e.g. {list(only_x[:3])}), {len(only_y)} only in the target (e.g. {list(only_y[:3])})",
              file=sys.stderr)
    if not len(common):
        raise DataValidationError("no sample id is shared by the data and the target")
    X, y = X.loc[common], y.loc[common]
    params = {k: getattr(args, k) for k in _PARAMS}
    cls = BINNClassifier if args.task == "classification" else BINNRegressor
    estimator = cls(graph, **params)
    metrics: dict = {"n_samples": int(len(X)), "n_columns": int(X.shape[1])}
    start = time.perf_counter()
    if args.cv and args.cv > 1:
        splitter = (StratifiedKFold if args.task == "classification" else KFold)(
            args.cv, shuffle=True, random_state=args.random_state)
        method = "predict_proba" if args.task == "classification" else "predict"
        cv_out = cross_val_predict(cls(graph, **params), X, y, cv=splitter, method=method)
        if args.task == "classification":
            classes = np.unique(y)
            metrics["cv"] = _metrics(args.task, y, classes[np.argmax(cv_out, axis=1)], cv_out)
        else:
            metrics["cv"] = _metrics(args.task, y, cv_out, None)
        metrics["cv"]["folds"] = args.cv
    estimator.fit(X, y)
    metrics["fit_seconds"] = round(time.perf_counter() - start, 2)
    metrics["layer_sizes"] = estimator.architecture_.layer_sizes
    metrics["connection_counts"] = estimator.architecture_.connection_counts
    metrics["epochs_run"] = len(estimator.history_.train_loss)
    estimator.save(out / "model.pt")
    config = {"command": " ".join(sys.argv), "task": args.task, "graph": str(args.graph), "data": str(args.data),
              "target": str(args.target), "target_column": args.target_column,
              "features_in_rows": args.features_in_rows, "params": params}
    (out / "config.json").write_text(json.dumps(config, indent=2))
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    report = pd.concat([graph.report.to_frame().assign(stage="graph"),
                        estimator.report_.to_frame().assign(stage="model")], ignore_index=True)
    report.to_csv(out / "build_report.tsv", sep="\t", index=False)
    print(json.dumps(metrics, indent=2))
    print(f"run written to {out}")
    return out


def predict_run(args: argparse.Namespace) -> Path:
    run = Path(args.run)
    config = json.loads((run / "config.json").read_text()) if (run / "config.json").is_file() else {}
    cls = BINNRegressor if config.get("task") == "regression" else BINNClassifier
    model = cls.load(run / "model.pt")
    X = read_matrix(args.data, features_in_rows=args.features_in_rows)
    if isinstance(model, BINNClassifier):
        proba = model.predict_proba(X)
        out = pd.DataFrame(proba, index=X.index, columns=[f"p_{c}" for c in model.classes_])
        out.insert(0, "prediction", model.classes_[np.argmax(proba, axis=1)])
    else:
        pred = model.predict(X)
        out = pd.DataFrame(pred.reshape(len(X), -1), index=X.index)
        out.columns = ["prediction"] if out.shape[1] == 1 else [f"prediction_{i}" for i in range(out.shape[1])]
    out.index.name = "sample"
    target = Path(args.output)
    out.to_csv(target, sep="\t")
    print(f"wrote {len(out)} predictions to {target}")
    return target


def _model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input-type", default=_DEFAULTS["input_type"],
                        help="node type of the data columns (default protein)")
    parser.add_argument("--mode", choices=["dag", "layered"], default=_DEFAULTS["mode"])
    parser.add_argument("--n-levels", type=int, help="depth for --mode layered")
    parser.add_argument("--node-width", type=int, default=_DEFAULTS["node_width"])
    parser.add_argument("--activation", default=_DEFAULTS["activation"])
    parser.add_argument("--dropout", type=float, default=_DEFAULTS["dropout"])
    parser.add_argument("--heads", choices=["root", "all_levels"], default=_DEFAULTS["heads"])
    parser.add_argument("--impute", choices=["mean", "zero", "mask"], default=_DEFAULTS["impute"])
    parser.add_argument("--max-epochs", type=int, default=_DEFAULTS["max_epochs"])
    parser.add_argument("--batch-size", type=int, default=_DEFAULTS["batch_size"])
    parser.add_argument("--lr", type=float, default=_DEFAULTS["lr"])
    parser.add_argument("--weight-decay", type=float, default=_DEFAULTS["weight_decay"])
    parser.add_argument("--l1", type=float, default=_DEFAULTS["l1"])
    parser.add_argument("--l2", type=float, default=_DEFAULTS["l2"])
    parser.add_argument("--patience", type=int, default=_DEFAULTS["patience"])
    parser.add_argument("--empty-columns", choices=["warn", "raise", "report"], default=_DEFAULTS["empty_columns"])
    parser.add_argument("--random-state", type=int, default=0)


def add_parser(subparsers) -> None:
    train = subparsers.add_parser("train", help="train a BINN on a data matrix and a saved graph")
    train.add_argument("--graph", required=True, help="saved graph directory (binn-graph kg build)")
    train.add_argument("--data", required=True, help="CSV/TSV/parquet matrix, samples × features (first column ids)")
    train.add_argument("--features-in-rows", action="store_true", help="the matrix is features × samples")
    train.add_argument("--target", required=True, help="table of targets keyed by sample id (first column)")
    train.add_argument("--target-column", help="target column (comma-separated for several regression targets)")
    train.add_argument("--task", choices=["classification", "regression"], default="classification")
    train.add_argument("--cv", type=int, default=0, help="also report K-fold cross-validated metrics")
    train.add_argument("-o", "--output", required=True, help="run directory")
    _model_arguments(train)
    train.set_defaults(func=train_run)
    predict = subparsers.add_parser("predict", help="predict with a trained run")
    predict.add_argument("run", help="run directory written by binn-graph train")
    predict.add_argument("--data", required=True)
    predict.add_argument("--features-in-rows", action="store_true")
    predict.add_argument("-o", "--output", required=True, help="predictions TSV")
    predict.set_defaults(func=predict_run)

