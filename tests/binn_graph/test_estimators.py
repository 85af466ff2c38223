"""BINNClassifier / BINNRegressor: scikit-learn behaviour, learning, determinism, persistence and bad input."""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from binn_graph import BINNClassifier, BINNRegressor
from binn_graph.errors import (
    BINNError,
    CheckpointError,
    DataValidationError,
    FeatureMismatchError,
    GraphStructureError,
    NotFittedError,
    TargetError,
)
from kg import KnowledgeGraph

from .conftest import synthetic_graph

FAST = dict(max_epochs=15, batch_size=16, lr=1e-2, random_state=0)

# sklearn's generic checks feed numpy arrays, which the estimators name x0, x1, ...; the test graph has those nodes.
_GRAPH = synthetic_graph(200)
_EXPECTED_FAILURES = {
    # these checks wrap X in a DataFrame with integer column names 0, 1, ...; a BINN matches columns to graph
    # nodes by name, so no column is an input node and fit rightly raises GraphStructureError
    "check_classifier_data_not_an_array": "DataFrame columns 0..n are not node ids of the graph",
    "check_regressor_data_not_an_array": "DataFrame columns 0..n are not node ids of the graph",
    # sklearn's bar (accuracy 0.83 on 2-feature blobs) needs more than the 15 epochs used to keep the suite fast;
    # learning is tested on a planted signal in test_learns_planted_signal_and_scores
    "check_classifiers_train": "2 features in 2 pathways, 15 epochs: accuracy below sklearn's 0.83 bar",
}


@parametrize_with_checks([BINNClassifier(_GRAPH, **FAST), BINNRegressor(_GRAPH, **FAST)],
                         expected_failed_checks=lambda est: _EXPECTED_FAILURES)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_learns_planted_signal_and_scores(synth_graph, planted):
    X, y = planted
    clf = BINNClassifier(synth_graph, max_epochs=60, lr=1e-2, random_state=0).fit(X.iloc[:200], y.iloc[:200])
    assert clf.score(X.iloc[200:], y.iloc[200:]) > 0.85
    assert list(clf.classes_) == ["case", "control"]
    proba = clf.predict_proba(X.iloc[200:])
    assert proba.shape == (100, 2) and np.allclose(proba.sum(axis=1), 1)
    assert isinstance(clf.model_, torch.nn.Module)
    assert clf.architecture_.layer_sizes[0] == 100


def test_columns_are_matched_by_name_not_position(synth_graph, planted):
    X, y = planted
    clf = BINNClassifier(synth_graph, **FAST).fit(X, y)
    shuffled = X[X.columns[::-1]]
    np.testing.assert_allclose(clf.predict_proba(shuffled), clf.predict_proba(X), rtol=1e-6)
    with pytest.raises(FeatureMismatchError, match="lacks 1 of the model's 100 input columns"):
        clf.predict(X.drop(columns="x5"))


def test_same_seed_same_model(synth_graph, planted):
    X, y = planted
    a = BINNClassifier(synth_graph, **FAST).fit(X, y).predict_proba(X)
    b = BINNClassifier(synth_graph, **FAST).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    c = BINNClassifier(synth_graph, **{**FAST, "random_state": 1}).fit(X, y).predict_proba(X)
    assert not np.array_equal(a, c)


def test_multiclass_and_class_weight(synth_graph, planted):
    X, _ = planted
    y = pd.Series(np.digitize(X["x3"] + X["x13"], [-0.7, 0.7]), index=X.index)
    clf = BINNClassifier(synth_graph, class_weight="balanced", **{**FAST, "max_epochs": 40}).fit(X, y)
    assert clf.predict_proba(X).shape == (300, 3)
    assert clf.score(X, y) > 0.6
    assert clf.model_.n_outputs == 3


def test_regressor_single_and_multi_target(synth_graph, planted):
    X, _ = planted
    y = X[["x3", "x13", "x23"]].sum(axis=1) * 2.0 + 5.0
    reg = BINNRegressor(synth_graph, max_epochs=80, lr=1e-2, random_state=0).fit(X.iloc[:200], y.iloc[:200])
    assert reg.score(X.iloc[200:], y.iloc[200:]) > 0.6
    assert reg.predict(X).shape == (300,)
    Y = pd.DataFrame({"a": y, "b": -X["x4"]})
    multi = BINNRegressor(synth_graph, **FAST).fit(X, Y)
    assert multi.predict(X).shape == (300, 2)


@pytest.mark.parametrize("impute", ["mean", "zero", "mask"])
def test_missing_values_are_imputed_explicitly(synth_graph, planted, impute):
    X, y = planted
    X = X.copy()
    X.iloc[::7, ::3] = np.nan
    clf = BINNClassifier(synth_graph, impute=impute, **FAST).fit(X, y)
    assert np.isfinite(clf.predict_proba(X)).all()
    assert clf.model_.input_width == (2 if impute == "mask" else 1)


def test_preprocessing_uses_training_rows_only(synth_graph, planted):
    X, y = planted
    clf = BINNClassifier(synth_graph, validation_fraction=0.2, **FAST).fit(X, y)
    expected = np.nanmean(X.to_numpy(), axis=0)
    # the internal validation rows (20%) are excluded, so the means differ from the full-data means
    assert not np.allclose(clf.preprocessor_.mean_, expected)
    no_val = BINNClassifier(synth_graph, validation_fraction=0, **FAST).fit(X, y)
    np.testing.assert_allclose(no_val.preprocessor_.mean_, expected)


def test_pipeline_cv_and_grid_search(synth_graph, planted):
    X, y = planted
    pipe = Pipeline([("binn", BINNClassifier(synth_graph, **FAST))])
    scores = cross_val_score(pipe, X, y, cv=3, scoring="roc_auc")
    assert scores.mean() > 0.8
    grid = GridSearchCV(BINNClassifier(synth_graph, **FAST), {"lr": [1e-3, 3e-3]}, cv=2).fit(X, y)
    assert grid.best_params_["lr"] in (1e-3, 3e-3)
    assert clone(grid.best_estimator_).get_params()["graph"] is not None


def test_save_and_load(tmp_path, synth_graph, planted):
    X, y = planted
    clf = BINNClassifier(synth_graph, mode="layered", n_levels=2, **FAST).fit(X, y)
    clf.save(tmp_path / "m.pt")
    back = BINNClassifier.load(tmp_path / "m.pt")
    np.testing.assert_allclose(back.predict_proba(X), clf.predict_proba(X), rtol=1e-6)
    assert back.architecture_.layer_sizes == clf.architecture_.layer_sizes
    with pytest.raises(CheckpointError, match="holds a BINNClassifier"):
        BINNRegressor.load(tmp_path / "m.pt")
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a loadable"):
        BINNClassifier.load(tmp_path / "bad.pt")


def test_checkpoint_refuses_arbitrary_objects(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("executed",))

    torch.save({"version": 1, "spec": Evil(), "state_dict": {}}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError):
        BINNClassifier.load(tmp_path / "evil.pt")


# ---------------------------------------------------------------- bad input
def test_bad_input_errors(synth_graph, planted):
    X, y = planted
    with pytest.raises(NotFittedError, match="not fitted"):
        BINNClassifier(synth_graph).predict(X)
    with pytest.raises(FeatureMismatchError, match="duplicated column names"):
        BINNClassifier(synth_graph, **FAST).fit(pd.concat([X, X[["x1"]]], axis=1), y)
    bad = X.copy()
    bad["x2"] = bad["x2"].astype(object)
    bad.iloc[5, 2] = "high"
    with pytest.raises(DataValidationError, match="column 'x2' holds non-numeric values, e.g. 'high'"):
        BINNClassifier(synth_graph, **FAST).fit(bad, y)
    empty = X.copy()
    empty["x7"] = np.nan
    with pytest.raises(DataValidationError, match=r"1 column\(s\) with no values at all: \['x7'\]"):
        BINNClassifier(synth_graph, empty_columns="raise", **FAST).fit(empty, y)
    with pytest.warns(UserWarning, match=r"1 input column\(s\) with no value in these rows, e.g. \['x7'\]"):
        default = BINNClassifier(synth_graph, **FAST).fit(empty, y)  # the default imputes, reports and warns
    lenient = BINNClassifier(synth_graph, empty_columns="report", **FAST).fit(empty, y)
    for fitted in (default, lenient):
        assert any(e.count == 1 for e in fitted.report_.entries if "no value in the training rows" in e.what)
    with pytest.raises(TargetError, match="y has 1 class"):
        BINNClassifier(synth_graph, **FAST).fit(X, pd.Series("a", index=X.index))
    with pytest.raises(DataValidationError, match="X has 300 samples but y has 299"):
        BINNClassifier(synth_graph, **FAST).fit(X, y.to_numpy()[:-1])
    with pytest.raises(DataValidationError, match="sample ids of X and y differ"):
        BINNClassifier(synth_graph, **FAST).fit(X, y.rename(index={"s0": "other"}))
    with pytest.raises(FeatureMismatchError, match="not protein nodes"):
        BINNClassifier(synth_graph, strict=True, **FAST).fit(X.assign(unknown=1.0), y)
    reported = BINNClassifier(synth_graph, **FAST).fit(X.assign(unknown=1.0), y)
    assert reported.report_.entries[0].examples == ("unknown",)
    no_path = KnowledgeGraph().add_nodes("protein", list(X.columns)).add_nodes("pathway", ["P"])
    with pytest.raises(GraphStructureError, match="no path"):
        BINNClassifier(no_path, **FAST).fit(X, y)
    cyclic = synthetic_graph().add_edges(("pathway", "part_of", "pathway"), ["R"], ["L0"])
    with pytest.raises(GraphStructureError, match="cycle"):
        BINNClassifier(cyclic, **FAST).fit(X, y)
    assert issubclass(FeatureMismatchError, BINNError)


def test_y_aligned_by_sample_id(synth_graph, planted):
    X, y = planted
    a = BINNClassifier(synth_graph, **FAST).fit(X, y).predict_proba(X)
    b = BINNClassifier(synth_graph, **FAST).fit(X, y.iloc[::-1]).predict_proba(X)
    np.testing.assert_array_equal(a, b)


def test_epoch_cap_while_improving_warns_and_a_plateau_does_not(synth_graph, planted):
    from sklearn.exceptions import ConvergenceWarning

    X, y = planted
    with pytest.warns(ConvergenceWarning, match="max_epochs=10 while the validation loss was still improving"):
        BINNClassifier(synth_graph, max_epochs=10, patience=8, random_state=0).fit(X, y)
    with warnings.catch_warnings():  # patience ≥ max_epochs: early stopping was never possible, nothing to warn
        warnings.simplefilter("error", ConvergenceWarning)
        BINNClassifier(synth_graph, max_epochs=3, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = BINNClassifier(synth_graph, max_epochs=500, patience=5, random_state=0).fit(X, y)
    assert clf.history_.stopped_early and len(clf.history_.val_loss) < 500


def test_defaults_learn_the_planted_pathway(synth_graph, planted):
    """Default settings only: held-out accuracy on the planted leaf's signal, within the epoch cap."""
    X, y = planted
    clf = BINNClassifier(synth_graph, random_state=0).fit(X.iloc[:200], y.iloc[:200])
    assert clf.score(X.iloc[200:], y.iloc[200:]) > 0.85
    assert clf.history_.stopped_early


def test_regressor_predictions_keep_float64_precision(synth_graph, planted):
    """Targets far from zero: predictions are mapped back to target units in float64 (distinct values survive)."""
    X, _ = planted
    y = 1e6 + 0.01 * X["x3"]
    reg = BINNRegressor(synth_graph, max_epochs=5, random_state=0).fit(X, y)
    pred = reg.predict(X.iloc[:10])
    assert pred.dtype == np.float64 and len(np.unique(pred)) == 10
