"""binn_graph: biologically informed neural networks compiled from a :class:`kg.KnowledgeGraph`.

* :class:`Architecture` — a graph compiled into levels and sparse edge indices;
* :class:`BINN` — the torch module that executes it (sparse :mod:`binn_graph.nn` layers);
* :class:`BINNClassifier`, :class:`BINNRegressor` — scikit-learn estimators;
* :class:`Trainer` — early stopping, penalties, seeds, safe checkpoints;
* :func:`explain` — node importances with connectivity normalisation and a rewired-graph null.
"""

from .architecture import Architecture
from .attribution import explain
from .errors import BINNError
from .estimators import BINNClassifier, BINNRegressor
from .model import BINN
from .training import Trainer

__all__ = ["Architecture", "explain", "BINN", "BINNClassifier", "BINNRegressor", "Trainer", "BINNError"]

__version__ = "0.1.0"
