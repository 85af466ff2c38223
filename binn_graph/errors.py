"""Exception hierarchy of :mod:`binn_graph`; every error for bad input derives from :class:`BINNError`."""

from __future__ import annotations

from sklearn.exceptions import NotFittedError as _SklearnNotFitted

__all__ = [
    "BINNError",
    "FeatureMismatchError",
    "DataValidationError",
    "TargetError",
    "GraphStructureError",
    "NotFittedError",
    "CheckpointError",
]


class BINNError(Exception):
    """Base class of every error raised by :mod:`binn_graph`."""


class FeatureMismatchError(BINNError, ValueError):
    """Data columns do not match the graph's input nodes (absent, duplicated, or clashing ids)."""


class DataValidationError(BINNError, ValueError):
    """A data matrix has bad values: all-NaN columns, non-numeric values, mismatched sample counts."""


class TargetError(BINNError, ValueError):
    """The target is unusable: one class only, wrong shape, missing values."""


class GraphStructureError(BINNError, ValueError):
    """The graph cannot be compiled: no path from the inputs to the output, a cycle, a bad mode."""


class NotFittedError(BINNError, _SklearnNotFitted):
    """The estimator is used before ``fit``."""


class CheckpointError(BINNError, ValueError):
    """A checkpoint file is missing, corrupt or from an incompatible version."""
