"""binn-graph train and binn-graph predict: fit a BINN on a matrix plus a saved graph; predict from a run.

A run directory holds model.pt (weights, architecture, preprocessing; loaded with weights_only), config.json (the
inputs by absolute path and SHA-256 content hash, and the settings), metrics.json, build_report.tsv and report.html
(the run, the data, the graph and what it dropped, cross-validated metrics beside the baseline and the rewired
control). It can be used from any working directory.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import KFold, StratifiedKFold

from kg import KnowledgeGraph

from .._progress import progress
from ..attribution.null import rewire_inputs
from ..baselines import linear_model
from ..errors import BINNError, CheckpointError, DataValidationError
from ..estimators import BINNClassifier, BINNRegressor
from ..io import (
    ORIENTATION,
    check_orientation,
    input_record,
    read_matrix,
    read_run_config,
    read_target,
    write_run_config,
)
from ..metrics import regression_scores
from ..report import train_report
from ..training import is_main_process

__all__ = ["add_parser", "train_run", "predict_run", "cross_validate", "load_run_model"]

logger = logging.getLogger(__name__)

_PARAMS = ("input_type", "mode", "n_levels", "node_width", "activation", "dropout", "heads", "impute", "max_epochs",
           "batch_size", "lr", "weight_decay", "l1", "l2", "patience", "empty_columns", "random_state", "target_type",
           "relations", "reverse")
_DEFAULTS = BINNClassifier().get_params()  # the command line's defaults are the estimators' own
_EMPTY_WARNING = "no value in these rows"


def _metrics(task: str, y, pred, proba) -> dict:
    if task == "classification":
        out = {"accuracy": float(np.mean(np.asarray(pred) == np.asarray(y)))}
        if proba is not None and proba.shape[1] == 2:
            out["roc_auc"] = float(roc_auc_score(y, proba[:, 1]))
        return out
    return regression_scores(y, pred)


def _cli_option(message: str) -> str:
    """The estimator's parameter names as the command line spells them."""
    return message.replace("empty_columns='raise'", "--empty-columns raise").replace(
        "empty_columns='warn'", "--empty-columns warn")


def fit_reporting(model, X: pd.DataFrame, y, name: str = "") -> None:
    """``model.fit(X, y)`` whose errors and empty-column warnings name ``name`` (a CV fold) and the options."""
    prefix = f"{name}: " if name else ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.fit(X, y)
        except BINNError as exc:
            if not name:
                raise
            raise DataValidationError(f"{prefix}({len(X)} training samples) {_cli_option(str(exc))}") from exc
    for w in caught:
        message = str(w.message)
        if _EMPTY_WARNING in message:
            message = f"{prefix}{_cli_option(message)}; --empty-columns report imputes them silently"
        warnings.warn_explicit(message, w.category, w.filename, w.lineno)


def cross_validate(estimator, X: pd.DataFrame, y, *, folds: int, task: str, random_state: int | None,
                   desc: str = "cross-validation") -> dict:
    """K-fold cross-validated metrics; each fold is fitted under the estimator's ``empty_columns`` policy and the
    input columns a fold's training rows leave without a value are reported per fold (warning and metrics).

    The folds depend on ``y`` and ``random_state`` only, so a baseline or a rewired-graph control given the same
    arguments is scored on the same folds.
    """
    splitter = (StratifiedKFold if task == "classification" else KFold)(folds, shuffle=True,
                                                                       random_state=random_state)
    classification = task == "classification"
    y_values = np.asarray(y)
    out = None
    empty: dict[str, list[str]] = {}
    folds_iter = progress(enumerate(splitter.split(X, y_values), start=1), desc=desc, total=folds, unit="fold")
    for k, (train_idx, test_idx) in folds_iter:
        name = f"CV fold {k}/{folds}"
        model = clone(estimator)
        fit_reporting(model, X.iloc[train_idx], y.iloc[train_idx], name)
        unobserved = [str(c) for c in getattr(getattr(model, "preprocessor_", None), "unobserved_", [])]
        if unobserved:
            empty[f"fold {k}"] = unobserved
        part = model.predict_proba(X.iloc[test_idx]) if classification else model.predict(X.iloc[test_idx])
        if out is None:
            out = np.zeros((len(X),) + part.shape[1:], dtype=np.float64)
        out[test_idx] = part
    if classification:
        classes = np.unique(y_values)
        metrics = _metrics(task, y_values, classes[np.argmax(out, axis=1)], out)
    else:
        metrics = _metrics(task, y_values, out, None)
    metrics["folds"] = folds
    metrics["empty_columns"] = empty  # per fold: input columns with no value in its training rows (imputed)
    return metrics


def _check_args(args: argparse.Namespace) -> None:
    if args.cv and args.cv < 2:
        raise DataValidationError(f"--cv {args.cv}: cross-validation needs at least 2 folds (0 skips it)")
    if getattr(args, "rewired_control", False) and not args.cv:
        raise DataValidationError("--rewired-control compares cross-validated predictions with a rewired graph's: "
                                  "add --cv K (K ≥ 2)")


def _check_target(y, args: argparse.Namespace) -> None:
    """A classification target with two classes or more; a regression target of numbers (named by file and column)."""
    frame = y.to_frame() if isinstance(y, pd.Series) else y
    for column in frame.columns:
        values = frame[column]
        if args.task == "classification":
            classes = sorted(map(str, values.unique()))
            if len(classes) < 2:
                raise DataValidationError(f"{args.target}, column {column!r}: one class only ({', '.join(classes)}) "
                                          f"in the {len(values)} samples shared with the data; classification "
                                          "needs at least two")
        elif not pd.api.types.is_numeric_dtype(values):
            bad = values[pd.to_numeric(values, errors="coerce").isna()]
            raise DataValidationError(f"{args.target}, column {column!r}: {bad.iloc[0]!r} (sample {bad.index[0]!r}) "
                                      "is not a number; --task regression needs numeric targets")


def _controls(estimator, X: pd.DataFrame, y, args: argparse.Namespace) -> dict:
    """Cross-validated baseline (logistic or ridge regression) and, with --rewired-control, the same BINN on a
    graph whose input relations are rewired degree-preservingly (seed --random-state + 1), on the BINN's folds."""
    out = {}
    folds = {"folds": args.cv, "task": args.task, "random_state": args.random_state}
    name = "logistic regression" if args.task == "classification" else "ridge regression"
    with warnings.catch_warnings():  # scikit-learn's notices of its own coming API changes: nothing to act on here
        warnings.filterwarnings("ignore", category=FutureWarning)
        baseline = cross_validate(linear_model(args.task, random_state=args.random_state), X, y,
                                  desc=f"cross-validation ({name})", **folds)
    out["cv_baseline"] = {"model": name, **{k: v for k, v in baseline.items() if k != "empty_columns"}}
    if args.rewired_control:
        seed = (args.random_state or 0) + 1
        graph = rewire_inputs(estimator.graph, estimator.architecture_, seed)
        with warnings.catch_warnings():  # the BINN's own folds already warned about these columns
            warnings.filterwarnings("ignore", message=f".*{_EMPTY_WARNING}")
            rewired = cross_validate(clone(estimator).set_params(graph=graph), X, y,
                                     desc="cross-validation (rewired graph)", **folds)
        out["cv_rewired"] = {"model": f"BINN on a rewired graph (seed {seed})",
                             **{k: v for k, v in rewired.items() if k != "empty_columns"}}
    return out


def train_run(args: argparse.Namespace) -> Path:
    """``binn-graph train``: fit, optionally cross-validate with controls, and write the run directory."""
    _check_args(args)
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise DataValidationError(f"{out}: exists and is not a directory; give a new run directory with -o")
    graph = KnowledgeGraph.load(args.graph)
    X = read_matrix(args.data, features_in_rows=args.features_in_rows)
    if not graph.num_nodes(args.input_type):
        raise DataValidationError(f"--input-type {args.input_type}: the graph {args.graph} has no "
                                  f"{args.input_type!r} nodes; its node types are {', '.join(graph.node_types)}")
    check_orientation(X, graph.node_ids(args.input_type), path=args.data,
                      what=f"{args.input_type} nodes of the graph {args.graph}", features_in_rows=args.features_in_rows)
    y = read_target(args.target, args.target_column)
    common = X.index.intersection(y.index)
    only_x, only_y = X.index.difference(y.index), y.index.difference(X.index)
    if not len(common):
        raise DataValidationError(f"no sample id is shared by the data {args.data} (e.g. {list(X.index[:3])}) and "
                                  f"the target {args.target} (e.g. {list(y.index[:3])}); both are keyed by the "
                                  "sample ids in their first column")
    if len(only_x) or len(only_y):
        logger.warning(f"joined by sample id: {len(common)} samples; {len(only_x)} only in the data "
                       f"(e.g. {list(only_x[:3])}), {len(only_y)} only in the target (e.g. {list(only_y[:3])})")
    X, y = X.loc[common], y.loc[common]
    no_target = np.asarray(y.isna()).reshape(len(y), -1).any(axis=1)
    if no_target.any():
        raise DataValidationError(f"{args.target}: {int(no_target.sum())} samples have no target value (e.g. "
                                  f"{list(y.index[no_target][:3])}); remove them or fill them in")
    _check_target(y, args)
    params = {k: getattr(args, k) for k in _PARAMS}
    cls = BINNClassifier if args.task == "classification" else BINNRegressor
    estimator = cls(graph, **params)
    metrics: dict = {"n_samples": int(len(X)), "n_columns": int(X.shape[1])}
    start = time.perf_counter()
    if args.cv:
        metrics["cv"] = cross_validate(estimator, X, y, folds=args.cv, task=args.task, random_state=args.random_state)
    fit_reporting(estimator, X, y)
    metrics["fit_seconds"] = round(time.perf_counter() - start, 2)
    if args.cv:
        metrics.update(_controls(estimator, X, y, args))
    metrics["layer_sizes"] = [int(v) for v in estimator.architecture_.layer_sizes]
    metrics["connection_counts"] = [int(v) for v in estimator.architecture_.connection_counts]
    metrics["epochs_run"] = len(estimator.history_.train_loss)
    if not is_main_process():  # under torchrun every rank trained; rank 0 alone writes the run directory
        return out
    out.mkdir(parents=True, exist_ok=True)
    estimator.save(out / "model.pt")
    config = {"command": " ".join(sys.argv), "task": args.task, "graph": str(Path(args.graph).resolve()),
              "data": str(Path(args.data).resolve()), "target": str(Path(args.target).resolve()),
              "target_column": args.target_column, "features_in_rows": args.features_in_rows, "params": params,
              "inputs": {"graph": input_record(args.graph), "data": input_record(args.data),
                         "target": input_record(args.target)}}
    write_run_config(out, config)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    report = pd.concat([graph.report.to_frame().assign(stage="graph"),
                        estimator.report_.to_frame().assign(stage="model")], ignore_index=True)
    report.to_csv(out / "build_report.tsv", sep="\t", index=False)
    page = train_report(out / "report.html", args=args, estimator=estimator, X=X, y=y, metrics=metrics,
                        graph_report=graph.report.to_frame())
    print(json.dumps(metrics, indent=2))
    print(f"run written to {out} (report: {page})")
    return out


def load_run_model(run: str | Path, config: dict | None = None):
    """The fitted estimator of a run directory (``model.pt``)."""
    run = Path(run)
    config = read_run_config(run) if config is None else config
    path = run / "model.pt"
    if not path.is_file():
        raise CheckpointError(f"{run}: no model.pt; is it a run directory written by `binn-graph train`?")
    cls = BINNRegressor if config.get("task") == "regression" else BINNClassifier
    return cls.load(path)


def model_input_ids(model) -> list[str]:
    """The input columns a fitted estimator matches by name."""
    names = getattr(model, "feature_names_in_", None)
    return [str(c) for c in (names if names is not None else model.architecture_.input_ids)]


def predict_run(args: argparse.Namespace) -> Path:
    """``binn-graph predict``: predictions of a run's model for a new matrix, as TSV."""
    run = Path(args.run)
    model = load_run_model(run)
    X = read_matrix(args.data, features_in_rows=args.features_in_rows)
    check_orientation(X, model_input_ids(model), path=args.data, what=f"input columns of the run {run}",
                      features_in_rows=args.features_in_rows)
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


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text}")
    return value


def _nonnegative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be a number ≥ 0, not {text}")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must lie in [0, 1), not {text}")
    return value


def _word_list(text: str) -> list[str]:
    words = [w.strip() for w in text.split(",") if w.strip()]
    if not words:
        raise argparse.ArgumentTypeError(f"give one or more comma-separated relation names, not {text!r}")
    return words


_word_list.__name__ = "relation list"
_positive_int.__name__ = "positive integer"
_nonnegative_float.__name__ = "number"
_fraction.__name__ = "fraction"


def _model_arguments(parser: argparse.ArgumentParser) -> None:
    d = _DEFAULTS
    parser.add_argument("--input-type", default=d["input_type"],
                        help=f"node type of the data columns in the graph (default {d['input_type']})")
    parser.add_argument("--target-type", default=d["target_type"],
                        help=f"node type whose top nodes feed the output (default {d['target_type']}; e.g. protein "
                             "for a peptide graph without pathways)")
    parser.add_argument("--relations", type=_word_list, default=d["relations"], metavar="REL[,REL...]",
                        help="relations compiled into layers, comma-separated (default: member_of, part_of, "
                             "affects, encodes, catalyzes, participates_in)")
    parser.add_argument("--reverse", type=_word_list, default=list(d["reverse"]), metavar="REL[,REL...]",
                        help="relations followed against their stored direction, comma-separated (--mode dag), e.g. "
                             "--reverse cleaved_to for peptides → fragments → proteins (see "
                             "binn_graph.degradation.peptidome_graph)")
    parser.add_argument("--mode", choices=["dag", "layered"], default=d["mode"],
                        help="dag: the whole hierarchy, levels by longest path (default); layered: --n-levels "
                             "levels below the root with copy nodes (binn/P-NET compatible)")
    parser.add_argument("--n-levels", type=_positive_int, help="levels below the root, for --mode layered")
    parser.add_argument("--node-width", type=_positive_int, default=d["node_width"],
                        help=f"units per latent node (default {d['node_width']})")
    parser.add_argument("--activation", choices=["tanh", "relu", "sigmoid", "elu", "leaky_relu", "identity"],
                        default=d["activation"], help=f"activation of every latent level (default {d['activation']})")
    parser.add_argument("--dropout", type=_fraction, default=d["dropout"],
                        help=f"dropout after normalisation, in [0, 1) (default {d['dropout']})")
    parser.add_argument("--heads", choices=["root", "all_levels"], default=d["heads"],
                        help="root: read the output from the root (default); all_levels: add a readout per level "
                             "(binn's heads ensemble)")
    parser.add_argument("--impute", choices=["mean", "zero", "mask"], default=d["impute"],
                        help="missing inputs: training-row mean (default), zero, or value plus a missingness "
                             "indicator (mask)")
    parser.add_argument("--max-epochs", type=_positive_int, default=d["max_epochs"],
                        help=f"epoch cap; early stopping usually ends sooner (default {d['max_epochs']})")
    parser.add_argument("--batch-size", type=_positive_int, default=d["batch_size"],
                        help=f"samples per optimiser step (default {d['batch_size']})")
    parser.add_argument("--lr", type=_nonnegative_float, default=d["lr"],
                        help=f"Adam's learning rate, halved on a validation plateau (default {d['lr']})")
    parser.add_argument("--weight-decay", type=_nonnegative_float, default=d["weight_decay"],
                        help=f"Adam's L2 on every parameter (default {d['weight_decay']})")
    parser.add_argument("--l1", type=_nonnegative_float, default=d["l1"],
                        help=f"L1 penalty on the edge weights (default {d['l1']})")
    parser.add_argument("--l2", type=_nonnegative_float, default=d["l2"],
                        help=f"L2 penalty on the edge weights (default {d['l2']})")
    parser.add_argument("--patience", type=_positive_int, default=d["patience"],
                        help=f"stop after this many epochs without validation improvement (default {d['patience']})")
    parser.add_argument("--empty-columns", choices=["warn", "raise", "report"], default=d["empty_columns"],
                        help="input columns with no value in the training rows (a rare protein missing from a CV "
                             "fold): impute and warn naming them and the fold (warn, default), impute silently "
                             "(report), or refuse (raise)")
    parser.add_argument("--random-state", type=int, default=0,
                        help="seed of the validation split, initialisation, batch order and CV folds (default 0)")


def add_parser(subparsers) -> None:
    """Add ``train`` and ``predict`` to the command line's subparsers."""
    train = subparsers.add_parser("train", help="train a BINN on a data matrix and a saved graph")
    train.add_argument("--graph", required=True, help="saved graph directory (binn-graph kg build)")
    train.add_argument("--data", required=True,
                       help=f"CSV/TSV/parquet data matrix, {ORIENTATION} (ids matched to the graph's nodes)")
    train.add_argument("--features-in-rows", action="store_true",
                       help="the --data matrix is features × samples (one row per feature, first column the "
                            "feature ids), like the bundled AKI file")
    train.add_argument("--target", required=True,
                       help="CSV/TSV/parquet table of targets, one row per sample, sample ids in the first column")
    train.add_argument("--target-column",
                       help="target column (comma-separated for several regression targets); needed when the "
                            "target table has more than one column")
    train.add_argument("--task", choices=["classification", "regression"], default="classification",
                       help="classification (default) or regression")
    train.add_argument("--cv", type=int, default=0, metavar="K",
                       help="also report K-fold cross-validated metrics (K ≥ 2; 0, the default, skips it), "
                            "beside logistic (or ridge) regression on the same folds")
    train.add_argument("--rewired-control", action="store_true",
                       help="with --cv: also cross-validate the same BINN on a graph whose input relations are "
                            "rewired degree-preservingly (K more fits); report.html then says whether the biology "
                            "beat the rewired graph")
    train.add_argument("-o", "--output", required=True, help="run directory to write")
    _model_arguments(train)
    train.set_defaults(func=train_run)
    predict = subparsers.add_parser("predict", help="predict with a trained run")
    predict.add_argument("run", help="run directory written by binn-graph train (usable from any directory)")
    predict.add_argument("--data", required=True,
                         help=f"CSV/TSV/parquet data matrix to predict, {ORIENTATION}")
    predict.add_argument("--features-in-rows", action="store_true",
                         help="the --data matrix is features × samples")
    predict.add_argument("-o", "--output", required=True, help="predictions TSV to write")
    predict.set_defaults(func=predict_run)
