"""Baselines: GBLUP recovers a polygenic signal and matches the closed form; matched MLP; linear models."""

import numpy as np
import pytest

from binn_graph.baselines import GBLUP, dense_mlp, linear_model, matched_hidden_units
from binn_graph.errors import DataValidationError


def genotypes(n=300, m=400, seed=0):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.1, 0.5, m)
    M = rng.binomial(2, p, size=(n, m)).astype(float)
    beta = rng.normal(0, 1, m)
    g = (M - 2 * p) @ beta
    y = g / g.std() + rng.normal(0, 0.7, n)  # heritability ~ 0.67
    return M, y


def test_gblup_predicts_polygenic_trait():
    M, y = genotypes()
    model = GBLUP().fit(M[:200], y[:200])
    r = np.corrcoef(model.predict(M[200:]), y[200:])[0, 1]
    assert r > 0.35
    assert 0.3 < model.heritability_ < 0.95


def test_gblup_matches_closed_form_for_fixed_delta():
    M, y = genotypes(60, 80, seed=1)
    model = GBLUP(delta=2.0).fit(M, y)
    p = M.mean(axis=0) / 2
    Z = M - 2 * p
    G = Z @ Z.T / (2 * np.sum(p * (1 - p)))
    V = G + 2.0 * np.eye(60)
    one = np.ones(60)
    mu = one @ np.linalg.solve(V, y) / (one @ np.linalg.solve(V, one))
    expected = mu + G @ np.linalg.solve(V, y - mu)
    np.testing.assert_allclose(model.predict(M), expected, rtol=1e-4, atol=1e-4)


def test_gblup_bad_input():
    with pytest.raises(DataValidationError, match=r"\[0, 2\]"):
        GBLUP().fit(np.full((5, 3), 3.0), np.arange(5))
    with pytest.raises(DataValidationError, match="monomorphic"):
        GBLUP().fit(np.zeros((5, 3)), np.arange(5))
    with pytest.raises(DataValidationError, match="samples"):
        GBLUP().fit(np.ones((5, 3)), np.arange(4))


def test_matched_mlp_parameter_count():
    h = matched_hidden_units(10_000, 100, 1)
    assert h == 98
    pipe = dense_mlp(10_000, 100, random_state=0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 100))
    y = (X[:, 0] > 0).astype(int)
    pipe.fit(X, y)
    mlp = pipe.named_steps["model"]
    n = sum(w.size for w in mlp.coefs_) + sum(b.size for b in mlp.intercepts_)
    assert abs(n - 10_000) / 10_000 < 0.02


def test_linear_models_fit():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 5))
    X[::5, 1] = np.nan
    y = (X[:, 0] > 0).astype(int)
    assert linear_model("classification", random_state=0).fit(X, y).score(X, y) > 0.9
    assert linear_model("regression").fit(X, X[:, 0] * 3).score(X, X[:, 0] * 3) > 0.99
    with pytest.raises(ValueError):
        linear_model("clustering")
