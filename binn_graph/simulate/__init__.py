"""Simulated studies with known ground truth (:func:`shoot_branching`, :func:`planted_pathway_study`)."""

from .planted import PlantedPathwayStudy, planted_pathway_study
from .shoot_branching import PATHWAYS, SimulatedStudy, outgrowth, shoot_branching

__all__ = ["shoot_branching", "SimulatedStudy", "PATHWAYS", "outgrowth", "planted_pathway_study",
           "PlantedPathwayStudy"]
