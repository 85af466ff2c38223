"""Context-specific networks by constrained optimisation over a KnowledgeGraph (CORNETO interop).

:func:`carnival` (signed networks that explain measurements from perturbations), :func:`steiner` (Steiner and
prize-collecting Steiner trees) and :func:`minimal_dag` (the smallest sub-DAG that keeps every BINN input connected
to the output) solve CORNETO's MILPs with HiGHS and return a :class:`ContextResult` whose ``.graph`` is the selected
KnowledgeGraph, ready for any model family to compile. CORNETO is optional: ``pip install "binn-graph[corneto]"``.
"""

from ._core import ContextWarning
from .carnival import carnival
from .dag import minimal_dag
from .restrict import shortest_path_nodes
from .result import ContextResult
from .steiner import steiner

__all__ = ["carnival", "steiner", "minimal_dag", "shortest_path_nodes", "ContextResult", "ContextWarning"]
