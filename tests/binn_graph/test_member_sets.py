"""``member_z`` of ``explain``: equal to its plain definition from the graph, per method and layout."""

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from binn_graph import BINNClassifier, explain
from binn_graph.attribution.member_sets import member_inputs, member_z


@pytest.fixture(scope="module")
def fitted(synth_graph, planted):
    X, y = planted  # the label is driven by the ten proteins of leaf pathway L3
    settings = {"dag": {}, "layered": {"mode": "layered", "n_levels": 3}}
    return {layout: BINNClassifier(synth_graph, max_epochs=20, random_state=0, **kw).fit(X, y)
            for layout, kw in settings.items()}, X


@pytest.mark.parametrize("layout", ["dag", "layered"])
@pytest.mark.parametrize("method", ["clamp", "integrated_gradients"])
def test_member_z_equals_its_definition(fitted, layout, method):
    models, X = fitted
    clf = models[layout]
    table = explain(clf, X.iloc[:60], method=method).set_index("node_id")
    arch = clf.model_.architecture
    g = nx.DiGraph()
    g.add_nodes_from(range(len(arch.nodes)))
    g.add_edges_from(zip(arch.edges["source"], arch.edges["target"]))
    inputs = arch.nodes.index[arch.nodes["level"] == 0]
    x = table.loc[arch.nodes.loc[inputs, "node_id"], "importance"].to_numpy()
    x = (x - x.mean()) / x.std(ddof=1)
    ids = arch.nodes["node_id"].to_numpy()
    position = {v: i for i, v in enumerate(arch.nodes.loc[inputs, "node_id"])}
    checked = 0
    for node, row in table.iterrows():
        if row["node_type"] == "output":
            continue
        v = int(np.flatnonzero(ids == node)[0])
        members = [position[ids[a]] for a in nx.ancestors(g, v) | {v} if a in set(inputs)]
        expected = x[members].sum() / np.sqrt(len(members))
        assert row["member_z"] == pytest.approx(expected, rel=1e-9, abs=1e-9), node
        checked += 1
    assert checked == len(arch.nodes) - 1
    pathways = table[table["node_type"] == "pathway"]
    assert pathways["member_z"].idxmax() == "L3"  # exactly the important inputs; its ancestors dilute them


def test_member_z_without_input_scores_is_missing(fitted):
    models, X = fitted
    table = explain(models["dag"], X.iloc[:40], method="clamp", include_inputs=False)
    assert table["member_z"].isna().all() and table["member_rank"].isna().all()


def test_member_z_of_a_constant_importance_is_missing():
    assert np.isnan(member_z(sp.csr_matrix(np.eye(3, dtype=bool)), np.ones(3))).all()


def test_member_inputs_of_an_architecture(fitted):
    models, _ = fitted
    arch = models["dag"].model_.architecture
    members = member_inputs(arch)
    ids = arch.nodes["node_id"].to_numpy()
    inputs = ids[arch.nodes["level"].to_numpy() == 0]
    column = members[:, int(np.flatnonzero(ids == "L3")[0])].toarray().ravel()
    assert sorted(inputs[column]) == sorted(f"x{i}" for i in range(3, 100, 10))
