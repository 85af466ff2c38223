"""binn_graph.context.carnival against an exhaustive search on tiny signed graphs (with cycles), sign consistency of
the selected network, multi-sample additivity, unsigned edges, and bad inputs.

The brute force enumerates every choice of at most one signalling parent per node (CarnivalFlow's exclusive signal
paths): a node's sign is its parent's sign times the edge's sign, the chosen edges must form a forest rooted at the
inputs, and the error is Σ |m_v| (1 − sign(m_v) x_v) over the measured nodes some input reaches (CORNETO prunes the
others). Each MILP here solves in well under a second.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from binn_graph.errors import DataValidationError, FeatureMismatchError, GraphStructureError, ParameterError
from kg import KnowledgeGraph

pytest.importorskip("corneto")
from binn_graph.context import ContextWarning, carnival  # noqa: E402

REG = ("protein", "regulates", "protein")


def _graph(edges, signs) -> KnowledgeGraph:
    nodes = sorted({n for e in edges for n in e})
    return (KnowledgeGraph().add_nodes("protein", nodes)
            .add_edges(REG, [s for s, _ in edges], [t for _, t in edges], sign=[float(x) for x in signs]))


def brute_force(edges, signs, inputs: dict, measurements: dict) -> float:
    """Minimum CARNIVAL error by enumerating parent choices (one incoming signal edge per non-input node)."""
    nodes = sorted({n for e in edges for n in e})
    incoming = {v: [None] + [i for i, (_, t) in enumerate(edges) if t == v] for v in nodes}
    free = [v for v in nodes if v not in inputs]
    input_signs = [[int(np.sign(x))] if x != 0 else [1, -1] for x in inputs.values()]
    reach, frontier = set(inputs), list(inputs)  # measured nodes no input reaches are pruned by CORNETO
    while frontier:
        u = frontier.pop()
        for s, t in edges:
            if s == u and t not in reach:
                reach.add(t)
                frontier.append(t)
    best = np.inf
    for in_sign in itertools.product(*input_signs):
        for choice in itertools.product(*(incoming[v] for v in free)):
            parent = dict(zip(free, choice))
            sign = dict(zip(inputs, in_sign))
            ok = True
            for v in free:  # resolve each node by walking up its parent chain (a cycle never reaches an input)
                chain, u, s = [], v, 1
                while u not in sign and parent.get(u) is not None and u not in chain:
                    chain.append(u)
                    e = parent[u]
                    s *= int(signs[e])
                    u = edges[e][0]
                if u in chain or (u not in sign and parent.get(u) is not None):
                    ok = False
                    break
                sign[v] = s * sign[u] if u in sign else 0
                if parent[v] is not None and u not in sign:
                    ok = False
                    break
            if not ok:
                continue
            err = sum(abs(m) * (1 - np.sign(m) * sign.get(v, 0)) for v, m in measurements.items() if v in reach)
            best = min(best, err)
    return float(best)


def _check_consistent(result, graph: KnowledgeGraph, sample: str) -> None:
    """Every selected edge carries its source's sign times its own sign, and its target takes that value."""
    nv = result.node_values[sample]
    table = graph.edges(REG)
    for (_, row), (_, ev) in zip(table.iterrows(), result.edge_values.iterrows()):
        assert (ev["source"], ev["target"]) == (row["source"], row["target"])
        if ev[sample] != 0:
            assert ev[sample] == nv[row["source"]] * row["sign"] == nv[row["target"]]


CYCLE_EDGES = [("L", "A"), ("L", "B"), ("A", "C"), ("B", "C"), ("C", "D"), ("D", "A"), ("B", "E"), ("A", "E")]
CYCLE_SIGNS = [1, 1, 1, -1, 1, -1, -1, 1]


def test_cyclic_graph_matches_brute_force_and_is_sign_consistent():
    measurements = {"C": -2.0, "E": 1.0, "D": -0.5, "A": 3.0}
    g = _graph(CYCLE_EDGES, CYCLE_SIGNS)
    res = carnival(g, pd.Series({"L": 1.0}, name="s1"), pd.Series(measurements, name="s1"))
    expected = brute_force(CYCLE_EDGES, CYCLE_SIGNS, {"L": 1.0}, measurements)
    assert res.objective == pytest.approx(expected, abs=1e-6)
    assert res.status == "optimal" and res.samples == ["s1"]
    _check_consistent(res, g, "s1")
    assert res.graph.num_edges() == int((res.edge_values["s1"] != 0).sum())
    assert any("carnival" in e.what and "objective" in e.what for e in res.graph.report.entries)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_graphs_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    nodes = ["I", "a", "b", "c", "d", "e"]
    pairs = [(s, t) for s in nodes for t in nodes if s != t and t != "I"]
    chosen = [pairs[i] for i in rng.choice(len(pairs), size=9, replace=False)]
    chosen += [("I", "a")] if ("I", "a") not in chosen else []
    signs = list(rng.choice([-1, 1], size=len(chosen)))
    measured = {v: float(rng.normal() * 2) for v in ["b", "c", "d", "e"]}
    free_input = {"I": 0.0} if seed == 2 else {"I": 1.0}  # 0 = the input's sign is left to the solver
    res = carnival(_graph(chosen, signs), pd.Series(free_input), pd.Series(measured))
    assert res.objective == pytest.approx(brute_force(chosen, signs, free_input, measured), abs=1e-6)


def test_many_samples_add_up_when_unregularised():
    g = _graph(CYCLE_EDGES, CYCLE_SIGNS)
    meas = pd.DataFrame({"C": [-2.0, 1.0], "E": [1.0, -1.0], "D": [np.nan, 2.0]}, index=["s1", "s2"])
    joint = carnival(g, pd.Series({"L": 1.0}), meas)
    single = [carnival(g, pd.Series({"L": 1.0}), meas.loc[[s]].dropna(axis=1)).objective for s in meas.index]
    assert joint.samples == ["s1", "s2"]
    assert joint.objective == pytest.approx(sum(single), abs=1e-6)
    assert list(joint.node_values.columns) == ["s1", "s2"]
    for s in joint.samples:
        _check_consistent(joint, g, s)
    assert {e.what: e.count for e in joint.report.entries}["NaN measurements (not measured in that sample)"] == 1


def test_unknown_signs_dropped_or_offered_both_ways():
    signs = [1.0, np.nan]
    g = (KnowledgeGraph().add_nodes("protein", ["L", "A", "T"])
         .add_edges(REG, ["L", "A"], ["A", "T"], sign=signs))
    meas = pd.Series({"A": 1.0, "T": -1.5})
    dropped = carnival(g, pd.Series({"L": 1.0}), meas)
    assert dropped.objective == pytest.approx(0.0)  # T is unreachable: pruned by CORNETO, reported
    assert {e.what: e.count for e in dropped.report.entries}["measured nodes that no input reaches"] == 1
    both = carnival(g, pd.Series({"L": 1.0}), meas, unknown_sign="both")
    assert both.objective == pytest.approx(0.0)
    assert both.edge_values.set_index(["source", "target"]).loc[("A", "T"), "sample"] == -1
    assert {e.what: e.count for e in dropped.report.entries}["edges of unknown sign"] == 1


def test_bad_inputs_get_project_errors():
    g = _graph(CYCLE_EDGES, CYCLE_SIGNS)
    with pytest.warns(ContextWarning, match="nope"):
        res = carnival(g, pd.Series({"L": 1.0, "nope": 1.0}), pd.Series({"C": 1.0}))
    assert {e.what: e.count for e in res.report.entries}["input ids not in the graph"] == 1
    with pytest.raises(FeatureMismatchError, match="nope"):
        carnival(g, pd.Series({"L": 1.0, "nope": 1.0}), pd.Series({"C": 1.0}), strict=True)
    with pytest.raises(GraphStructureError, match="no directed path"):
        carnival(g, pd.Series({"E": 1.0}), pd.Series({"C": 1.0}))
    with pytest.raises(DataValidationError, match="no measured node"):
        carnival(g, pd.Series({"L": 1.0}), pd.Series({"C": np.nan}))
    with pytest.raises(DataValidationError, match="non-numeric"):
        carnival(g, pd.Series({"L": 1.0}), pd.Series({"C": "high"}))
    with pytest.raises(DataValidationError, match="same samples"):
        carnival(g, pd.DataFrame({"L": [1.0, 1.0]}, index=["a", "b"]),
                 pd.DataFrame({"C": [1.0, 1.0]}, index=["a", "c"]))
    with pytest.raises(DataValidationError, match="both an input and a measurement"):
        carnival(g, pd.Series({"L": 1.0}), pd.Series({"L": 1.0, "C": 1.0}))
    with pytest.raises(ParameterError, match="lambda_reg"):
        carnival(g, pd.Series({"L": 1.0}), pd.Series({"C": 1.0}), lambda_reg=-1)
    with pytest.raises(GraphStructureError, match="no signed edge type"):
        unsigned = KnowledgeGraph().add_nodes("protein", ["A", "B"]).add_edges(
            ("protein", "interacts_with", "protein"), ["A"], ["B"])
        carnival(unsigned, pd.Series({"A": 1.0}), pd.Series({"B": 1.0}))
