"""Errors of :mod:`binn_graph.metabolic` (all :class:`~binn_graph.errors.BINNError` and ``ValueError``)."""

from __future__ import annotations

from ..errors import BINNError

__all__ = ["MetabolicModelError", "NoObjectiveError", "InfeasibleModelError", "MediumError", "ExpressionError"]


class MetabolicModelError(BINNError, ValueError):
    """A metabolic model cannot be used: wrong type, no reactions, bad bounds."""


class NoObjectiveError(MetabolicModelError):
    """The model has no objective (every objective coefficient is 0); set one, e.g. ``model.objective = 'BIOMASS'``."""


class InfeasibleModelError(MetabolicModelError):
    """The model (or the model under a medium) has no feasible flux distribution."""


class MediumError(MetabolicModelError):
    """Medium columns that match no exchange reaction, or negative uptake levels."""


class ExpressionError(BINNError, ValueError):
    """An expression matrix is unusable: duplicated gene or sample ids, non-numeric or negative values."""
