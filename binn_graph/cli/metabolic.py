"""binn-graph metabolic fluxes|fit: condition-specific fluxes and mass-balanced growth networks (cobrapy models).

--model is an SBML file (level 2 or 3, FBC) or cobra:NAME for a model shipped with cobrapy (cobra:textbook,
cobra:iJO1366). Matrices are samples × ids with the sample ids in the first column.

fluxes: one flux distribution per sample from --expression (samples × gene ids; E-Flux bound scaling or GIMME) and/or
--medium (samples × exchange reaction ids, uptake levels); writes DIR/fluxes.tsv (samples × reactions),
DIR/status.tsv (solver status and FBA optimum per sample) and DIR/report.json (GPR genes absent from the expression,
samples that were not optimal).

fit: FluxNetworkRegressor on --data (samples × exchange ids, plus the --target column); with --cv K, K-fold
cross-validated Q²; writes DIR/predictions.tsv, DIR/fluxes.tsv (mass-balanced, S v = 0) and DIR/summary.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from kg.errors import UsageError

from ..io import read_matrix

__all__ = ["add_parser", "load_model"]

logger = logging.getLogger(__name__)


def load_model(spec: str):
    """A :class:`cobra.Model` from ``cobra:NAME`` (cobrapy's shipped models) or an SBML path."""
    from ..metabolic import as_cobra_model

    logging.getLogger("cobra").setLevel(logging.ERROR)
    if spec.startswith("cobra:"):
        from cobra.io import load_model as cobra_load

        name = spec.removeprefix("cobra:")
        try:
            return as_cobra_model(cobra_load(name), require_objective=False)
        except Exception as exc:  # cobrapy raises its own errors for unknown names
            raise UsageError(f"--model {spec!r}: cobrapy has no shipped model {name!r} ({exc}); try cobra:textbook "
                             "or an SBML file") from None
    if not Path(spec).exists():
        raise UsageError(f"--model {spec!r}: no such file; give an SBML file or cobra:NAME")
    return as_cobra_model(spec, require_objective=False)


def _read_ids_matrix(path: str, what: str) -> pd.DataFrame:
    """``read_matrix``, refusing duplicated column ids (pandas would rename the second ``id`` to ``id.1``)."""
    import gzip

    from ..metabolic import ExpressionError

    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
            header = handle.readline().rstrip("\r\n")
    except OSError:
        header = ""
    names = [c.strip().strip('"') for c in header.split("\t" if "\t" in header else ",")][1:]
    seen, dup = set(), []
    for name in names:
        if name in seen:
            dup.append(name)
        seen.add(name)
    if dup:
        raise ExpressionError(f"{path}: {what} has duplicated column id(s) {dup[:5]}; aggregate or rename them "
                              "(columns are matched by id)")
    return read_matrix(path)


def _log_warnings(caught) -> None:
    for w in caught:
        logger.warning(str(w.message))


def _cmd_fluxes(args: argparse.Namespace) -> int:
    from ..metabolic import condition_fluxes

    if args.expression is None and args.medium is None:
        raise UsageError("give --expression MATRIX and/or --medium MATRIX")
    method = args.method or ("fba" if args.expression is None else "eflux")
    model = load_model(args.model)
    expression = _read_ids_matrix(args.expression, "the expression") if args.expression \
        else None
    medium = _read_ids_matrix(args.medium, "the medium") if args.medium else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fluxes = condition_fluxes(model, expression, method=method, pfba=not args.no_pfba, medium=medium,
                                      gamma=args.gamma, close_uptakes=args.close_uptakes,
                                      time_limit=args.time_limit)
        finally:
            _log_warnings(caught)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    fluxes.to_csv(out / "fluxes.tsv", sep="\t")
    pd.DataFrame({"status": fluxes.attrs["status"], "objective": fluxes.attrs["objective"]}).to_csv(
        out / "status.tsv", sep="\t")
    if "imat" in fluxes.attrs:
        fluxes.attrs["imat"].to_csv(out / "imat.tsv", sep="\t")
    report = {k: v for k, v in fluxes.attrs["report"].items()}
    (out / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    n_ok = int((fluxes.attrs["status"] == "optimal").sum())
    logger.info(f"{n_ok} of {len(fluxes)} sample(s) optimal; wrote {out}/fluxes.tsv ({fluxes.shape[0]} × "
                f"{fluxes.shape[1]})")
    return 0


def _cmd_fit(args: argparse.Namespace) -> int:
    from sklearn.metrics import r2_score
    from sklearn.model_selection import KFold

    from ..metabolic.estimator import FluxNetworkRegressor

    data = read_matrix(args.data)
    if args.target not in data.columns:
        raise UsageError(f"--target {args.target!r} is not a column of {args.data} (columns: "
                         f"{list(data.columns)[:8]}...)")
    inputs = args.inputs or [c for c in data.columns if c != args.target]
    model = load_model(args.model)
    X, y = data[inputs], data[args.target].to_numpy(dtype=float)

    def make():
        return FluxNetworkRegressor(model, inputs=inputs, output=args.output_flux, hidden=tuple(args.hidden),
                                    uptake_scale=args.uptake_scale, close_uptakes=args.close_uptakes,
                                    max_epochs=args.epochs, lr=args.lr, random_state=args.seed)

    summary = {"model": args.model, "inputs": inputs, "output": args.output_flux, "samples": len(y)}
    predictions = pd.DataFrame({"y": y}, index=X.index)
    if args.cv:
        if not 2 <= args.cv <= len(y):
            raise UsageError(f"--cv {args.cv}: needs 2 ≤ K ≤ the number of samples ({len(y)})")
        oof = np.zeros(len(y))
        for train, test in KFold(args.cv, shuffle=True, random_state=args.seed).split(X):
            oof[test] = make().fit(X.iloc[train], y[train]).predict(X.iloc[test])
        predictions["cv_prediction"] = oof
        summary["cv_folds"] = args.cv
        summary["cv_q2"] = float(r2_score(y, oof))
        logger.info(f"{args.cv}-fold cross-validated Q² = {summary['cv_q2']:.3f}")
    est = make().fit(X, y)
    predictions["fit_prediction"] = est.predict(X)
    fluxes = est.fluxes(X)
    summary["train_r2"] = float(r2_score(y, predictions["fit_prediction"]))
    summary["max_mass_balance_residual"] = est.model_.balance.residual(fluxes.to_numpy())
    summary["mean_bound_penalty"] = float(est.bound_violation(X).mean())
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    predictions.to_csv(out / "predictions.tsv", sep="\t")
    fluxes.to_csv(out / "fluxes.tsv", sep="\t")
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    logger.info(f"wrote {out}/predictions.tsv, fluxes.tsv ({fluxes.shape[0]} × {fluxes.shape[1]}), summary.json")
    return 0


def add_parser(subparsers) -> None:
    """Register ``binn-graph metabolic fluxes|fit``."""
    met = subparsers.add_parser("metabolic", help="condition-specific fluxes and mass-balanced networks (cobrapy)",
                                description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = met.add_subparsers(dest="metabolic_command", required=True, metavar="COMMAND")
    fl = sub.add_parser("fluxes", help="one flux distribution per sample (E-Flux, GIMME, iMAT or FBA under a medium)")
    fl.add_argument("--model", required=True, metavar="SBML|cobra:NAME", help="the metabolic model")
    fl.add_argument("--expression", metavar="MATRIX", help="samples × gene ids (non-negative levels)")
    fl.add_argument("--medium", metavar="MATRIX", help="samples × exchange reaction ids (uptake levels)")
    fl.add_argument("--method", choices=("eflux", "gimme", "imat", "fba"),
                    help="eflux (default with --expression), gimme, imat, or fba (default without)")
    fl.add_argument("--time-limit", type=float, metavar="SECONDS",
                    help="imat: seconds per sample's MILP; the best solution found is kept and reported")
    fl.add_argument("--gamma", type=float, default=1.0, help="E-Flux exponent γ (default 1)")
    fl.add_argument("--no-pfba", action="store_true", help="plain FBA instead of parsimonious FBA")
    fl.add_argument("--close-uptakes", action="store_true",
                    help="close the uptake of every exchange not in --medium (cobrapy's model.medium semantics)")
    fl.add_argument("-o", "--output", required=True, metavar="DIR", help="output directory")
    fl.set_defaults(func=_cmd_fluxes)
    fit = sub.add_parser("fit", help="FluxNetworkRegressor: a flux (e.g. growth) from uptake levels")
    fit.add_argument("--model", required=True, metavar="SBML|cobra:NAME", help="the metabolic model")
    fit.add_argument("--data", required=True, metavar="MATRIX",
                     help="samples × exchange reaction ids (uptake levels) plus the --target column")
    fit.add_argument("--target", required=True, help="column of --data holding y (e.g. measured growth)")
    fit.add_argument("--output-flux", required=True, metavar="REACTION", help="reaction whose flux predicts y")
    fit.add_argument("--inputs", nargs="+", metavar="EXCHANGE", help="input columns (default: all but --target)")
    fit.add_argument("--hidden", type=int, nargs="+", default=[64], help="hidden widths (default 64)")
    fit.add_argument("--uptake-scale", type=float, default=1.0, help="uptake bound per unit of input (default 1)")
    fit.add_argument("--close-uptakes", action="store_true", help="close uptakes not among the inputs")
    fit.add_argument("--epochs", type=int, default=500, help="training epochs (default 500)")
    fit.add_argument("--lr", type=float, default=1e-2, help="Adam learning rate (default 0.01)")
    fit.add_argument("--cv", type=int, metavar="K", help="also report K-fold cross-validated Q²")
    fit.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    fit.add_argument("-o", "--output", required=True, metavar="DIR", help="output directory")
    fit.set_defaults(func=_cmd_fit)
