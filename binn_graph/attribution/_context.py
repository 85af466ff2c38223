"""What every attribution method needs: the module, the prepared inputs, the node table and the output function.

The explained quantity ``f`` is what a user reads off the model: the probability of the positive class (binary
classifier), one probability per class (multiclass), the prediction in the target's units (regressor), or the raw
output units of a bare :class:`~binn_graph.model.BINN` module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from ..errors import BINNError, FeatureMismatchError
from ..model import BINN
from ..validation import check_fitted

__all__ = ["ExplainContext", "make_context"]


@dataclass
class ExplainContext:
    """A fitted model reduced to tensors: ``model(x)`` on ``x`` ``[n_samples, n_inputs * k]``."""

    model: BINN
    x: Tensor
    output_fn: Callable[[Tensor], Tensor]  # logits [B, n_out] -> explained outputs [B, n_targets]
    output_names: list[str]
    nodes: pd.DataFrame  # architecture nodes + "name"
    estimator: object | None = None

    @property
    def architecture(self):
        return self.model.architecture


def _names_from_graph(graph, nodes: pd.DataFrame) -> pd.Series:
    names = pd.Series(np.nan, index=nodes.index, dtype=object)
    if graph is None:
        return names
    for t in nodes["node_type"].unique():
        if t not in graph.node_types or "name" not in graph.nodes(t).columns:
            continue
        table = graph.nodes(t).set_index("id")["name"]
        sel = nodes["node_type"] == t
        base = nodes.loc[sel, "copy_of"].fillna(nodes.loc[sel, "node_id"])
        names[sel] = table.reindex(base.to_numpy()).to_numpy()
    return names


def _is_estimator(model) -> bool:
    """Whether ``model`` offers what attribution uses of an estimator: ``module_input(X)``, ``output_function()``
    and, once fitted, the module ``model_`` (:class:`~binn_graph.estimators.BINNEstimator` does)."""
    return callable(getattr(model, "module_input", None)) and callable(getattr(model, "output_function", None))


def make_context(model, X) -> ExplainContext:
    """Accept a fitted BINNClassifier/BINNRegressor or a BINN module and the evaluation data."""
    if _is_estimator(model):
        check_fitted(model, action="call fit(X, y) before explaining it")
        module = model.model_
        x = model.module_input(X)
        output_fn, output_names = model.output_function()
        graph, estimator = getattr(model, "graph", None), model
    elif isinstance(model, BINN):
        module = model
        if isinstance(X, pd.DataFrame):
            missing = [c for c in module.input_ids if c not in X.columns]
            if missing:
                raise FeatureMismatchError(f"X lacks {len(missing)} of the model's input columns (e.g. {missing[:5]})")
            X = X.loc[:, module.input_ids].to_numpy(dtype=np.float32)
        x = torch.as_tensor(np.asarray(X, dtype=np.float32))
        if x.dim() != 2 or x.shape[1] != len(module.input_ids) * module.input_width:
            raise FeatureMismatchError(f"X must have shape [n_samples, {len(module.input_ids) * module.input_width}] "
                                       f"in the model's input order; got {tuple(x.shape)}")
        output_fn = lambda logits: logits  # noqa: E731
        output_names = [f"output_{i}" for i in range(module.n_outputs)]
        graph, estimator = None, None
    else:
        raise BINNError(f"explain() needs a fitted BINNClassifier/BINNRegressor or a BINN module, "
                        f"not {type(model).__name__}")
    module.eval()
    nodes = module.architecture.nodes.copy()
    nodes["name"] = _names_from_graph(graph, nodes)
    return ExplainContext(module, x, output_fn, output_names, nodes, estimator)
