"""Nested cross-validation with outer × inner fold ensembles (the protocol of Kontolati et al. 2025).

For each of ``outer`` folds, the remaining samples are split into ``inner`` folds; inner model ``k`` trains on the
other inner folds and early-stops on fold ``k`` (estimators whose ``fit`` accepts ``validation_data``, i.e. the
BINNs; other estimators simply train on the other folds). The outer test fold is predicted by the mean of its
``inner`` models, so every score comes from samples no model of that fold has seen. New samples are predicted by
the mean of all ``outer × inner`` models (:meth:`NestedCVResult.predict`).

Everything that is fit (the graph's preprocessing, gene selection when a ``graph_builder`` is given, the models)
sees training rows only. Samples are matched by id between X, y and ``latent_targets``.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import KFold

from ..errors import DataValidationError
from ..metrics import regression_scores
from ..parallel import run_tasks

__all__ = ["nested_cv", "NestedCVResult", "regression_scores"]


@dataclass
class NestedCVResult:
    """Scores per outer fold, out-of-fold predictions and the fitted ``outer × inner`` models."""

    scores: pd.DataFrame  # one row per outer fold: pearson, spearman, mse, r2, n_train, n_test
    predictions: pd.Series  # out-of-fold prediction of every sample (its outer fold's inner ensemble)
    models: list[list] = field(repr=False)  # models[outer][inner]

    def summary(self) -> pd.Series:
        """Mean over outer folds of each score."""
        return self.scores[["pearson", "spearman", "mse", "r2"]].mean()

    def predict(self, X) -> np.ndarray:
        """Mean prediction of all ``outer × inner`` models (the paper's ensemble)."""
        return np.mean([m.predict(X) for fold in self.models for m in fold], axis=0)

    def members(self) -> list:
        """All fitted models, outer-major."""
        return [m for fold in self.models for m in fold]


def _takes(estimator, name: str) -> bool:
    return name in inspect.signature(estimator.fit).parameters


def nested_cv(estimator, X: pd.DataFrame, y: pd.Series, *, outer: int = 5, inner: int = 5,
              latent_targets: pd.DataFrame | None = None,
              graph_builder: Callable[[pd.DataFrame, pd.Series], object] | None = None,
              random_state: int = 0, progress: bool | None = None, n_jobs: int | None = None) -> NestedCVResult:
    """Nested CV of a scikit-learn regressor with inner-fold ensembles.

    Parameters
    ----------
    estimator:
        Any regressor; cloned for every member. BINNs get ``validation_data`` = their inner fold and, when given,
        ``latent_targets`` (the soft constraint).
    X, y:
        Samples × features (ids as the index) and the phenotype, matched by sample id.
    outer, inner:
        Numbers of folds; ``inner=1`` fits one model per outer fold on all its training rows (linear models and
        GBLUP choose their penalty internally).
    graph_builder:
        ``graph_builder(X_train, y_train) -> KnowledgeGraph`` rebuilds the graph inside every outer fold (eQTL
        mapping, gene selection) and sets it as the estimator's ``graph``.
    random_state:
        Seed of the fold splits; member ``(o, k)`` gets ``random_state + 100·o + k``.
    n_jobs:
        Fit the ``outer × inner`` members in parallel through :func:`binn_graph.parallel.run_tasks` (default: the
        estimator's ``n_jobs`` where it has one). Every member's rows and seed are fixed before the fits, so the
        result equals the sequential run exactly. ``graph_builder`` runs in this process, once per outer fold.
    """
    if n_jobs is None:
        n_jobs = getattr(estimator, "n_jobs", None)
    if not isinstance(X, pd.DataFrame) or not isinstance(y, pd.Series):
        raise DataValidationError("nested_cv needs X as a DataFrame and y as a Series, both indexed by sample id")
    if not X.index.is_unique:
        raise DataValidationError("X has duplicated sample ids")
    missing = X.index.difference(y.index)
    if len(missing):
        raise DataValidationError(f"{len(missing)} sample(s) of X have no phenotype, e.g. {list(missing[:3])}")
    y = y.loc[X.index]
    if outer < 2 or inner < 1:
        raise DataValidationError(f"need outer ≥ 2 and inner ≥ 1 folds, got outer={outer}, inner={inner}")
    use_validation = inner > 1 and _takes(estimator, "validation_data")
    constrained = latent_targets is not None
    if constrained and not _takes(estimator, "latent_targets"):
        raise DataValidationError(f"{type(estimator).__name__} does not take latent_targets")
    rows = []
    oof = pd.Series(np.nan, index=X.index, dtype=float)
    splits = list(KFold(outer, shuffle=True, random_state=random_state).split(X))
    tasks, names = [], []
    for o, (train, test) in enumerate(splits):  # every member's data and seed fixed here, in the sequential order
        X_out, y_out = X.iloc[train], y.iloc[train]
        base = clone(estimator)
        if graph_builder is not None:
            base.set_params(graph=graph_builder(X_out, y_out))
        inner_splits = ([(np.arange(len(train)), None)] if inner == 1 else
                        KFold(inner, shuffle=True, random_state=random_state + 1 + o).split(X_out))
        for k, (fit_rows, val_rows) in enumerate(inner_splits):
            model = clone(base)
            if "random_state" in model.get_params():
                model.set_params(random_state=random_state + 100 * o + k)
            kwargs = {}
            if constrained:
                kwargs["latent_targets"] = latent_targets
            if use_validation and val_rows is not None:
                kwargs["validation_data"] = (X_out.iloc[val_rows], y_out.iloc[val_rows])
            tasks.append((model, X_out.iloc[fit_rows], y_out.iloc[fit_rows], kwargs))
            names.append(f"nested CV outer fold {o}, inner member {k}")
    fitted = run_tasks(_fit_member, tasks, n_jobs=n_jobs, star=True, names=names,
                       threads=getattr(estimator, "n_threads", 1),
                       desc=f"nested CV {type(estimator).__name__}", unit="fit", show_progress=progress)
    models = [fitted[o * inner:(o + 1) * inner] for o in range(outer)]
    for o, (train, test) in enumerate(splits):
        members = models[o]
        pred = np.mean([m.predict(X.iloc[test]) for m in members], axis=0)
        oof.iloc[test] = pred
        rows.append({"fold": o, **regression_scores(y.iloc[test], pred), "n_train": len(train), "n_test": len(test)})
    return NestedCVResult(pd.DataFrame(rows), oof, models)


def _fit_member(model, X_fit: pd.DataFrame, y_fit: pd.Series, kwargs: dict):
    """One ensemble member fitted on its rows (a task of :func:`binn_graph.parallel.run_tasks`)."""
    return model.fit(X_fit, y_fit, **kwargs)
