"""One way in for a metabolic model: a :class:`cobra.Model`, an SBML path or an SBML-derived KnowledgeGraph.

:func:`as_cobra_model` turns any of the three into a :class:`cobra.Model`
(SBML files are read by :func:`kg.sources.sbml.load` and converted by
:func:`kg.convert.cobra.to_cobra`, which agree with cobrapy's reader), and
:class:`StoichiometricModel` holds the arrays the solvers and layers use:
``S`` (metabolites × reactions, sparse CSR), bounds ``lb``/``ub`` and the
objective vector ``c`` (flux units of the model, usually mmol gDW⁻¹ h⁻¹).
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from kg.graph import KnowledgeGraph

from .errors import MetabolicModelError, NoObjectiveError

if TYPE_CHECKING:  # pragma: no cover
    import cobra

__all__ = ["as_cobra_model", "StoichiometricModel"]

ModelLike = "cobra.Model | str | PathLike | KnowledgeGraph"


def as_cobra_model(model, *, require_objective: bool = True) -> "cobra.Model":
    """A :class:`cobra.Model` from a cobra model (returned as is), an SBML path or an SBML-derived graph.

    Raises
    ------
    kg.errors.InputFormatError
        If a path is not an SBML file (from the SBML adapter).
    MetabolicModelError
        If ``model`` is none of the three, or holds no reactions.
    NoObjectiveError
        If ``require_objective`` and no reaction has a non-zero objective coefficient.
    """
    import cobra

    from kg.convert.cobra import to_cobra
    from kg.sources import sbml

    if isinstance(model, cobra.Model):
        out = model
    elif isinstance(model, (str, PathLike)):
        out = to_cobra(sbml.load(model))
        out.id = str(model)
    elif isinstance(model, KnowledgeGraph):
        out = to_cobra(model)
    else:
        raise MetabolicModelError(f"model must be a cobra.Model, an SBML path or an SBML-derived KnowledgeGraph, "
                                  f"got {type(model).__name__}")
    if len(out.reactions) == 0:
        raise MetabolicModelError(f"model {out.id!r} has no reactions")
    if require_objective and not any(r.objective_coefficient for r in out.reactions):
        raise NoObjectiveError(f"model {out.id!r} has no objective (every objective coefficient is 0); set one, "
                               "e.g. model.objective = '<biomass reaction id>', or pass objective=")
    return out


@dataclass
class StoichiometricModel:
    """Arrays of a flux-balance model: ``S v = 0``, ``lb ≤ v ≤ ub``, objective ``c·v`` (maximised).

    Attributes
    ----------
    S:
        Stoichiometric matrix, metabolites × reactions, ``scipy.sparse.csr_matrix`` (float64).
    lb, ub:
        Flux bounds, shape ``(n_reactions,)``.
    c:
        Objective coefficients, shape ``(n_reactions,)``; a minimising model is stored negated, so ``c·v`` is
        always maximised.
    reactions, metabolites:
        Ids (pandas Index) in column / row order.
    gene_rules:
        Gene rule text per reaction (``""`` when none).
    """

    S: sp.csr_matrix
    lb: np.ndarray
    ub: np.ndarray
    c: np.ndarray
    reactions: pd.Index
    metabolites: pd.Index
    gene_rules: list[str]

    @classmethod
    def from_cobra(cls, model: "cobra.Model") -> "StoichiometricModel":
        """Arrays of a :class:`cobra.Model` (reaction and metabolite order as in the model)."""
        reactions = pd.Index([r.id for r in model.reactions])
        metabolites = pd.Index([m.id for m in model.metabolites])
        met_pos = {m: i for i, m in enumerate(metabolites)}
        rows, cols, vals = [], [], []
        for j, r in enumerate(model.reactions):
            for m, v in r.metabolites.items():
                rows.append(met_pos[m.id])
                cols.append(j)
                vals.append(float(v))
        S = sp.csr_matrix((vals, (rows, cols)), shape=(len(metabolites), len(reactions)))
        lb = np.array([r.lower_bound for r in model.reactions], dtype=float)
        ub = np.array([r.upper_bound for r in model.reactions], dtype=float)
        sign = -1.0 if model.objective_direction == "min" else 1.0
        c = sign * np.array([r.objective_coefficient for r in model.reactions], dtype=float)
        if np.any(lb > ub):
            bad = reactions[lb > ub][:5].tolist()
            raise MetabolicModelError(f"lower bound above upper bound for reaction(s) {bad}; fix the bounds")
        return cls(S, lb, ub, c, reactions, metabolites, [r.gene_reaction_rule for r in model.reactions])

    @property
    def exchanges(self) -> pd.Index:
        """Ids of reactions with a single metabolite (exchange, demand and sink reactions)."""
        counts = np.diff(self.S.tocsc().indptr)
        return self.reactions[counts == 1]
