"""``binn_graph.explain``: one table of node importances for any method, with bias correction and a null model."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control

from ..errors import BINNError, ParameterError
from ..threads import intra_op_threads
from ._context import ExplainContext, make_context
from .clamp import clamp_scores
from .gradients import path_attributions
from .member_sets import member_inputs, member_z
from .normalize import connectivity_scale
from .specificity import variation_shares

__all__ = ["explain", "explain_edges", "METHODS"]

METHODS = ("clamp", "ablation", "integrated_gradients", "layer_conductance")
COLUMNS = ["node_type", "node_id", "name", "full_name", "level", "importance", "normalized_importance",
           "specific_importance", "inherited_share", "inherited_from", "driver", "member_z", "rank", "specific_rank",
           "member_rank"]


def _scores(ctx: ExplainContext, method: str, options: dict) -> np.ndarray:
    """``[n_nodes, T]`` importance per node and output."""
    if method in ("clamp", "ablation"):
        return clamp_scores(ctx, mode=method, a=options.get("a", 1.0),
                            include_inputs=options.get("include_inputs", True))
    node, _, _, _ = path_attributions(ctx, steps=options.get("steps", 50), edges=False)
    return np.abs(node).mean(axis=0)


def _table(ctx: ExplainContext, scores: np.ndarray, normalize: str | None) -> pd.DataFrame:
    nodes = ctx.nodes
    frames = []
    scale = connectivity_scale(ctx.architecture, normalize)
    keep = (nodes["node_type"] != "output").to_numpy()
    shares = variation_shares(ctx)
    ids = nodes["node_id"].to_numpy()
    source = shares["inherited_from"].to_numpy()
    inherited = np.clip(shares["inherited_share"].to_numpy(), 0.0, 1.0)
    members = member_inputs(ctx.architecture)
    inputs = (nodes["level"] == 0).to_numpy()
    for t, name in enumerate(ctx.output_names):
        normalized = scores[:, t] / scale
        frame = pd.DataFrame({
            "node_type": nodes["node_type"].to_numpy(), "node_id": ids,
            "name": nodes["name"].to_numpy(), "full_name": nodes["full_name"].to_numpy(),
            "level": nodes["level"].to_numpy(),
            "importance": scores[:, t], "normalized_importance": normalized,
            "specific_importance": normalized * (1.0 - inherited),
            "inherited_share": inherited, "inherited_from": np.where(source >= 0, ids[np.maximum(source, 0)], None),
            "driver": ids[_drivers(source, inherited)],
            "member_z": member_z(members, scores[inputs, t]),
        })[keep]
        frame["rank"] = frame["normalized_importance"].rank(ascending=False, method="min").astype("Int64")
        frame["specific_rank"] = frame["specific_importance"].rank(ascending=False, method="min").astype("Int64")
        frame["member_rank"] = frame["member_z"].rank(ascending=False, method="min").astype("Int64")
        if len(ctx.output_names) > 1:
            frame["output"] = name
        frames.append(frame.sort_values("rank", kind="stable", na_position="last"))  # most important first
    return pd.concat(frames, ignore_index=True)


def _drivers(source: np.ndarray, inherited: np.ndarray) -> np.ndarray:
    """Per node, the node reached by following ``inherited_from`` while more than half is inherited."""
    step = np.where((inherited > 0.5) & (source >= 0), source, np.arange(len(source)))
    for _ in range(len(step)):  # pointer jumping: depth doubles each round
        nxt = step[step]
        if np.array_equal(nxt, step):
            break
        step = nxt
    return step


def explain(model, X, method: str = "clamp", *, normalize: str | None = "fan", null: str | None = None,
            n_null: int = 20, X_train=None, y_train=None, random_state: int | None = 0, alpha: float = 0.1,
            null_types=None, **options) -> pd.DataFrame:
    """Importance of every node (inputs, pathways, copies) of a fitted BINN on the evaluation data ``X``.

    Parameters
    ----------
    model:
        A fitted :class:`~binn_graph.BINNClassifier` / :class:`~binn_graph.BINNRegressor`, or a
        :class:`~binn_graph.BINN` module (then ``X`` is in the module's input order and units), or a fitted
        :class:`~binn_graph.degradation.ProteaseClassifier` (then ``X`` is a list of degradation graphs, options
        ``abundances``, ``level="node"|"feature"``, ``target``; ``clamp`` means node ablation there).
    X:
        Evaluation samples (a DataFrame whose columns are matched by name).
    method:
        ``"clamp"`` (Algorithm 1 of Kontolati et al. 2025; option ``a``, default 1),
        ``"ablation"`` (set a node to its mean), ``"integrated_gradients"`` (inputs: integrated gradients;
        latent nodes: their conductance; option ``steps``, default 50) or ``"layer_conductance"`` (the same path
        integral, named after the latent-node view). Option ``include_inputs`` (clamp/ablation, default True).
    normalize:
        ``"fan"``, ``"subgraph"`` or ``None``; see :mod:`binn_graph.attribution.normalize`.
    null:
        ``None``, ``"rewire"`` (refit on degree-preserving rewired graphs) or ``"permute"`` (refit on permuted
        labels); adds empirical ``p_value`` and Benjamini–Hochberg ``q_value`` columns. Needs ``X_train`` and
        ``y_train`` and a fitted estimator.
    n_null:
        Number of null refits. The smallest possible p is ``1/(n_null + 1)``; a warning says when ``n_null`` is too
        small for any node to reach ``q ≤ alpha`` after Benjamini–Hochberg over the tested nodes, and what would
        (:func:`~binn_graph.attribution.null.null_power`).
    alpha:
        The q-level the null is judged at (the warning, and ``attrs["null"]["n_significant"]``).
    null_types:
        Node types tested against the null (a type or a list; default every type). Fewer tested nodes need fewer
        refits: ``null_types="pathway"`` tests pathways only; other rows get NaN p- and q-values.

    Returns
    -------
    DataFrame sorted by ``rank`` (per output), one row per node (and per output for multi-output models):
    ``node_type``, ``node_id``, ``name`` (gene symbol or pathway name), ``full_name`` (the HGNC name of a human gene
    or protein, else missing), ``level``, ``importance``, ``normalized_importance``, ``rank``
    (1 = most important by the normalised score),
    and whether a node carries its signal itself or inherits it from a child
    (:mod:`binn_graph.attribution.specificity`): ``inherited_share`` (largest share of the node's input variation
    from one child), ``inherited_from`` (that child), ``driver`` (the most specific node the signal comes from),
    ``specific_importance`` (normalised importance × (1 − inherited share)) and ``specific_rank``;
    which member set explains the important inputs (:mod:`binn_graph.attribution.member_sets`): ``member_z`` (the
    standardised mean importance of the inputs that reach the node; NaN without input scores) and ``member_rank``
    (1 = highest ``member_z``; it finds a driving pathway even where the model routes the signal through an
    overlapping sibling and gives the pathway itself importance ~0); plus ``output``
    for multi-output models and ``p_value``/``q_value`` when a null is run. With a null, ``attrs["null"]`` holds
    its summary: ``null``, ``n_null``, ``alpha``, ``null_types``, ``n_tested``, ``min_p``, ``needed_n_null``,
    ``reachable``, ``n_significant`` (rows with ``q ≤ alpha``), ``min_q`` and the ``warning`` text (or None).
    """
    if callable(getattr(model, "explain_nodes", None)):  # graph classifiers (e.g. degradation.ProteaseClassifier)
        return model.explain_nodes(X, method="ablation" if method in ("clamp", "ablation") else method, **options)
    if method not in METHODS:
        raise ParameterError(f"unknown attribution method {method!r}; choose one of {', '.join(METHODS)}")
    if normalize not in (None, "fan", "subgraph"):
        raise ParameterError(f"normalize must be 'fan', 'subgraph' or None, not {normalize!r}")
    if null not in (None, "rewire", "permute"):
        raise ParameterError(f"null must be None, 'rewire' or 'permute', not {null!r}")
    if null is not None and (X_train is None or y_train is None):
        raise BINNError(f"null={null!r} refits the model {n_null} times and needs the training data: "
                        "pass X_train= and y_train=")
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha (the q-level) must lie in (0, 1), not {alpha!r}")
    ctx = make_context(model, X)
    with intra_op_threads(getattr(ctx.estimator, "n_threads", None)):
        table = _table(ctx, _scores(ctx, method, options), normalize)
    if null is not None:
        from .null import null_power, null_pvalues

        if ctx.estimator is None:
            raise BINNError("a null model refits the estimator; pass the fitted BINNClassifier/BINNRegressor, "
                            "not the bare module")
        tested = _tested_rows(table, null_types)
        first = _first_output(table)
        power = null_power(int((tested & first).sum()), n_null, alpha)
        pathways = int(((table["node_type"] == "pathway").to_numpy() & first).sum())
        power["warning"] = None if power["reachable"] else _power_warning(power, null_types, pathways)
        if power["warning"]:
            warnings.warn(power["warning"], UserWarning, stacklevel=2)
        p = null_pvalues(ctx.estimator, table, X, X_train, y_train, method=method, normalize=normalize,
                         null=null, n_null=n_null, random_state=random_state, options=options)
        table["p_value"] = np.where(tested, p, np.nan)
        table["q_value"] = np.nan
        for _, idx in table.groupby(table.get("output", pd.Series(0, index=table.index))).groups.items():
            values = table.loc[idx, "p_value"]
            ok = values.notna()
            table.loc[values.index[ok], "q_value"] = false_discovery_control(values[ok].to_numpy(), method="bh")
        q = table["q_value"]
        table.attrs["null"] = {"null": null, **power, "null_types": _types_list(null_types),
                               "n_significant": int((q <= alpha).sum()),
                               "min_q": float(q.min()) if q.notna().any() else None}
    return table


def _types_list(null_types) -> list[str] | None:
    return None if null_types is None else [null_types] if isinstance(null_types, str) else list(null_types)


def _tested_rows(table: pd.DataFrame, null_types) -> np.ndarray:
    types = _types_list(null_types)
    if types is None:
        return np.ones(len(table), dtype=bool)
    unknown = sorted(set(types) - set(table["node_type"]))
    if unknown:
        raise BINNError(f"null_types {unknown} name no node type of this model; its types are "
                        f"{', '.join(sorted(table['node_type'].unique()))}")
    return table["node_type"].isin(types).to_numpy()


def _first_output(table: pd.DataFrame) -> np.ndarray:
    """Rows of the first output (every row for a single-output table): the nodes one correction runs over."""
    if "output" not in table.columns:
        return np.ones(len(table), dtype=bool)
    return (table["output"] == table["output"].iloc[0]).to_numpy()


def _power_warning(power: dict, null_types, pathways: int) -> str:
    """Why ``n_null`` refits cannot give ``q ≤ alpha``, and what would."""
    from .null import null_power

    m, n, alpha = power["n_tested"], power["n_null"], power["alpha"]
    what = "nodes" if null_types is None else "/".join(_types_list(null_types)) + " nodes"
    text = (f"n_null={n} refits cannot reach q ≤ {alpha:g} for a single node: the smallest p is 1/(n_null+1) = "
            f"{power['min_p']:.3g}, and Benjamini–Hochberg over {m} tested {what} makes that q = "
            f"{power['min_q_single']:.3g}")
    if power["needed_nodes"] <= m:
        text += f" (unless at least {power['needed_nodes']} nodes all beat every refit)"
    text += f". One discovery needs n_null ≥ m/α − 1 = {power['needed_n_null']}"
    if _types_list(null_types) != ["pathway"] and 0 < pathways < m:
        text += (f"; testing pathways only (null_types='pathway': {pathways} nodes) needs n_null ≥ "
                 f"{null_power(pathways, n, alpha)['needed_n_null']}")
    return text + "."


def explain_edges(model, X, *, steps: int = 50) -> pd.DataFrame:
    """Importance flowing along every edge: mean over samples of ``|edge flow|`` (see :mod:`.gradients`).

    A model with its own ``explain_edges(X)`` (a cyclic signalling network, whose edges are not BINN levels) is
    asked for it.
    """
    if callable(getattr(model, "explain_edges", None)):
        return model.explain_edges(X)
    ctx = make_context(model, X)
    with intra_op_threads(getattr(ctx.estimator, "n_threads", None)):
        _, flow, frame, _ = path_attributions(ctx, steps=steps, edges=True)
    ids = ctx.nodes["node_id"].to_numpy()
    frames = []
    for t, name in enumerate(ctx.output_names):
        f = pd.DataFrame({"source": ids[frame["source"]], "target": ids[frame["target"]],
                          "level": ctx.nodes["level"].to_numpy()[frame["target"]],
                          "importance": np.abs(flow[:, :, t]).mean(0), "mean_flow": flow[:, :, t].mean(0)})
        if len(ctx.output_names) > 1:
            f["output"] = name
        frames.append(f)
    return pd.concat(frames, ignore_index=True)
