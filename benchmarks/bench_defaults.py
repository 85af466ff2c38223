"""What a user gets without tuning: BINN defaults against tuned settings, ridge/logistic and scikit-learn's MLP.

Six problems, each with a held-out test set (or cross-validation) and the same splits for every model:

1. ``aki``: the bundled AKI plasma proteomics cohort (197 samples, Reactome), stratified 5-fold CV, ROC-AUC.
2. ``planted_reactome``: full human Reactome (all 11,876 UniProt proteins as inputs), 600 samples of N(0, 1);
   the label is the sign of the mean of one planted pathway's members plus noise; 400 train / 200 test, ROC-AUC.
3. ``shoot_300`` / 4. ``shoot_1000``: the shoot-branching simulator (SNP → gene → pathway → phenotype,
   ``binn_graph.simulate.shoot_branching``) with 300 / 1,000 training plants and 500 test plants, MSE.
5. ``planted_regression``: Reactome over the AKI proteins (554 inputs), y = Σ tanh of one planted pathway's members
   plus noise; 300 train / 300 test, MSE.
6. ``multiclass``: same inputs, three classes from the scores of two planted pathways; 400 train / 300 test,
   macro one-vs-rest ROC-AUC.

Models: the BINN with default settings (``BINNClassifier(graph)`` / ``BINNRegressor(graph, input_type=...)``, only
``random_state`` set), each ``--candidate`` given as ``name=python-dict`` of parameters on top of the defaults (the
grid the defaults were chosen from, and the previous defaults), the tuned setting where one is documented (the
genomic BINN of ``binn_graph.genomic.benchmark`` on the shoot-branching problems), ridge (``RidgeCV``) / logistic
regression (``LogisticRegressionCV``) and ``MLPRegressor`` / ``MLPClassifier`` with scikit-learn's defaults, all after
mean imputation and standardisation fit on the training rows.

Usage:
python benchmarks/bench_defaults.py [--problems aki,shoot_300,...] [--seeds 0,1,2]
    [--candidate "old=dict(lr=1e-3)"] [--write benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegressionCV, RidgeCV
from sklearn.metrics import mean_squared_error, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

PROBLEMS = ("aki", "planted_reactome", "shoot_300", "shoot_1000", "planted_regression", "multiclass")
# the settings of binn_graph.genomic.benchmark.genomic_binn (chosen on a separate simulated study)
GENOMIC_TUNED = dict(node_hidden={"gene": [16]}, node_width={"gene": 1, "pathway": 4}, norm=None, l2=1e-2, lr=3e-3,
                     weight_decay=0.0)


def _reactome():
    from kg.datasets import reactome_files
    from kg.sources import reactome

    return reactome.load(**reactome_files())


def _planted_pathway(graph, proteins, rng, size=(10, 30)):
    """A pathway whose members among ``proteins`` number within ``size`` (members annotated directly)."""
    member = graph.edges(("protein", "member_of", "pathway"))
    member = member[member["source"].isin(set(proteins))]
    counts = member.groupby("target").size()
    candidates = sorted(counts[(counts >= size[0]) & (counts <= size[1])].index)
    pathway = candidates[rng.integers(len(candidates))]
    return pathway, sorted(member.loc[member["target"] == pathway, "source"])


def make_problem(name: str, seed: int, cache: dict) -> dict:
    """``{"task", "splits": [(X_tr, y_tr, X_te, y_te)], "graph", "input_type"}``."""
    rng = np.random.default_rng(seed)
    if name == "aki":
        from binn_graph.datasets import load_aki

        aki = load_aki()
        folds = StratifiedKFold(5, shuffle=True, random_state=seed).split(aki.X, aki.y)
        splits = [(aki.X.iloc[a], aki.y.iloc[a], aki.X.iloc[b], aki.y.iloc[b]) for a, b in folds]
        return {"task": "binary", "splits": splits, "graph": cache["reactome"], "input_type": "protein",
                "binn": {"empty_columns": "report"}}
    if name.startswith("shoot_"):
        from binn_graph.simulate import shoot_branching

        n = int(name.split("_")[1])
        study = shoot_branching(n + 500, seed=seed)
        X, y = study.genotypes.astype(float), study.phenotype
        return {"task": "regression", "splits": [(X.iloc[:n], y.iloc[:n], X.iloc[n:], y.iloc[n:])],
                "graph": study.graph, "input_type": "snp", "tuned": GENOMIC_TUNED}
    graph = cache["reactome"]
    if name == "planted_reactome":
        proteins = sorted(graph.node_ids("protein"))
        n_train, n_test = 400, 200
    else:
        from binn_graph.datasets import load_aki

        proteins = sorted(set(load_aki().X.columns) & set(graph.node_ids("protein")))
        n_train, n_test = (300, 300) if name == "planted_regression" else (400, 300)
    n = n_train + n_test
    X = pd.DataFrame(rng.normal(size=(n, len(proteins))).astype(np.float32), columns=proteins,
                     index=[f"s{i}" for i in range(n)])
    pathway, members = _planted_pathway(graph, proteins, rng)
    score = np.tanh(X[members]).mean(axis=1).to_numpy()
    score = score / score.std()
    if name == "planted_reactome":
        y = pd.Series(np.where(score + 0.5 * rng.normal(size=n) > 0, "case", "control"), index=X.index)
        task = "binary"
    elif name == "planted_regression":
        y = pd.Series(score + 0.5 * rng.normal(size=n), index=X.index)
        task = "regression"
    else:
        other, members2 = _planted_pathway(graph, sorted(set(proteins) - set(members)), rng)
        score2 = np.tanh(X[members2]).mean(axis=1).to_numpy()
        score2 = score2 / score2.std()
        logits = np.column_stack([score, score2, np.zeros(n)]) * 1.5 + 0.5 * rng.normal(size=(n, 3))
        y = pd.Series(np.array(["A", "B", "C"])[logits.argmax(1)], index=X.index)
        task = "multiclass"
    return {"task": task, "splits": [(X.iloc[:n_train], y.iloc[:n_train], X.iloc[n_train:], y.iloc[n_train:])],
            "graph": graph, "input_type": "protein", "planted": pathway}


def score(task: str, model, X, y) -> float:
    if task == "regression":
        return float(mean_squared_error(y, model.predict(X)))
    proba = model.predict_proba(X)
    if task == "binary":
        return float(roc_auc_score(y, proba[:, 1], labels=model.classes_))
    return float(roc_auc_score(y, proba, multi_class="ovr", labels=model.classes_))


def fit_binn(problem: dict, params: dict, seed: int, X, y):
    from binn_graph import BINNClassifier, BINNRegressor

    kwargs = {**problem.get("binn", {}), **params}
    if problem["task"] == "regression":
        return BINNRegressor(problem["graph"], input_type=problem["input_type"], random_state=seed, **kwargs).fit(X, y)
    return BINNClassifier(problem["graph"], input_type=problem["input_type"], random_state=seed, **kwargs).fit(X, y)


def fit_baseline(task: str, kind: str, seed: int, X, y):
    if kind == "linear":
        head = (RidgeCV(alphas=np.logspace(-3, 5, 33)) if task == "regression"
                else LogisticRegressionCV(Cs=10, max_iter=2000))
    else:
        head = (MLPRegressor(random_state=seed) if task == "regression" else MLPClassifier(random_state=seed))
    return make_pipeline(SimpleImputer(), StandardScaler(), head).fit(X, y)


def run(problems, seeds, candidates) -> pd.DataFrame:
    cache = {"reactome": _reactome()}
    rows = []
    for name in problems:
        for seed in seeds:
            problem = make_problem(name, seed, cache)
            models = {"BINN defaults": ("binn", {})}
            models.update({f"BINN {label}": ("binn", params) for label, params in candidates.items()})
            if "tuned" in problem:
                models["BINN tuned (genomic)"] = ("binn", problem["tuned"])
            models["ridge / logistic"] = ("linear", None)
            models["MLP (sklearn)"] = ("mlp", None)
            for label, (kind, params) in models.items():
                values, epochs, capped, start = [], [], 0, time.perf_counter()
                for X_tr, y_tr, X_te, y_te in problem["splits"]:
                    with warnings.catch_warnings(record=True) as caught:
                        warnings.simplefilter("always")
                        if kind == "binn":
                            model = fit_binn(problem, params, seed, X_tr, y_tr)
                            epochs.append(len(model.history_.train_loss))
                        else:
                            model = fit_baseline(problem["task"], kind, seed, X_tr, y_tr)
                    capped += sum("still improving" in str(w.message) for w in caught)
                    values.append(score(problem["task"], model, X_te, y_te))
                rows.append({"problem": name, "seed": seed, "model": label, "metric": np.mean(values),
                             "epochs": np.mean(epochs) if epochs else np.nan, "capped": capped,
                             "seconds": time.perf_counter() - start})
                print(rows[-1], flush=True)
    return pd.DataFrame(rows)


def table(results: pd.DataFrame) -> str:
    metric = {"aki": "ROC-AUC (5-fold CV)", "planted_reactome": "ROC-AUC", "multiclass": "macro ROC-AUC",
              "shoot_300": "test MSE", "shoot_1000": "test MSE", "planted_regression": "test MSE"}
    from _results import markdown_table

    models = list(dict.fromkeys(results["model"]))
    lines = []
    for name, part in results.groupby("problem", sort=False):
        cells = []
        for m in models:
            r = part[part["model"] == m]
            if not len(r):
                cells.append("")
                continue
            cell = f"{r['metric'].mean():.3f} ± {r['metric'].std(ddof=0):.3f}"
            if r["epochs"].notna().any():
                cell += f" ({r['epochs'].mean():.0f} ep, {r['seconds'].mean():.0f} s)"
            if r["capped"].sum():
                cell += f" cap×{int(r['capped'].sum())}"
            cells.append(cell)
        lines.append([f"{name} ({metric[name]})", *cells])
    return markdown_table(lines, ["problem (metric)", *models])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--candidate", action="append", default=[], help="name=dict(...) of BINN parameters")
    parser.add_argument("--csv", type=Path)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)
    torch.set_num_threads(2)
    candidates = {}
    for text in args.candidate:
        label, _, expr = text.partition("=")
        candidates[label] = eval(expr, {"dict": dict})  # noqa: S307  (benchmark command line)
    results = run(args.problems.split(","), [int(s) for s in args.seeds.split(",")], candidates)
    if args.csv:
        results.to_csv(args.csv, index=False)
    command = "python benchmarks/bench_defaults.py " + " ".join(
        [f"--problems {args.problems}", f"--seeds {args.seeds}"] + [f'--candidate "{c}"' for c in args.candidate]
        + (["--write benchmarks/RESULTS.md"] if args.write else []))
    section = "\n".join([
        "## Defaults: what a user gets without tuning (issue: trustworthy defaults)", "",
        "Problems, models and splits: `benchmarks/bench_defaults.py` docstring. Mean ± sd over seeds (each seed "
        "draws new data and a new model seed); ROC-AUC higher is better, MSE lower is better (phenotypes have unit "
        "variance). `ep` = epochs trained (early stopping on a validation split of the training rows), `s` = "
        "seconds for all folds of a problem on 2 cores, `cap×n` = fits that hit `max_epochs` while still improving "
        "(they warn). AKI is "
        "run with `empty_columns='report'` (one protein is measured in one sample only, so some training folds have "
        "no value for it).", "", f"Command: `{command}`", "", table(results), ""])
    print(section)
    if args.write:
        from _results import write_section

        write_section(args.write, "## Defaults: what a user gets", section)


if __name__ == "__main__":
    main()
