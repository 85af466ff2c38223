"""What every attribution method needs: the module, the prepared inputs, the node table and the output function.

The explained quantity ``f`` is what a user reads off the model: the probability of the positive class (binary
classifier), one probability per class (multiclass), the prediction in the target's units (regressor), or the raw
output units of a bare :class:`~binn_graph.model.BINN` module.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Callable

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from ..errors import BINNError, FeatureMismatchError
from ..model import BINN
from ..validation import check_fitted

__all__ = ["ExplainContext", "make_context", "gene_names_of", "GENE_TYPES"]


@dataclass
class ExplainContext:
    """A fitted model reduced to tensors: ``model(x)`` on ``x`` ``[n_samples, n_inputs * k]``."""

    model: BINN
    x: Tensor
    output_fn: Callable[[Tensor], Tensor]  # logits [B, n_out] -> explained outputs [B, n_targets]
    output_names: list[str]
    nodes: pd.DataFrame  # architecture nodes + "name" (+ "full_name" for human genes and proteins)
    estimator: object | None = None

    @property
    def architecture(self):
        return self.model.architecture

    @cached_property
    def states(self) -> list[Tensor]:
        """The model's level states on ``x`` (:meth:`~binn_graph.model.BINN.level_states`), computed once."""
        with torch.no_grad():
            return self.model.level_states(self.x)

    @cached_property
    def edge_sums(self) -> list[Tensor]:
        """Edge sums of every latent level on ``x`` (:meth:`~binn_graph.model.BINN.edge_sums`), computed once."""
        with torch.no_grad():
            return self.model.edge_sums(self.states)


#: Node types whose ids may be human gene or protein ids (UniProt, Ensembl, Entrez, HGNC or symbols).
GENE_TYPES = ("protein", "gene")


def _base_ids(nodes: pd.DataFrame) -> pd.Series:
    """The id a node copies (``copy_of``), else its own id."""
    return nodes["copy_of"].fillna(nodes["node_id"]).astype(str) if "copy_of" in nodes else nodes["node_id"]


def _names_from_graph(graph, nodes: pd.DataFrame, genes: pd.DataFrame | None = None) -> pd.Series:
    """Each node's ``name`` in the graph; protein and gene nodes the graph leaves unnamed get their HGNC symbol
    (from ``genes``, :func:`gene_names_of` of the gene and protein nodes, computed when None)."""
    names = pd.Series(np.nan, index=nodes.index, dtype=object)
    if graph is not None:
        for t in nodes["node_type"].unique():
            if t not in graph.node_types or "name" not in graph.nodes(t).columns:
                continue
            table = graph.nodes(t).set_index("id")["name"]
            sel = nodes["node_type"] == t
            names[sel] = table.reindex(_base_ids(nodes[sel]).to_numpy()).to_numpy()
    names = names.where(names.map(lambda v: isinstance(v, str) and v != ""), np.nan)
    unnamed = (nodes["node_type"].isin(GENE_TYPES) & names.isna()).to_numpy()
    if unnamed.any():
        genes = gene_names_of(nodes.loc[unnamed]) if genes is None else genes
        names[unnamed] = genes["symbol"].reindex(nodes.index[unnamed]).to_numpy()
    return names


def gene_names_of(nodes: pd.DataFrame) -> pd.DataFrame:
    """HGNC ``symbol`` and full ``name`` of each node (rows as ``nodes``; NaN for nodes HGNC does not know).

    Works for UniProt (isoforms through the base accession), Ensembl, Entrez and HGNC ids and for symbols, from
    the table bundled with :mod:`kg` (:func:`kg.sources.idmap.gene_names`); a UniProt accession shared by several
    genes shows all of them (``HBA1/HBA2``).
    """
    from kg.sources.idmap import gene_names

    base = _base_ids(nodes)
    table = gene_names(base.unique())
    return pd.DataFrame({"symbol": table["symbol"].reindex(base).to_numpy(),
                         "name": table["name"].reindex(base).to_numpy()}, index=nodes.index)


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
    is_gene = nodes["node_type"].isin(GENE_TYPES).to_numpy()
    genes = gene_names_of(nodes.loc[is_gene])
    nodes["name"] = _names_from_graph(graph, nodes, genes)
    nodes["full_name"] = genes["name"].reindex(nodes.index)
    return ExplainContext(module, x, output_fn, output_names, nodes, estimator)
