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

With ``n_null`` refits the smallest possible p is ``1/(n_null + 1)``. After Benjamini–Hochberg over ``m`` tested
nodes a node on its own reaches ``q ≤ α`` only when ``m/(n_null + 1) ≤ α``, that is ``n_null ≥ m/α − 1``
(:func:`null_power`); :func:`~binn_graph.attribution.explain` warns when fewer refits are asked for and says what
would do (more refits, or testing fewer nodes: pathways only).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone

from ..errors import BINNError

__all__ = ["null_pvalues", "null_power", "rewire_inputs"]


_NOTHING_TO_REWIRE = ("null='rewire' rewires the graph relations that feed the inputs into the network, but this "
                      "model's inputs reach it through none; use null='permute'")


def _input_relations(graph, architecture) -> list:
    return [t for t in architecture.input_edge_types() if t in graph.edge_types]


def rewire_inputs(graph, architecture, seed: int):
    """``graph`` with every relation that feeds the architecture's inputs into the network rewired degree-preservingly.

    Each relation gets its own seed (``seed``, ``seed + 1``, ...). Raises :class:`~binn_graph.errors.BINNError` when
    the inputs reach the network through no graph relation.
    """
    relations = _input_relations(graph, architecture)
    if not relations:
        raise BINNError(_NOTHING_TO_REWIRE)
    for j, relation in enumerate(relations):
        graph = graph.rewire(relation, seed=seed + j)
    return graph


def null_power(n_tested: int, n_null: int, alpha: float = 0.1) -> dict:
    """What ``n_null`` refits can show after Benjamini–Hochberg over ``n_tested`` nodes at the q-level ``alpha``.

    Returns ``min_p`` (``1/(n_null + 1)``), ``min_q_single`` (the q of a node that alone beats every refit:
    ``min(1, n_tested·min_p)``), ``needed_n_null`` (the fewest refits for which one such node reaches
    ``q ≤ alpha``: ``⌈n_tested/alpha⌉ − 1``), ``needed_nodes`` (how many nodes must all beat every refit to
    reach ``q ≤ alpha`` with ``n_null`` refits; more than ``n_tested`` means never) and ``reachable`` (whether
    ``n_null ≥ needed_n_null``).

    >>> null_power(1000, 20, 0.1)["needed_n_null"]
    9999
    >>> null_power(10, 99, 0.1)["reachable"], null_power(10, 98, 0.1)["reachable"]
    (True, False)
    """
    if n_tested < 1:
        raise ValueError(f"n_tested must be at least 1, not {n_tested}")
    min_p = 1.0 / (n_null + 1)
    needed = max(int(np.ceil(n_tested / alpha - 1e-9)) - 1, 1)
    return {"n_tested": int(n_tested), "n_null": int(n_null), "alpha": float(alpha), "min_p": min_p,
            "min_q_single": min(1.0, n_tested * min_p), "needed_n_null": needed,
            "needed_nodes": int(np.ceil(n_tested * min_p / alpha - 1e-9)), "reachable": n_null >= needed}


def null_pvalues(estimator, observed: pd.DataFrame, X_eval, X_train, y_train, *, method: str, normalize,
                 null: str, n_null: int, random_state, options: dict, n_jobs: int | None = None) -> np.ndarray:
    """Empirical p-value of every row of ``observed`` from ``n_null`` refits of ``estimator`` on a null.

    ``null`` is ``"rewire"`` (:func:`rewire_inputs`) or ``"permute"`` (permuted ``y_train``); each refit is
    explained on ``X_eval`` with the same ``method``, ``normalize`` and ``options``. Rows are matched by node id
    (and output); a row absent from every null fit gets NaN. ``n_jobs`` runs the refits through
    :func:`binn_graph.parallel.run_tasks`: every refit's seed (and permutation) is drawn here first, in the
    sequential order, so any ``n_jobs`` gives exactly the sequential p-values (default: the estimator's
    ``n_jobs``).
    """
    from ..parallel import run_tasks

    if n_jobs is None:
        n_jobs = getattr(estimator, "n_jobs", None)
    rng = np.random.default_rng(random_state)
    key = ["node_id"] + (["output"] if "output" in observed.columns else [])
    index = pd.MultiIndex.from_frame(observed[key])
    if null == "rewire" and not _input_relations(estimator.graph, estimator.architecture_):
        raise BINNError(_NOTHING_TO_REWIRE)  # before the first refit
    tasks = []
    for _ in range(n_null):  # the draws of the sequential loop, in its order
        seed = int(rng.integers(0, 2**31 - 1))
        perm = rng.permutation(len(y_train)) if null != "rewire" else None
        tasks.append((estimator, seed, perm, null, X_eval, X_train, y_train, method, normalize, options, key, index))
    values = run_tasks(_null_refit, tasks, n_jobs=n_jobs, star=True, threads=getattr(estimator, "n_threads", 1),
                       names=[f"null refit {i} (seed {t[1]})" for i, t in enumerate(tasks)], desc=f"null ({null})",
                       unit="refit")
    obs = observed["normalized_importance"].to_numpy(dtype=float)
    exceed, counted = np.zeros(len(index)), np.zeros(len(index))
    for v in values:
        present = ~np.isnan(v)
        exceed[present] += (v[present] >= obs[present]).astype(float)
        counted[present] += 1.0
    p = (1.0 + exceed) / (1.0 + counted)
    p[counted == 0] = np.nan
    return p


def _null_refit(estimator, seed: int, perm, null: str, X_eval, X_train, y_train, method: str, normalize,
                options: dict, key: list, index: pd.MultiIndex) -> np.ndarray:
    """One null refit: the normalised importance of every row of ``index`` (NaN where the null fit lacks it)."""
    from .explain import explain

    model = clone(estimator).set_params(random_state=seed)
    y = y_train
    if null == "rewire":  # every relation that feeds the first latent nodes, each with its own seed
        model.set_params(graph=rewire_inputs(estimator.graph, estimator.architecture_, seed))
    else:
        y = (y_train.iloc[perm].set_axis(y_train.index) if isinstance(y_train, pd.Series)
             else np.asarray(y_train)[perm])
    model.fit(X_train, y)
    table = explain(model, X_eval, method=method, normalize=normalize, **options)
    values = pd.Series(table["normalized_importance"].to_numpy(), index=pd.MultiIndex.from_frame(table[key]))
    return values.reindex(index).to_numpy(dtype=float)
