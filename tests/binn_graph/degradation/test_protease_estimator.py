"""ProteaseClassifier as a scikit-learn estimator: parameters, clone, validation, fitted state, seeds; the shared
integrated-gradients core."""

import numpy as np
import pytest
import torch
from sklearn.base import clone, is_classifier

from binn_graph.attribution.path_integral import integrated_gradients, midpoint_alphas, straight_path
from binn_graph.datasets import data_path
from binn_graph.degradation import ProteaseClassifier, build_graph, observed_peptides, read_fasta, simulate
from binn_graph.errors import NotFittedError, ParameterError
from kg.errors import BinnGraphError


@pytest.fixture(scope="module")
def small_digests():
    sequence = read_fasta(str(data_path("peptidome/ACTB_P60709.fasta")))["P60709"]
    graphs, abundances, labels = [], [], []
    for enzyme in ("trypsin", "elastase"):
        for seed in range(3):
            counts, _ = simulate(sequence, enzyme, n_events=60, seed=seed, protein_id="P60709")
            observed = observed_peptides(counts, "P60709")
            graphs.append(build_graph(sequence, observed.index, protein_id="P60709"))
            abundances.append(observed)
            labels.append(enzyme)
    return graphs, abundances, np.array(labels)


def test_params_verbatim_and_clone_round_trip():
    clf = ProteaseClassifier(hidden=8, epochs=3, lr=0.05, batch_size=4, dropout=0.0, random_state=7)
    params = clf.get_params()
    assert params == {"hidden": 8, "epochs": 3, "lr": 0.05, "batch_size": 4, "dropout": 0.0, "random_state": 7}
    twin = clone(clf)
    assert twin is not clf and twin.get_params() == params
    assert clf.set_params(hidden=4) is clf and clf.hidden == 4
    assert is_classifier(clf)
    assert ProteaseClassifier(hidden="many").hidden == "many"  # stored verbatim, checked by fit


@pytest.mark.parametrize("bad", [{"hidden": 0}, {"epochs": 0}, {"lr": 0.0}, {"batch_size": 1.5}, {"dropout": 1.0},
                                 {"hidden": "many"}, {"random_state": "seed"}])
def test_bad_parameter_raises_parameter_error(small_digests, bad):
    graphs, abundances, labels = small_digests
    name = next(iter(bad))
    with pytest.raises(ParameterError, match=f"'{name}' parameter of ProteaseClassifier") as info:
        ProteaseClassifier(**bad).fit(graphs, labels, abundances)
    assert isinstance(info.value, BinnGraphError) and isinstance(info.value, ValueError)


def test_not_fitted(small_digests):
    graphs, abundances, _ = small_digests
    clf = ProteaseClassifier()
    for call in (clf.predict, clf.predict_proba, clf.explain_nodes):
        with pytest.raises(NotFittedError, match="not fitted"):
            call(graphs[:1], abundances[:1])
    assert not hasattr(clf, "model_") and not hasattr(clf, "classes_")


def test_seed_determinism_and_fitted_attributes(small_digests):
    graphs, abundances, labels = small_digests
    a = ProteaseClassifier(hidden=8, epochs=3, batch_size=2, random_state=3).fit(graphs, labels, abundances)
    b = clone(a).fit(graphs, labels, abundances)
    c = ProteaseClassifier(hidden=8, epochs=3, batch_size=2, random_state=4).fit(graphs, labels, abundances)
    assert list(a.classes_) == ["elastase", "trypsin"] and len(a.history_) == 3
    assert a.history_ == b.history_ and a.history_ != c.history_
    np.testing.assert_array_equal(a.predict_proba(graphs, abundances), b.predict_proba(graphs, abundances))
    assert a.predict_proba(graphs, abundances).shape == (len(graphs), 2)


def test_explain_nodes_integrated_gradients_complete(small_digests):
    """Feature importances add up to the log-odds gap between the graph and the all-zero baseline."""
    graphs, abundances, labels = small_digests
    clf = ProteaseClassifier(hidden=8, epochs=3, dropout=0.0, random_state=0).fit(graphs, labels, abundances)
    table = clf.explain_nodes(graphs[:1], abundances[:1], level="feature", steps=64, target="trypsin")
    d = clf._dataset(graphs[:1], abundances[:1])[0]
    f = clf._path_log_odds(d.edge_index, 1)
    with torch.no_grad():
        gap = float(f(torch.stack([d.x, torch.zeros_like(d.x)])) @ torch.tensor([1.0, -1.0]))
    assert table["importance"].sum() == pytest.approx(gap, rel=0.02, abs=1e-3)


def test_path_integral_core():
    assert midpoint_alphas(2).tolist() == [0.25, 0.75]
    x, base = torch.tensor([[2.0, 4.0]]), torch.tensor([[1.0, 0.0]])
    path = straight_path(x, base, torch.tensor([0.0, 0.5, 1.0]))
    assert path.shape == (3, 1, 2) and path[1].tolist() == [[1.5, 2.0]]
    # f = prod of coordinates: IG is exact for this quadratic along the straight path; completeness holds
    ig = integrated_gradients(lambda p: p.prod(-1).sum(-1), x, base, steps=3)
    assert float(ig.sum()) == pytest.approx(8.0 - 0.0)
    with pytest.raises(ValueError, match="steps"):
        midpoint_alphas(0)
