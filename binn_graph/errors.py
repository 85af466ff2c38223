"""Exception hierarchy of :mod:`binn_graph`; every error for bad input derives from :class:`BINNError`.

:class:`BINNError` and :class:`kg.errors.KGError` share the project root
:class:`BinnGraphError`, so one ``except BinnGraphError`` catches every error the
project raises for bad input or misuse.
"""

from __future__ import annotations

from sklearn.exceptions import NotFittedError as _SklearnNotFitted
from sklearn.utils._param_validation import InvalidParameterError as _SklearnInvalidParameter

from kg.errors import BinnGraphError, CycleError

__all__ = [
    "BinnGraphError",
    "BINNError",
    "FeatureMismatchError",
    "DataValidationError",
    "TargetError",
    "GraphStructureError",
    "GraphCycleError",
    "ParameterError",
    "NotFittedError",
    "CheckpointError",
]


class BINNError(BinnGraphError):
    """Base class of every error raised by :mod:`binn_graph`."""


class FeatureMismatchError(BINNError, ValueError):
    """Data columns do not match the graph's input nodes (absent, duplicated, or clashing ids)."""


class DataValidationError(BINNError, ValueError):
    """A data matrix has bad values: all-NaN columns, non-numeric values, mismatched sample counts."""


class TargetError(BINNError, ValueError):
    """The target is unusable: one class only, wrong shape, missing values."""


class GraphStructureError(BINNError, ValueError):
    """The graph cannot be compiled: no path from the inputs to the output, a cycle, a bad mode."""


class GraphCycleError(GraphStructureError, CycleError):
    """The graph the model is compiled from has a directed cycle where the layers must be acyclic."""


class ParameterError(BINNError, _SklearnInvalidParameter):
    """An estimator or function parameter has a bad value or type; the message names it and the accepted values.

    Also scikit-learn's ``InvalidParameterError`` (so a ``ValueError`` and a ``TypeError``)."""


class NotFittedError(BINNError, _SklearnNotFitted):
    """The estimator is used before ``fit``."""


class CheckpointError(BINNError, ValueError):
    """A checkpoint file is missing, corrupt or from an incompatible version."""
