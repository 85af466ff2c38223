"""Metabolism as a view: cobrapy models, condition-specific fluxes, and mass-balanced neural layers.

* :func:`condition_fluxes`: samples × reactions from expression (GPR AND = min, OR = max; E-Flux bound scaling
  or GIMME) and/or the medium, batched on warm-started HiGHS problems;
* :func:`evaluate_gpr`: reaction activities from gene levels;
* :func:`as_cobra_model`: a :class:`cobra.Model` from a model, an SBML path or an SBML-derived graph.
"""

from .errors import (
    ExpressionError,
    InfeasibleModelError,
    MediumError,
    MetabolicModelError,
    NoObjectiveError,
)
from .fluxes import MetabolicWarning, condition_fluxes, medium_bounds
from .gpr import evaluate_gpr
from .model import StoichiometricModel, as_cobra_model

__all__ = [
    "condition_fluxes",
    "medium_bounds",
    "evaluate_gpr",
    "as_cobra_model",
    "StoichiometricModel",
    "MetabolicWarning",
    "MetabolicModelError",
    "NoObjectiveError",
    "InfeasibleModelError",
    "MediumError",
    "ExpressionError",
]
