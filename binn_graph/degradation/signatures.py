"""Protease signatures: a PyG graph classifier that says which protease generated a peptidome graph.

Each peptide node carries its sequence context and its abundance (:func:`node_features`):

* one-hot residues (20 amino acids + ``-`` for "outside the protein") at the four cut-flanking places: the residue
  before the peptide (N-side P1), its first residue (N-side P1′), its last residue (C-side P1) and the residue after
  it (C-side P1′);
* start, end and length as fractions of the protein length; the root flag; the abundance share (linear, / max).

The network is two GraphSAGE convolutions (Hamilton et al. 2017) with mean pooling and a linear head, as in the
GraphSAGE protease classifier of Hartman et al. 2026. :func:`binn_graph.explain` works on it (node or feature
importances by integrated gradients or ablation).
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from torch import nn

from ..attribution.path_integral import integrated_gradients
from ..errors import DataValidationError
from ..validation import check_fitted, validate_params
from .enzyme import RESIDUES
from .graph import DegradationGraph

__all__ = ["ProteaseClassifier", "node_features", "FEATURE_NAMES"]

_ALPHABET = RESIDUES + "-"
_SITES = ["N_P1", "N_P1'", "C_P1", "C_P1'"]
FEATURE_NAMES = [f"{site}={r}" for site in _SITES for r in _ALPHABET] + [
    "start", "end", "length", "is_root", "abundance"]


def node_features(graph: DegradationGraph, abundance: pd.Series | None = None) -> torch.Tensor:
    """``[n_nodes, len(FEATURE_NAMES)]`` features of a graph's nodes (order of ``graph.nodes``)."""
    if not graph.sequence:
        raise DataValidationError(f"{graph.protein_id}: node features need a graph built from a sequence")
    seq = "-" + graph.sequence + "-"  # 1-based positions index straight into the padded string
    start = graph.nodes["start"].to_numpy(dtype=np.int64)
    end = graph.nodes["end"].to_numpy(dtype=np.int64)
    index = {r: i for i, r in enumerate(_ALPHABET)}
    padded = np.array([index.get(r, len(_ALPHABET) - 1) for r in seq])
    onehot = []
    for pos in (start - 1, start, end, end + 1):
        block = np.zeros((len(start), len(_ALPHABET)), dtype=np.float32)
        block[np.arange(len(start)), padded[pos]] = 1.0
        onehot.append(block)
    n = len(graph.sequence)
    if abundance is None:
        share = np.zeros(len(start))
    else:
        unknown = pd.Index(abundance.index).difference(pd.Index(graph.nodes["id"]))
        if len(unknown):
            raise DataValidationError(f"{graph.protein_id}: abundances for {len(unknown)} peptide(s) that are not "
                                      f"nodes of the graph (e.g. {list(unknown[:3])})")
        share = abundance.reindex(graph.nodes["id"]).fillna(0.0).to_numpy(dtype=float)
        if not np.isfinite(share).all() or (share < 0).any():
            raise DataValidationError(f"{graph.protein_id}: abundances must be finite and ≥ 0 (linear scale)")
        share = share / share.max() if share.max() > 0 else share
    dense = np.column_stack([start / n, end / n, (end - start + 1) / n, graph.nodes["is_root"].to_numpy(float), share])
    return torch.from_numpy(np.hstack(onehot + [dense.astype(np.float32)]))


def _data(graph: DegradationGraph, abundance, label: int | None = None):
    from torch_geometric.data import Data

    index = {n: i for i, n in enumerate(graph.nodes["id"])}
    edge_index = torch.tensor(np.array([graph.edges["source"].map(index).to_numpy(dtype=np.int64),
                                        graph.edges["target"].map(index).to_numpy(dtype=np.int64)]).reshape(2, -1))
    data = Data(x=node_features(graph, abundance), edge_index=edge_index)
    if label is not None:
        data.y = torch.tensor([label])
    return data


class _GraphSAGE(nn.Module):
    """x ``[N, F]`` → two SAGEConv (mean aggregation, both directions of each edge) → mean pool → ``[G, C]`` logits."""

    def __init__(self, in_channels: int, hidden: int, n_classes: int, dropout: float):
        super().__init__()
        from torch_geometric.nn import SAGEConv

        self.conv1 = SAGEConv(in_channels, hidden)
        self.conv2 = SAGEConv(hidden, hidden)
        self.dropout = dropout
        self.head = nn.Linear(hidden, n_classes)

    def forward(self, x, edge_index, batch):
        from torch_geometric.nn import global_mean_pool
        from torch_geometric.utils import to_undirected

        edge_index = to_undirected(edge_index, num_nodes=x.shape[0])
        h = torch.relu(self.conv1(x, edge_index))
        h = nn.functional.dropout(h, self.dropout, self.training)
        h = torch.relu(self.conv2(h, edge_index))
        return self.head(global_mean_pool(h, batch, size=int(batch.max()) + 1 if batch.numel() else 1))


def _log_odds(logits: torch.Tensor, cls: int) -> torch.Tensor:
    """``[G]`` log-odds of class ``cls`` from ``[G, C]`` logits."""
    others = torch.cat([logits[:, :cls], logits[:, cls + 1:]], dim=1)
    return logits[:, cls] - torch.logsumexp(others, dim=1)


class ProteaseClassifier(ClassifierMixin, BaseEstimator):
    """Classify the protease behind each peptidome graph: two GraphSAGE layers, mean pooling, a linear head.

    A scikit-learn estimator whose samples are graphs: ``fit(graphs, labels, abundances=None)`` takes a list of
    :class:`DegradationGraph` (each node a peptide with the features of :func:`node_features`), their protease
    labels and optionally one abundance Series per graph (peptide id → linear abundance). Trained with Adam on the
    cross-entropy.

    Parameters
    ----------
    hidden : int, default=32
        Hidden units of each SAGE layer (≥ 1).
    epochs : int, default=60
        Passes over the training graphs (≥ 1).
    lr : float, default=0.01
        Adam learning rate (> 0).
    batch_size : int, default=16
        Graphs per minibatch (≥ 1).
    dropout : float, default=0.2
        Dropout probability between the two convolutions, in [0, 1).
    random_state : int, RandomState instance or None, default=0
        Seed of the initialisation and the batch order; an int is used as the torch seed itself, ``None`` draws one.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Protease labels, sorted; the columns of :meth:`predict_proba`.
    model_ : torch.nn.Module
        The trained network, ``x [N, F], edge_index [2, E], batch [N] → logits [G, n_classes]``, in eval mode.
    history_ : list of float
        Mean training loss of each epoch.

    Examples
    --------
    >>> from sklearn.base import clone
    >>> clf = ProteaseClassifier(hidden=16, epochs=30)
    >>> clone(clf).get_params()["hidden"]
    16
    """

    _parameter_constraints: dict = {
        "hidden": [Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, hidden: int = 32, epochs: int = 60, lr: float = 0.01, batch_size: int = 16,
                 dropout: float = 0.2, random_state: int | np.random.RandomState | None = 0):
        self.hidden = hidden
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.dropout = dropout
        self.random_state = random_state

    def _seed(self) -> int:
        if isinstance(self.random_state, Integral):
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(0, 2**31 - 1))

    def _dataset(self, graphs, abundances, labels=None):
        graphs = list(graphs)
        if not graphs:
            raise DataValidationError("no graphs given")
        if abundances is None:
            abundances = [None] * len(graphs)
        abundances = list(abundances)
        if len(abundances) != len(graphs):
            raise DataValidationError(f"{len(graphs)} graphs but {len(abundances)} abundance tables")
        ys = [None] * len(graphs) if labels is None else labels
        return [_data(g, a, y) for g, a, y in zip(graphs, abundances, ys)]

    def fit(self, graphs, labels, abundances=None) -> "ProteaseClassifier":
        """Train on ``graphs`` (list of :class:`DegradationGraph`) with protease ``labels`` ``[n_graphs]`` and
        optional ``abundances`` (one Series per graph, peptide id → linear abundance)."""
        from torch_geometric.loader import DataLoader

        validate_params(self)
        graphs = list(graphs)
        labels = np.asarray(labels)
        classes = np.unique(labels)
        if len(classes) < 2:
            raise DataValidationError(f"need graphs of at least two proteases, got {list(classes)}")
        if len(labels) != len(graphs):
            raise DataValidationError(f"{len(graphs)} graphs but {len(labels)} labels")
        codes = np.searchsorted(classes, labels)
        data = self._dataset(graphs, abundances, codes.tolist())
        seed = self._seed()
        torch.manual_seed(seed)
        model = _GraphSAGE(len(FEATURE_NAMES), self.hidden, len(classes), self.dropout)
        optimiser = torch.optim.Adam(model.parameters(), lr=self.lr)
        loader = DataLoader(data, batch_size=self.batch_size, shuffle=True,
                            generator=torch.Generator().manual_seed(seed))
        history = []
        for _ in range(self.epochs):
            model.train()
            total = 0.0
            for batch in loader:
                optimiser.zero_grad()
                loss = nn.functional.cross_entropy(model(batch.x, batch.edge_index, batch.batch), batch.y)
                loss.backward()
                optimiser.step()
                total += float(loss.detach()) * batch.num_graphs
            history.append(total / len(data))
        model.eval()
        self.classes_, self.model_, self.history_ = classes, model, history
        return self

    def _check(self) -> None:
        check_fitted(self, ["model_", "classes_"], action="call fit(graphs, labels) first")

    def predict_proba(self, graphs, abundances=None) -> np.ndarray:
        """``[n_graphs, n_classes]`` class probabilities (columns in ``classes_`` order)."""
        from torch_geometric.loader import DataLoader

        self._check()
        out = []
        with torch.no_grad():
            for batch in DataLoader(self._dataset(graphs, abundances), batch_size=64):
                out.append(torch.softmax(self.model_(batch.x, batch.edge_index, batch.batch), dim=1))
        return torch.cat(out).numpy()

    def predict(self, graphs, abundances=None) -> np.ndarray:
        """``[n_graphs]`` the most probable protease of each graph."""
        proba = self.predict_proba(graphs, abundances)
        return self.classes_[proba.argmax(axis=1)]

    def score(self, graphs, labels, abundances=None) -> float:
        """Accuracy of :meth:`predict` against ``labels``."""
        return float(np.mean(self.predict(graphs, abundances) == np.asarray(labels)))

    def explain_nodes(self, graphs, abundances=None, method: str = "integrated_gradients", level: str = "node",
                      steps: int = 32, target: str | None = None) -> pd.DataFrame:
        """Importance of each node (or each feature, summed over nodes) for the predicted (or ``target``) class.

        The explained quantity is the class log-odds, ``z_c − logsumexp_{k≠c} z_k`` (it does not saturate like
        the probability).
        ``integrated_gradients``: path integral from an all-zero feature baseline (Sundararajan et al. 2017; midpoint
        rule with ``steps`` points, :func:`binn_graph.attribution.path_integral.integrated_gradients`), summed over a
        node's features (``level="node"``) or over nodes (``level="feature"``). ``ablation``: drop in the class
        log-odds when a node's features are zeroed (node level only).
        Returns one row per graph and node (or feature): graph, node_type, node_id, class, importance, rank.
        """
        self._check()
        if method not in ("integrated_gradients", "ablation"):
            raise DataValidationError(f"method must be 'integrated_gradients' or 'ablation' for a protease "
                                      f"classifier, not {method!r}")
        if level not in ("node", "feature"):
            raise DataValidationError(f"level must be 'node' or 'feature', not {level!r}")
        if method == "ablation" and level == "feature":
            raise DataValidationError("ablation scores nodes; use integrated_gradients for feature importances")
        graphs = list(graphs)
        data = self._dataset(graphs, abundances)
        frames = []
        for g, d in zip(graphs, data):
            batch = torch.zeros(d.num_nodes, dtype=torch.long)
            with torch.no_grad():
                logits = self.model_(d.x, d.edge_index, batch)
            cls = int(logits[0].argmax()) if target is None else int(np.searchsorted(self.classes_, target))
            if method == "ablation":
                x = d.x.repeat(d.num_nodes, 1).view(d.num_nodes, d.num_nodes, -1)
                x[torch.arange(d.num_nodes), torch.arange(d.num_nodes)] = 0.0
                offsets = (torch.arange(d.num_nodes) * d.num_nodes).repeat_interleave(d.edge_index.shape[1])
                ei = d.edge_index.repeat(1, d.num_nodes) + offsets
                with torch.no_grad():
                    p = _log_odds(self.model_(x.view(-1, x.shape[-1]), ei,
                                              torch.arange(d.num_nodes).repeat_interleave(d.num_nodes)), cls)
                scores = (_log_odds(logits, cls) - p).numpy()
            else:
                attribution = integrated_gradients(self._path_log_odds(d.edge_index, cls), d.x, steps=steps).numpy()
                scores = attribution.sum(axis=1) if level == "node" else attribution.sum(axis=0)
            ids = g.nodes["id"].to_numpy() if level == "node" else np.array(FEATURE_NAMES)
            frame = pd.DataFrame({"graph": g.protein_id, "node_type": "peptide" if level == "node" else "feature",
                                  "node_id": ids, "class": self.classes_[cls], "importance": scores})
            frame["rank"] = frame["importance"].abs().rank(ascending=False, method="min").astype("Int64")
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def _path_log_odds(self, edge_index: torch.Tensor, cls: int):
        """``f(points [K, N, F]) → [K]`` class log-odds of each point, the ``K`` copies batched as disjoint graphs."""
        def f(points: torch.Tensor) -> torch.Tensor:
            k, n = points.shape[0], points.shape[1]
            ei = torch.cat([edge_index + i * n for i in range(k)], dim=1)
            return _log_odds(self.model_(points.reshape(k * n, -1), ei, torch.arange(k).repeat_interleave(n)), cls)
        return f
