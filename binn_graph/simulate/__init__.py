"""Simulated studies with known ground truth (:func:`shoot_branching`)."""

from .shoot_branching import PATHWAYS, SimulatedStudy, outgrowth, shoot_branching

__all__ = ["shoot_branching", "SimulatedStudy", "PATHWAYS", "outgrowth"]
