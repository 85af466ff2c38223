"""PyTorch Geometric ``HeteroData`` view of a KnowledgeGraph.

For every node type ``t``: ``data[t].num_nodes`` and ``data[t].node_id`` (the
list of ids; position = index). For every edge type: ``data[et].edge_index``
(``LongTensor [2, E]``) plus one float tensor ``[E]`` per numeric edge
attribute (``weight``, ``sign``, ...; missing values are NaN). String edge
attributes are not tensors and stay on the KnowledgeGraph.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..graph import KnowledgeGraph

__all__ = ["to_heterodata", "node_index"]


def to_heterodata(graph: KnowledgeGraph):
    """Return a ``torch_geometric.data.HeteroData`` keeping the id↔index mapping in ``node_id``."""
    import torch
    from torch_geometric.data import HeteroData

    data = HeteroData()
    for t in graph.node_types:
        ids = graph.node_index(t)
        data[t].num_nodes = len(ids)
        data[t].node_id = ids.tolist()
    for et in graph.edge_types:
        store = data[et]
        store.edge_index = torch.from_numpy(graph.edge_index(et))
        table = graph.edges(et)
        for col in table.columns[2:]:
            if pd.api.types.is_numeric_dtype(table[col].dtype) and not pd.api.types.is_bool_dtype(table[col].dtype):
                store[col] = torch.from_numpy(table[col].to_numpy(dtype=np.float32, na_value=np.nan))
    return data


def node_index(data, node_type: str) -> pd.Index:
    """``pd.Index`` of the ids of ``node_type`` in a HeteroData made by :func:`to_heterodata`."""
    return pd.Index(data[node_type].node_id)
