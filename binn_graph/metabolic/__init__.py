"""Metabolism as a view: cobrapy models, condition-specific fluxes, and mass-balanced neural layers.

* :func:`condition_fluxes`: samples × reactions from expression (GPR AND = min, OR = max; E-Flux bound scaling
  or GIMME; iMAT as one MILP per sample) and/or the medium, batched on warm-started HiGHS problems;
* :func:`evaluate_gpr`: reaction activities from gene levels;
* :class:`FluxNetworkRegressor`: a network whose fluxes satisfy ``S v = 0`` predicts a flux (growth) from uptakes;
* :func:`load_exp110`: E. coli growth on 110 media (Faure et al. 2023), bundled;
* :func:`as_cobra_model`: a :class:`cobra.Model` from a model, an SBML path or an SBML-derived graph.
"""

from .errors import (
    ExpressionError,
    InfeasibleModelError,
    MediumError,
    MetabolicModelError,
    NoObjectiveError,
)
from .estimator import FluxNetworkRegressor
from .exp110 import EXP110_BIOMASS, amn_uptake, load_exp110
from .fluxes import MetabolicWarning, condition_fluxes, medium_bounds
from .gpr import evaluate_gpr
from .model import StoichiometricModel, as_cobra_model

__all__ = [
    "condition_fluxes",
    "FluxNetworkRegressor",
    "load_exp110",
    "amn_uptake",
    "EXP110_BIOMASS",
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
