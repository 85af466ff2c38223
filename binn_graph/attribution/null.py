"""Empirical null distributions of node importance: refit on rewired graphs or on permuted labels.

The rewired null rewires, degree-preservingly, every graph relation that carries the inputs into the network
(:meth:`~binn_graph.architecture.Architecture.input_edge_types`: ``protein member_of pathway`` for proteomics,
``snp affects gene`` for genomic BINNs, all of them for several input types). For each of ``n_null`` refits (same
hyper-parameters, a different seed), importances are recomputed on the same
evaluation samples and matched to the observed ones by node id. The empirical p-value of a node is
``(1 + #{null ≥ observed}) / (1 + n_null)`` on the normalised importance (Phipson & Smyth 2010); q-values are
Benjamini–Hochberg (``scipy.stats.false_discovery_control``). A node that exists in only some null architectures
(rewiring can move all members of a pathway elsewhere) is compared with the fits that have it; a node in none of
them gets NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone
from tqdm.auto import tqdm

from ..errors import BINNError

__all__ = ["null_pvalues"]


def null_pvalues(estimator, observed: pd.DataFrame, X_eval, X_train, y_train, *, method: str, normalize,
                 null: str, n_null: int, random_state, options: dict) -> np.ndarray:
    from .explain import explain

    rng = np.random.default_rng(random_state)
    key = ["node_id"] + (["output"] if "output" in observed.columns else [])
    exceed = pd.Series(0.0, index=pd.MultiIndex.from_frame(observed[key]))
    counted = pd.Series(0.0, index=exceed.index)
    obs = pd.Series(observed["normalized_importance"].to_numpy(), index=exceed.index)
    relations = [t for t in estimator.architecture_.input_edge_types() if t in estimator.graph.edge_types]
    if null == "rewire" and not relations:
        raise BINNError("null='rewire' rewires the graph relations that feed the inputs into the network, but this "
                        "model's inputs reach it through none; use null='permute'")
    for i in tqdm(range(n_null), desc=f"null ({null})", leave=False, disable=None):
        seed = int(rng.integers(0, 2**31 - 1))
        model = clone(estimator).set_params(random_state=seed)
        y = y_train
        if null == "rewire":  # every relation that feeds the first latent nodes, each with its own seed
            graph = estimator.graph
            for j, relation in enumerate(relations):
                graph = graph.rewire(relation, seed=seed + j)
            model.set_params(graph=graph)
        else:
            perm = rng.permutation(len(y_train))
            y = (y_train.iloc[perm].set_axis(y_train.index) if isinstance(y_train, pd.Series)
                 else np.asarray(y_train)[perm])
        model.fit(X_train, y)
        table = explain(model, X_eval, method=method, normalize=normalize, **options)
        values = pd.Series(table["normalized_importance"].to_numpy(), index=pd.MultiIndex.from_frame(table[key]))
        values = values.reindex(exceed.index)
        present = values.notna()
        exceed[present] += (values[present] >= obs[present]).astype(float)
        counted[present] += 1.0
    p = (1.0 + exceed) / (1.0 + counted)
    p[counted == 0] = np.nan
    return p.to_numpy()
