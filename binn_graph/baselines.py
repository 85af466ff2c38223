"""Baselines for side-by-side runs with the same data and folds as the BINN.

* :func:`linear_model` — regularised logistic / ridge regression with the
  regularisation strength chosen by inner cross-validation (scikit-learn);
* :func:`elastic_net` — ElasticNet regression, penalty and L1 ratio chosen by inner cross-validation;
* :func:`dense_mlp` — a fully connected network with (about) as many
  parameters as a given BINN (scikit-learn's MLP);
* :class:`GBLUP` — genomic BLUP with a VanRaden (2008) relationship matrix
  and a REML variance-ratio fit, as a scikit-learn regressor;
* the random-graph control is the same BINN on ``graph.rewire(edge_type, seed)``
  (see :meth:`kg.KnowledgeGraph.rewire`).

Every baseline imputes and scales inside its own pipeline, so the statistics
come from the training folds only.
"""

from __future__ import annotations

import inspect
from numbers import Real

import numpy as np
from scipy import optimize
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.impute import SimpleImputer
from sklearn.linear_model import ElasticNetCV, LogisticRegressionCV, RidgeCV
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_array

from .errors import DataValidationError
from .validation import check_fitted, validate_params

__all__ = ["linear_model", "elastic_net", "dense_mlp", "matched_hidden_units", "GBLUP"]


def _preprocess() -> list:
    return [("impute", SimpleImputer(strategy="mean", keep_empty_features=True)), ("scale", StandardScaler())]


def linear_model(task: str = "classification", random_state: int | None = None) -> Pipeline:
    """L2-regularised logistic regression (classification) or ridge regression, strength chosen by inner CV."""
    if task == "classification":
        options = dict(Cs=10, max_iter=5000, random_state=random_state, scoring="accuracy")  # C chosen as before
        if "use_legacy_attributes" in inspect.signature(LogisticRegressionCV).parameters:
            # scikit-learn ≥ 1.8 warns on every fit otherwise; l1_ratios=(0,) is its spelling of a pure L2 penalty
            options.update(use_legacy_attributes=False, l1_ratios=(0.0,))
        model = LogisticRegressionCV(**options)
    elif task == "regression":
        model = RidgeCV(alphas=np.logspace(-3, 4, 15))
    else:
        raise ValueError(f"task must be 'classification' or 'regression', not {task!r}")
    return Pipeline([*_preprocess(), ("model", model)])


def elastic_net(random_state: int | None = None, l1_ratio=(0.1, 0.5, 0.9), cv: int = 5) -> Pipeline:
    """ElasticNet regression on standardised inputs; ``alpha`` and ``l1_ratio`` chosen by ``cv``-fold CV."""
    model = ElasticNetCV(l1_ratio=list(l1_ratio), cv=cv, random_state=random_state, max_iter=5000)
    return Pipeline([*_preprocess(), ("model", model)])


def matched_hidden_units(n_params: int, n_inputs: int, n_outputs: int = 1) -> int:
    """Width ``h`` of one hidden layer so that ``n_inputs·h + h + h·n_outputs + n_outputs ≈ n_params``."""
    return max(1, int(round((n_params - n_outputs) / (n_inputs + 1 + n_outputs))))


def dense_mlp(n_params: int, n_inputs: int, task: str = "classification", n_outputs: int = 1,
              random_state: int | None = None, max_iter: int = 500, alpha: float = 1e-4) -> Pipeline:
    """A one-hidden-layer MLP (tanh, Adam, early stopping) with about ``n_params`` parameters.

    ``alpha`` is scikit-learn's L2 penalty (divided by the number of samples in its loss).
    """
    hidden = matched_hidden_units(n_params, n_inputs, n_outputs)
    kwargs = dict(hidden_layer_sizes=(hidden,), activation="tanh", early_stopping=True, max_iter=max_iter,
                  random_state=random_state, alpha=alpha)
    if task == "classification":
        model = MLPClassifier(**kwargs)
    elif task == "regression":
        model = MLPRegressor(**kwargs)
    else:
        raise ValueError(f"task must be 'classification' or 'regression', not {task!r}")
    return Pipeline([*_preprocess(), ("model", model)])


class GBLUP(RegressorMixin, BaseEstimator):
    """Genomic BLUP: ``y = μ + g + e`` with ``g ~ N(0, σ²_g G)``, ``e ~ N(0, σ²_e I)``.

    ``G`` is VanRaden's (2008) first genomic relationship matrix,
    ``G = Z Zᵀ / (2 Σ p_j (1 − p_j))`` with ``Z = M − 2p`` (M: dosages 0/1/2,
    p: training allele frequencies). The ratio ``δ = σ²_e / σ²_g`` maximises the
    REML likelihood, computed in the eigenbasis of ``G`` (Kang et al., EMMA,
    Genetics 2008). Prediction for new samples: ``μ + G_new,train (G + δI)⁻¹ (y − μ)``.

    Parameters
    ----------
    delta:
        Fix ``δ`` instead of estimating it.
    """

    _parameter_constraints: dict = {"delta": [Interval(Real, 0, None, closed="neither"), None]}

    def __init__(self, delta: float | None = None) -> None:
        self.delta = delta

    def _check_dosages(self, X, reset: bool) -> np.ndarray:
        M = check_array(X, dtype=np.float32, ensure_all_finite="allow-nan")
        if reset:
            self.n_features_in_ = M.shape[1]
        elif M.shape[1] != self.n_features_in_:
            raise DataValidationError(f"X has {M.shape[1]} SNPs, but GBLUP was fitted on {self.n_features_in_}")
        observed = M[~np.isnan(M)]
        if observed.size and ((observed < 0) | (observed > 2)).any():
            raise DataValidationError("dosages must lie in [0, 2] (0/1/2 allele counts)")
        return M

    def _centered(self, M: np.ndarray) -> np.ndarray:
        Z = M - 2.0 * self.allele_freq_
        return np.where(np.isnan(Z), 0.0, Z).astype(np.float32)  # missing dosage = mean (documented)

    def fit(self, X, y):
        """Fit on dosages ``X`` (samples × SNPs) and phenotype ``y``; returns self."""
        validate_params(self)
        M = self._check_dosages(X, reset=True)
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        if len(y) != M.shape[0]:
            raise DataValidationError(f"X has {M.shape[0]} samples but y has {len(y)}")
        p = np.nanmean(M, axis=0) / 2.0
        self.allele_freq_ = np.where(np.isnan(p), 0.0, p).astype(np.float32)
        denom = 2.0 * float(np.sum(self.allele_freq_ * (1.0 - self.allele_freq_)))
        if denom <= 0:
            raise DataValidationError("every SNP is monomorphic in the training samples; G is undefined")
        self.scale_ = denom
        self.Z_train_ = self._centered(M)
        G = (self.Z_train_ @ self.Z_train_.T).astype(np.float64) / denom
        s, U = np.linalg.eigh(G)
        s = np.clip(s, 0.0, None)
        one = U.T @ np.ones(len(y))
        uy = U.T @ y
        n = len(y)

        def neg_reml(log_delta: float) -> float:
            d = s + np.exp(log_delta)
            w = 1.0 / d
            mu = np.sum(w * one * uy) / np.sum(w * one * one)
            r = uy - mu * one
            sigma2 = np.sum(w * r * r) / (n - 1)
            return 0.5 * ((n - 1) * np.log(sigma2) + np.sum(np.log(d)) + np.log(np.sum(w * one * one)))

        if self.delta is None:
            res = optimize.minimize_scalar(neg_reml, bounds=(-10.0, 10.0), method="bounded")
            self.delta_ = float(np.exp(res.x))
        else:
            self.delta_ = float(self.delta)
        w = 1.0 / (s + self.delta_)
        self.intercept_ = float(np.sum(w * one * uy) / np.sum(w * one * one))
        self.alpha_ = U @ (w * (U.T @ (y - self.intercept_)))  # (G + δI)^-1 (y - μ)
        self.heritability_ = 1.0 / (1.0 + self.delta_)
        return self

    def predict(self, X) -> np.ndarray:
        """Predicted phenotype ``[n_samples]``."""
        check_fitted(self, "alpha_")
        Z = self._centered(self._check_dosages(X, reset=False))
        G_new = (Z @ self.Z_train_.T).astype(np.float64) / self.scale_
        return self.intercept_ + G_new @ self.alpha_
