"""A planted-pathway classification study on a real pathway hierarchy (for example full human Reactome).

One pathway with exactly ``depth`` ancestors and 10–25 direct protein members is planted: the label of each sample
is the sign of the mean ``tanh`` of its members' values plus Gaussian noise (sd 0.3 × the score's sd). The inputs are
those members plus random other proteins of the graph, all N(0, 1). Used by the most-specific-driver test and its
benchmark (``benchmarks/bench_specific_driver.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kg import KnowledgeGraph

from ..errors import ParameterError

__all__ = ["PlantedPathwayStudy", "planted_pathway_study"]

MEMBER = ("protein", "member_of", "pathway")


@dataclass
class PlantedPathwayStudy:
    """Data and ground truth of :func:`planted_pathway_study`."""

    X: pd.DataFrame  # samples × proteins, N(0, 1)
    y: pd.Series  # "case" / "control"
    planted: str  # the planted pathway's id
    members: list[str]  # its direct protein members (all among X's columns)
    ancestors: set[str]  # pathways above it: they relay its signal
    overlapping: set[str]  # pathways holding any planted member (directly or below): they carry part of the signal


def planted_pathway_study(graph: KnowledgeGraph, seed: int, depth: int, *, n_inputs: int = 600, n: int = 800,
                          size: tuple[int, int] = (10, 25)) -> PlantedPathwayStudy:
    """Draw one planted study: a pathway with ``depth`` ancestors and ``size`` direct members, ``n`` samples.

    Raises :class:`~binn_graph.errors.ParameterError` when the graph has no pathway of that depth and size.
    """
    rng = np.random.default_rng(seed)
    member = graph.edges(MEMBER)
    sizes = member.groupby("target").size()
    ancestors = {p: graph.ancestors(p) for p in sizes[(sizes >= size[0]) & (sizes <= size[1])].index}
    candidates = sorted(p for p, a in ancestors.items() if len(a) == depth)
    if not candidates:
        raise ParameterError(f"depth={depth}, size={size}: no pathway of the graph has {depth} ancestors and "
                             f"{size[0]}-{size[1]} direct members; choose another depth or size")
    planted = candidates[rng.integers(len(candidates))]
    members = sorted(member.loc[member["target"] == planted, "source"])
    others = sorted(set(graph.node_ids("protein")) - set(members))
    columns = sorted(set(members) | set(rng.choice(others, n_inputs - len(members), replace=False)))
    X = pd.DataFrame(rng.normal(size=(n, len(columns))), columns=columns, index=[f"s{i}" for i in range(n)])
    score = np.tanh(X[members]).mean(axis=1)
    y = pd.Series(np.where(score + 0.3 * score.std() * rng.normal(size=n) > 0, "case", "control"), index=X.index)
    closure = graph.member_closure("protein")
    overlapping = set(closure.loc[closure["member"].isin(members), "pathway"])
    return PlantedPathwayStudy(X, y, planted, members, set(ancestors[planted]), overlapping)
