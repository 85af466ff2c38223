"""The synthetic shoot-branching benchmark: the learning curve over n behind Kontolati et al.'s (2025) claims.

One simulated study (:func:`binn_graph.simulate.shoot_branching`) provides training sets of growing size ``n``
(nested: the first ``n`` plants) and one independent test set of ``n_test`` plants. At every ``n`` each model runs
the paper's protocol (:func:`~binn_graph.genomic.nested_cv`: ``outer`` folds, each predicted by an ensemble of
``inner`` early-stopped members) and the test set is predicted by all ``outer × inner`` members together:

* ``BINN``: SNP → gene subnetwork → pathway → phenotype on the true graph (:func:`genomic_binn`);
* ``BINN (rewired graph)``: the same on a degree-preserving rewiring of both relations (the random-graph control);
* ``dense MLP``: a fully connected network with as many parameters as the BINN (scikit-learn, early stopping,
  L2 ``DENSE_ALPHA``);
* ``ridge (rrBLUP)``, ``ElasticNet`` (penalties by inner CV) and ``GBLUP`` (VanRaden GRM, REML), one model per outer
  fold.

At ``coverage_n`` the BINN is also trained with the soft constraint on the measured intermediates of a random
``coverage`` fraction of the plants. Sensitivity is Algorithm 1 (``explain(..., method="clamp")``) averaged over the
ensemble, then ranked; latent correlations are ``|r|`` between a pathway node's activation and the true (noiseless)
intermediate on the test set, averaged over members.

The study around these runs (the paper's claims and their thresholds, the markdown report, the figures) is
:mod:`binn_graph.cli.benchmark`, which ``binn-graph benchmark genomic`` runs.
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..baselines import GBLUP, dense_mlp, elastic_net, linear_model
from ..errors import DataValidationError
from ..estimators import BINNRegressor
from ..simulate import PATHWAYS, shoot_branching
from .protocol import nested_cv, regression_scores

__all__ = ["genomic_binn", "run_genomic_benchmark", "GenomicBenchmark", "DEFAULT_SIZES"]

DEFAULT_SIZES = (100, 200, 400, 800, 1600, 3200)
#: L2 of the dense MLP, chosen like the BINN's penalty on a separate study (seed 1): best at n ≤ 400 and within
#: 0.02 test MSE of the best at n = 1600 among 1e-4 … 100 (scikit-learn's default 1e-4 gives test MSE > 1.5).
DENSE_ALPHA = 100.0


def genomic_binn(graph, *, random_state: int = 0, max_epochs: int = 200, **overrides) -> BINNRegressor:
    """The benchmark's BINN: each gene is "its SNPs → 16 sigmoid units → 1", each pathway 4 tanh units.

    Adam at 3e-3 without weight decay, batch 32, early-stopping patience 20, L2 1e-2 on edge weights, no batch norm.
    These settings were
    chosen on a separate simulated study (``seed=1``), not on the benchmark's data; without the L2 penalty the BINN
    overfits at n < 1000 (test R² ≈ 0.1 against 0.4 with it at n = 700).
    """
    options = dict(input_type="snp", node_hidden={"gene": [16]}, node_width={"gene": 1, "pathway": 4}, norm=None,
                   l2=1e-2, lr=3e-3, weight_decay=0.0, batch_size=32, patience=20, max_epochs=max_epochs,
                   random_state=random_state)
    return BINNRegressor(graph, **{**options, **overrides})


def rewired(graph, seed: int):
    """Both relations of the study graph rewired, every node's in- and out-degree kept."""
    return graph.rewire(("snp", "affects", "gene"), seed=seed).rewire(("gene", "member_of", "pathway"), seed=seed)


@dataclass
class GenomicBenchmark:
    """Tables of one benchmark run (see :func:`run_genomic_benchmark`).

    ``claims`` is empty after a run; :func:`binn_graph.cli.benchmark.check_claims` fills it (the study's verdicts).
    """

    learning_curve: pd.DataFrame  # n, model, test_* and cv_* scores, seconds
    coverage: pd.DataFrame  # coverage, test scores, mean latent |r|
    sensitivity: pd.DataFrame  # pathway, truth, BINN clamp score (ensemble mean), ranks
    latent_correlation: pd.DataFrame  # pathway × model: mean |r| with the true intermediate
    claims: pd.DataFrame = field(default_factory=pd.DataFrame)  # claim, paper, measured, holds
    settings: dict = field(default_factory=dict)

    def write(self, out_dir: str | Path) -> Path:
        """Write the tables (one CSV each; ``claims.csv`` when claims were checked) and ``settings.json`` into
        ``out_dir``; the report and figures are :func:`binn_graph.cli.benchmark.write_report`."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        for name in _TABLES:
            table = getattr(self, name)
            if name != "claims" or len(table.columns):
                table.to_csv(out / f"{name}.csv", index=False)
        (out / "settings.json").write_text(json.dumps(self.settings, indent=2))
        return out

    @classmethod
    def read(cls, out_dir: str | Path) -> "GenomicBenchmark":
        """Load the tables written by :meth:`write` (``claims.csv`` and ``settings.json`` when present)."""
        out = Path(out_dir)
        tables = {name: pd.read_csv(out / f"{name}.csv") for name in _TABLES
                  if name != "claims" or (out / f"{name}.csv").is_file()}
        settings = json.loads((out / "settings.json").read_text()) if (out / "settings.json").is_file() else {}
        return cls(**tables, settings=settings)

    def markdown(self, level: int = 1) -> str:
        """Deprecated: use :func:`binn_graph.cli.benchmark.report_markdown` (this method goes in the next
        release)."""
        from ..cli.benchmark import report_markdown

        warnings.warn("GenomicBenchmark.markdown is deprecated; use binn_graph.cli.benchmark.report_markdown",
                      DeprecationWarning, stacklevel=2)
        return report_markdown(self, level)


_TABLES = ("learning_curve", "coverage", "sensitivity", "latent_correlation", "claims")


def __getattr__(name: str):
    """``check_claims`` moved to :mod:`binn_graph.cli.benchmark`; the old import warns for one release."""
    if name == "check_claims":
        from ..cli import benchmark

        warnings.warn("binn_graph.genomic.benchmark.check_claims is deprecated; import it from "
                      "binn_graph.cli.benchmark", DeprecationWarning, stacklevel=2)
        return benchmark.check_claims
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _latent_r(members, X, truth: pd.DataFrame) -> pd.Series:
    """Mean over ensemble members of |r| between each pathway node's activation and its true level."""
    values = []
    for m in members:
        latent = m.latent_activations(X, list(PATHWAYS))
        values.append([abs(np.corrcoef(latent[p], truth[p])[0, 1]) for p in PATHWAYS])
    return pd.Series(np.nanmean(values, axis=0), index=list(PATHWAYS))


def _clamp(members, X) -> pd.Series:
    """Algorithm 1 of Kontolati et al.: clamp score per pathway, averaged over the ensemble."""
    from ..attribution import explain

    scores = []
    for m in members:
        table = explain(m, X, method="clamp", normalize=None, include_inputs=False)
        table = table[table["node_type"] == "pathway"].set_index("node_id")["importance"]
        scores.append(table.reindex(list(PATHWAYS)))
    return pd.concat(scores, axis=1).mean(axis=1)


def run_genomic_benchmark(sizes=DEFAULT_SIZES, *, n_test: int = 1000, outer: int = 3, inner: int = 3,
                          coverages=(1.0, 0.5, 0.1), coverage_n: int | None = None, soft_constraint: float = 1.0,
                          max_epochs: int = 200, seed: int = 0, models: list[str] | None = None,
                          progress: bool = True) -> GenomicBenchmark:
    """Run the learning curve, the coverage study, sensitivity and latent correlations.

    Parameters
    ----------
    sizes:
        Training-set sizes ``n`` (plants).
    n_test:
        Independent test plants.
    outer, inner:
        Folds of the nested CV; neural networks ensemble their ``inner`` members, linear models and GBLUP fit once
        per outer fold.
    coverages, coverage_n, soft_constraint:
        Fractions of plants with measured intermediates, the ``n`` at which the coverage study runs (default: the
        middle size) and λ.
    models:
        Subset of ``["BINN", "BINN (rewired graph)", "dense MLP", "ridge (rrBLUP)", "ElasticNet", "GBLUP"]``.
    """
    start = time.perf_counter()
    sizes = sorted(int(n) for n in sizes)
    coverage_n = int(coverage_n or sizes[len(sizes) // 2])
    per_member = coverage_n * min(coverages, default=1.0) * (1 - 1 / outer) * (1 - 1 / max(inner, 2))
    if coverages and per_member < 10:
        raise DataValidationError(f"coverage {min(coverages):.0%} of coverage_n={coverage_n} plants leaves about "
                                  f"{per_member:.0f} measured plants per ensemble member; raise coverage_n")
    study = shoot_branching(max(sizes + [coverage_n]) + n_test, seed=seed)
    X_all, y_all = study.genotypes, study.phenotype
    X_test, y_test = X_all.iloc[-n_test:], y_all.iloc[-n_test:]
    truth_test = study.true_intermediates.iloc[-n_test:]
    names = models or ["BINN", "BINN (rewired graph)", "dense MLP", "ridge (rrBLUP)", "ElasticNet", "GBLUP"]
    control_graph = rewired(study.graph, seed)

    rows, kept = [], {}
    for n in sizes:
        X, y = X_all.iloc[:n], y_all.iloc[:n]
        n_params = None
        for name in names:
            t0 = time.perf_counter()
            estimator, k = _model(name, study.graph, control_graph, n_params, X.shape[1], seed, max_epochs, inner)
            result = nested_cv(estimator, X, y, outer=outer, inner=k, random_state=seed)
            if name == "BINN":
                n_params = sum(p.numel() for p in result.models[0][0].model_.parameters())
                kept[n] = result
            test = regression_scores(y_test, result.predict(X_test))
            cv = result.summary()
            rows.append({"n": n, "model": name, **{f"test_{k_}": v for k_, v in test.items()},
                         **{f"cv_{k_}": float(v) for k_, v in cv.items()}, "seconds": time.perf_counter() - t0})
            if progress:
                print(f"n={n:5d} {name:22s} test MSE {test['mse']:.3f}  ρ {test['spearman']:.3f}  "
                      f"({rows[-1]['seconds']:.0f} s)", flush=True)
    curve = pd.DataFrame(rows)

    # soft constraint at several coverages
    rng = np.random.default_rng(seed)
    X, y = X_all.iloc[:coverage_n], y_all.iloc[:coverage_n]
    cov_rows, latent_cols = [], {}
    free = kept.get(coverage_n) or nested_cv(genomic_binn(study.graph, max_epochs=max_epochs), X, y, outer=outer,
                                             inner=inner, random_state=seed)
    cov_rows.append({"coverage": 0.0, **regression_scores(y_test, free.predict(X_test)),
                     "latent_r": float(_latent_r(free.members(), X_test, truth_test).mean())})
    for coverage in coverages:
        targets = study.intermediates.iloc[:coverage_n].copy()
        targets.loc[rng.random(coverage_n) >= coverage] = np.nan
        result = nested_cv(genomic_binn(study.graph, max_epochs=max_epochs, soft_constraint=soft_constraint), X, y,
                           outer=outer, inner=inner, latent_targets=targets, random_state=seed)
        latent = _latent_r(result.members(), X_test, truth_test)
        cov_rows.append({"coverage": coverage, **regression_scores(y_test, result.predict(X_test)),
                         "latent_r": float(latent.mean())})
        if coverage == max(coverages):
            latent_cols[f"BINN + constraint ({coverage:.0%}), n={coverage_n}"] = latent
        if progress:
            print(f"coverage {coverage:.0%}: test MSE {cov_rows[-1]['mse']:.3f}  latent |r| {latent.mean():.2f}",
                  flush=True)
    coverage_table = pd.DataFrame(cov_rows)

    largest = kept.get(max(sizes))
    sensitivity = pd.DataFrame({"pathway": list(PATHWAYS), "truth": study.truth.reindex(list(PATHWAYS)).to_numpy()})
    latent_table = pd.DataFrame({"pathway": list(PATHWAYS)})
    if largest is not None:
        sensitivity["BINN clamp"] = _clamp(largest.members(), X_test).to_numpy()
    for n in sorted(kept):
        latent_table[f"BINN, n={n}"] = _latent_r(kept[n].members(), X_test, truth_test).to_numpy()
    for column, values in latent_cols.items():
        latent_table[column] = values.to_numpy()
    sensitivity["truth rank"] = sensitivity["truth"].rank(ascending=False).astype(int)
    if "BINN clamp" in sensitivity:
        sensitivity["BINN rank"] = sensitivity["BINN clamp"].rank(ascending=False).astype(int)
    settings = dict(sizes=sizes, n_test=n_test, outer=outer, inner=inner, coverage_n=coverage_n, seed=seed,
                    soft_constraint=soft_constraint, max_epochs=max_epochs)
    settings["seconds"] = time.perf_counter() - start
    return GenomicBenchmark(curve, coverage_table, sensitivity, latent_table, settings=settings)


def _model(name, graph, control_graph, n_params, n_inputs, seed, max_epochs, inner):
    if name == "BINN":
        return genomic_binn(graph, max_epochs=max_epochs), inner
    if name == "BINN (rewired graph)":
        return genomic_binn(control_graph, max_epochs=max_epochs), inner
    if name == "dense MLP":
        if n_params is None:
            raise ValueError("the dense MLP matches the BINN's parameter count: list 'BINN' before it")
        return dense_mlp(n_params, n_inputs, task="regression", random_state=seed, max_iter=max_epochs,
                         alpha=DENSE_ALPHA), inner
    if name == "ridge (rrBLUP)":
        return linear_model("regression"), 1
    if name == "ElasticNet":
        return elastic_net(random_state=seed), 1
    if name == "GBLUP":
        return GBLUP(), 1
    raise ValueError(f"unknown model {name!r}")
