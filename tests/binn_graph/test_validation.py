"""scikit-learn discipline: parameters validated first in fit with one error type, every parameter documented,
one fitted-state check, one error root for the whole project."""

import re

import numpy as np
import pandas as pd
import pytest

from binn_graph import BINNClassifier, BINNRegressor, explain
from binn_graph.errors import BINNError, GraphCycleError, NotFittedError, ParameterError
from kg import KnowledgeGraph
from kg.errors import BinnGraphError, CycleError, HierarchyCycleError, KGError

BAD = [
    ("lr", 0.0), ("lr", "fast"), ("max_epochs", 0), ("batch_size", 2.5), ("dropout", 1.0), ("mode", "tree"),
    ("activation", "swish"), ("norm", "layer"), ("heads", "some"), ("impute", "median"), ("kernel", "dense"),
    ("empty_columns", "ignore"), ("validation_fraction", 1.0), ("patience", -1), ("weight_decay", -0.1),
    ("node_width", 0), ("random_state", "seed"), ("integrator", 128), ("graph", "reactome"),
]


@pytest.mark.parametrize("estimator", [BINNClassifier, BINNRegressor])
@pytest.mark.parametrize("name, value", BAD)
def test_bad_parameter_is_refused_before_the_data_is_read(estimator, name, value):
    est = estimator(**{"graph": KnowledgeGraph(), name: value})
    with pytest.raises(ParameterError, match=f"The '{name}' parameter of {estimator.__name__} must be"):
        est.fit("not even data", None)  # parameters are checked before X and y
    assert issubclass(ParameterError, ValueError) and issubclass(ParameterError, TypeError)


def test_class_weight_is_validated():
    with pytest.raises(ParameterError, match="'class_weight' parameter"):
        BINNClassifier(KnowledgeGraph(), class_weight="inverse").fit("x", None)


@pytest.mark.parametrize("estimator", [BINNClassifier, BINNRegressor])
def test_every_parameter_is_documented(estimator):
    doc = estimator.__doc__
    documented = set()
    for line in doc.splitlines():
        match = re.match(r"^    ([a-z_0-9, ]+) :", line)
        if match:
            documented |= {name.strip() for name in match.group(1).split(",")}
    assert set(estimator().get_params()) <= documented, set(estimator().get_params()) - documented
    assert ("class_weight" in documented) == (estimator is BINNClassifier)


def test_not_fitted_is_one_check_everywhere():
    X = pd.DataFrame(np.zeros((3, 2)), columns=["a", "b"])
    clf = BINNClassifier(KnowledgeGraph())
    for call in (lambda: clf.predict(X), lambda: clf.predict_proba(X), lambda: clf.save("x.pt"),
                 lambda: clf.output_function(), lambda: clf.module_input(X), lambda: clf.latent_activations(X)):
        with pytest.raises(NotFittedError, match="this BINNClassifier is not fitted yet; call fit"):
            call()
    with pytest.raises(NotFittedError, match="before explaining it"):
        explain(clf, X)


def test_one_error_root():
    assert issubclass(KGError, BinnGraphError) and issubclass(BINNError, BinnGraphError)
    assert issubclass(HierarchyCycleError, CycleError) and issubclass(GraphCycleError, CycleError)
    assert issubclass(ParameterError, BinnGraphError) and issubclass(NotFittedError, BinnGraphError)


def test_a_cycle_is_a_cycle_error_naming_its_nodes():
    g = KnowledgeGraph().add_nodes("pathway", ["A", "B", "C"]).add_nodes("protein", ["p"])
    g.add_edges(("pathway", "part_of", "pathway"), ["A", "B"], ["B", "A"])
    g.add_edges(("protein", "member_of", "pathway"), ["p"], ["A"])
    with pytest.raises(CycleError) as info:
        g.validate().raise_if_invalid()
    assert set(info.value.nodes) == {"A", "B"}
    X = pd.DataFrame({"p": np.arange(12.0)})
    with pytest.raises(GraphCycleError) as info:
        BINNClassifier(g, max_epochs=1).fit(X, np.arange(12) % 2)
    assert set(info.value.nodes) == {"A", "B"}


def test_fit_and_predict_run_on_n_threads_and_restore_torch_setting(monkeypatch, synth_graph, planted):
    import torch

    from binn_graph import training

    seen = []
    original = training.Trainer.fit

    def recording_fit(self, *args, **kwargs):
        seen.append(torch.get_num_threads())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(training.Trainer, "fit", recording_fit)
    X, y = planted
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        clf = BINNClassifier(synth_graph, max_epochs=2, random_state=0).fit(X, y)
        assert seen == [1] and torch.get_num_threads() == 2
        BINNClassifier(synth_graph, max_epochs=2, random_state=0, n_threads=None).fit(X, y)
        assert seen == [1, 2]
        clf.predict_proba(X)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_training_epochs_and_null_refits_report_progress_to_a_log(caplog, synth_graph, planted):
    """Under the command line's "log" mode, the Trainer's epochs and the null's refits write progress lines to the
    binn_graph.progress logger when stderr is not a terminal (a piped run is not silent)."""
    import logging
    import os

    from binn_graph import _progress

    if os.isatty(2):
        pytest.skip("stderr is a terminal: progress shows as a bar, not as log lines")
    X, y = planted
    _progress.configure("log", 1e-6)
    try:
        with caplog.at_level(logging.INFO, logger="binn_graph.progress"):
            clf = BINNClassifier(synth_graph, max_epochs=3, random_state=0).fit(X, y)
            explain(clf, X.iloc[:20], null="permute", n_null=2, X_train=X, y_train=y)
    finally:
        _progress.configure()
    lines = [r.getMessage() for r in caplog.records if r.name == "binn_graph.progress"]
    assert any(line.startswith("training:") for line in lines), lines
    assert any(line.startswith("null (permute):") for line in lines), lines


def test_a_short_fit_logs_no_progress_lines(caplog, synth_graph, planted):
    """Progress lines are periodic: a fit shorter than the interval logs none (its per-epoch loss postfix must not
    force a line every epoch)."""
    import logging

    from binn_graph import _progress

    X, y = planted
    _progress.configure("log", 30.0)
    try:
        with caplog.at_level(logging.INFO, logger="binn_graph.progress"):
            BINNClassifier(synth_graph, max_epochs=5, random_state=0).fit(X, y)
    finally:
        _progress.configure()
    assert [r.getMessage() for r in caplog.records if r.name == "binn_graph.progress"] == []
