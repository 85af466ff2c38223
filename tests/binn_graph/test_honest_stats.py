"""Honest statistics: the null's power is warned about exactly when too few refits are asked for, rank stability is
Kendall τ on the rankings with a flag when low, and explain tables come back sorted by rank."""

import warnings
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import false_discovery_control, kendalltau

import binn_graph.attribution.null as null_module
from binn_graph import BINNClassifier, explain
from binn_graph.attribution import explain_ensemble
from binn_graph.attribution.null import null_power
from binn_graph.attribution.stability import LOW_TAU, add_stability, rank_stability
from binn_graph.errors import BINNError

from .conftest import synthetic_graph


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(120, 20)), columns=[f"x{i}" for i in range(20)],
                     index=[f"s{i}" for i in range(120)])
    y = pd.Series(np.where(X["x3"] + 0.3 * rng.normal(size=120) > 0, "case", "control"), index=X.index)
    graph = synthetic_graph(20, 4)
    clf = BINNClassifier(graph, max_epochs=8, random_state=0).fit(X, y)
    return clf, X, y


def _fake_pvalues(monkeypatch, value=0.5):
    """Skip the refits: every tested node gets the same p-value (the warning is decided before any refit)."""
    monkeypatch.setattr(null_module, "null_pvalues", lambda estimator, observed, *a, **k: np.full(len(observed), value))


def _power_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught if "cannot reach q" in str(w.message)]


def test_null_power_matches_the_bh_bound():
    for m, alpha in [(1, 0.1), (10, 0.1), (1548, 0.1), (1088, 0.05), (7, 0.2)]:
        power = null_power(m, 1, alpha)
        needed = power["needed_n_null"]
        # the smallest q of a node that alone beats every refit is m/(n+1): the bound is the first n reaching alpha
        assert m / (needed + 1) <= alpha + 1e-12
        assert needed == 1 or m / needed > alpha
        assert null_power(m, needed, alpha)["reachable"] and not null_power(m, needed - 1, alpha)["reachable"]
    p = null_power(1548, 20, 0.1)
    assert p["min_p"] == pytest.approx(1 / 21) and p["min_q_single"] == 1.0 and p["needed_n_null"] == 15479
    assert p["needed_nodes"] == int(np.ceil(1548 / 21 / 0.1))  # nodes that must all beat every refit together


def test_warning_fires_exactly_when_n_null_is_too_small(fitted, monkeypatch):
    clf, X, y = fitted
    _fake_pvalues(monkeypatch)
    m = len(explain(clf, X))
    pathways = int((explain(clf, X)["node_type"] == "pathway").sum())
    needed = 10 * m - 1  # alpha = 0.1: m / (n + 1) <= 0.1
    for n_null, warns in [(needed - 1, True), (needed, False), (2, True)]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            table = explain(clf, X, null="rewire", n_null=n_null, X_train=X, y_train=y)
        texts = _power_warnings(caught)
        assert len(texts) == int(warns), n_null
        info = table.attrs["null"]
        assert info["n_tested"] == m and info["needed_n_null"] == needed and info["reachable"] is (not warns)
        assert (info["warning"] is not None) is warns
        if warns:  # says what would do: the refits needed, and testing pathways only
            assert f"n_null={n_null} refits" in texts[0] and f"n_null ≥ m/α − 1 = {needed}" in texts[0]
            assert f"pathways only (null_types='pathway': {pathways} nodes) needs n_null ≥ {10 * pathways - 1}" \
                in texts[0]
    # testing pathways only: the bound follows the smaller m, and only pathways get p and q
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = explain(clf, X, null="rewire", n_null=10 * pathways - 1, null_types="pathway", X_train=X, y_train=y)
    assert not _power_warnings(caught)
    assert table.attrs["null"]["n_tested"] == pathways and table.attrs["null"]["null_types"] == ["pathway"]
    assert table.loc[table["node_type"] == "pathway", "p_value"].notna().all()
    assert table.loc[table["node_type"] != "pathway", ["p_value", "q_value"]].isna().all().all()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        explain(clf, X, null="permute", n_null=10 * pathways - 2, null_types=["pathway"], X_train=X, y_train=y)
    assert len(_power_warnings(caught)) == 1 and "pathways only" not in _power_warnings(caught)[0]
    with pytest.raises(BINNError, match="null_types.*gene"):
        explain(clf, X, null="rewire", n_null=2, null_types="gene", X_train=X, y_train=y)
    with pytest.raises(BINNError, match="alpha"):
        explain(clf, X, null="rewire", n_null=2, alpha=1.5, X_train=X, y_train=y)


def test_real_null_on_pathways_only(fitted):
    clf, X, y = fitted
    with pytest.warns(UserWarning, match="cannot reach q"):
        table = explain(clf, X, null="rewire", n_null=2, null_types="pathway", X_train=X, y_train=y)
    pathways = table[table["node_type"] == "pathway"]
    p = pathways["p_value"].dropna()
    assert len(p) >= len(pathways) - 1 and (p >= 1 / 3 - 1e-12).all()
    np.testing.assert_allclose(pathways.loc[p.index, "q_value"], false_discovery_control(p.to_numpy(), method="bh"))
    info = table.attrs["null"]
    assert info["n_significant"] == int((table["q_value"] <= 0.1).sum()) == 0
    assert info["min_q"] == pytest.approx(table["q_value"].min())


def test_tables_are_sorted_by_rank(fitted):
    clf, X, y = fitted
    table = explain(clf, X)
    assert table["rank"].is_monotonic_increasing and table.index.equals(pd.RangeIndex(len(table)))
    assert table["rank"].iloc[0] == 1
    multi = BINNClassifier(synthetic_graph(20, 4), max_epochs=3, random_state=0)
    labels = pd.Series(np.array(["a", "b", "c"])[np.arange(len(X)) % 3], index=X.index)
    multi.fit(X, labels)
    table = explain(multi, X)
    assert table["output"].nunique() == 3
    for _, part in table.groupby("output", sort=False):  # sorted within each output, outputs kept together
        assert part["rank"].is_monotonic_increasing
        assert part.index.to_numpy().tolist() == list(range(part.index[0], part.index[0] + len(part)))


def _tau_on_ranks(a: pd.DataFrame, b: pd.DataFrame) -> float:
    both = a[["node_id", "rank"]].merge(b[["node_id", "rank"]], on="node_id", suffixes=("", "_b")).dropna()
    return kendalltau(both["rank"].astype(float), both["rank_b"].astype(float)).statistic


def test_kendall_tau_is_scipy_on_the_rankings(fitted):
    clf, X, y = fitted
    per_node, tau, tables = explain_ensemble(BINNClassifier(synthetic_graph(20, 4), max_epochs=8), X, y,
                                             seeds=(0, 1, 2))
    summary = per_node.attrs["stability"]
    expected = [_tau_on_ranks(tables[i], tables[j]) for i, j in combinations(range(3), 2)]
    np.testing.assert_allclose(summary["taus"], expected, rtol=1e-12)
    assert summary["mean_tau"] == pytest.approx(np.mean(expected))
    assert summary["low"] is bool(np.mean(expected) < LOW_TAU)
    assert summary["n_runs"] == 3 and f"across 3 runs: Kendall τ mean {np.mean(expected):.3f}" in summary["message"]
    # add_stability: per-node rank spread beside the ranking, order kept, summary in attrs
    annotated = add_stability(tables[0], tables)
    assert annotated["node_id"].tolist() == tables[0]["node_id"].tolist()
    ranks = pd.concat([t.set_index("node_id")["rank"].astype(float) for t in tables], axis=1)
    np.testing.assert_allclose(annotated.set_index("node_id")["rank_sd"], ranks.std(axis=1, ddof=1).loc[
        annotated["node_id"]])
    assert annotated.attrs["stability"]["taus"] == summary["taus"]


def test_low_stability_is_flagged():
    rng = np.random.default_rng(0)
    base = pd.DataFrame({"node_type": "protein", "node_id": [f"n{i}" for i in range(40)], "name": None, "level": 0})

    def run(values):
        t = base.assign(normalized_importance=values)
        return t.assign(rank=t["normalized_importance"].rank(ascending=False, method="min").astype("Int64"))

    same = rng.random(40)
    steady = rank_stability([run(same), run(same + 1e-3 * rng.random(40)), run(same)])
    assert not steady["low"] and steady["mean_tau"] > 0.9 and "LOW" not in steady["message"]
    noisy = rank_stability([run(rng.random(40)) for _ in range(3)])
    assert noisy["low"] and noisy["mean_tau"] < LOW_TAU and "LOW (below 0.5)" in noisy["message"]
    # the flag is mean τ < threshold
    assert rank_stability([run(rng.random(40)) for _ in range(2)], threshold=-1.0)["low"] is False
    assert rank_stability([run(same), run(same)], threshold=1.0)["low"] is False
    assert rank_stability([run(same), run(same)], threshold=1.0 + 1e-9)["low"] is True


def test_exported_graph_records_the_null_and_stability(fitted):
    from binn_graph.attribution import write_importances

    clf, X, y = fitted
    table = explain(clf, X)
    table.attrs["null"] = {"null": "rewire", "alpha": 0.1, "n_null": 2, "n_significant": 0, "warning": "too few"}
    table.attrs["stability"] = {"message": "rank stability across 3 runs: Kendall τ mean 0.21 — LOW", "n_runs": 3}
    graph = write_importances(synthetic_graph(20, 4), table)
    notes = {e.what: e for e in graph.report.entries if e.source == "attribution"}
    assert notes["nodes with q ≤ 0.1 against the rewire null (2 refits)"].reason == "too few"
    assert notes["rank stability across 3 runs: Kendall τ mean 0.21 — LOW"].count == 3
