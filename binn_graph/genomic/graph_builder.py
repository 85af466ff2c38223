"""Build the SNP → gene → pathway graph from training samples only (inside each outer fold).

:class:`FoldGraphBuilder` chains the paper's steps: optional gene selection from expression
(:func:`select_genes`, ElasticNetCV), eQTL mapping of the selected genes (:func:`map_eqtl`, top-k and/or FDR) and the
genes' pathway memberships from any knowledge graph. Pass it to :func:`nested_cv` as ``graph_builder`` so that no
test sample ever influences which SNPs and genes the network sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from kg import KnowledgeGraph
from kg.report import BuildReport

from ..errors import DataValidationError
from .data import check_genotypes
from .eqtl import eqtl_graph, map_eqtl
from .select import select_genes

__all__ = ["FoldGraphBuilder"]


@dataclass
class FoldGraphBuilder:
    """``builder(X_train, y_train) -> KnowledgeGraph`` for :func:`~binn_graph.genomic.nested_cv`.

    Parameters
    ----------
    expression:
        Samples × genes expression; rows are matched to the training genotypes by sample id.
    pathways:
        A graph holding the genes' memberships (e.g. ``("gene", "member_of", "pathway")`` from a kg source, and any
        pathway hierarchy); its SNP → gene edges, if any, are replaced by the eQTL edges.
    top_k, fdr:
        eQTL selection per gene (see :func:`map_eqtl`).
    n_genes:
        With ``select_genes=True``: keep at most this many genes by ``|elastic-net coefficient|``.
    select:
        Run :func:`select_genes` on the training rows first (otherwise every expressed gene is mapped).
    """

    expression: pd.DataFrame
    pathways: KnowledgeGraph
    top_k: int | None = 20
    fdr: float | None = None
    n_genes: int | None = None
    select: bool = False
    random_state: int | None = 0
    reports: list[BuildReport] = field(default_factory=list, repr=False)

    def __call__(self, X_train: pd.DataFrame, y_train: pd.Series) -> KnowledgeGraph:
        """The graph for one training fold, built from its samples only (its report is appended to ``reports``)."""
        report = BuildReport()
        missing = X_train.index.difference(self.expression.index)
        if len(missing):
            raise DataValidationError(f"{len(missing)} training sample(s) have no expression row, "
                                      f"e.g. {list(missing[:3])}")
        expression = self.expression.loc[X_train.index]
        genotypes, checked = check_genotypes(X_train)
        report.extend(checked)
        if self.select:
            genes = select_genes(expression, y_train, n_genes=self.n_genes, random_state=self.random_state).index
            report.add("graph", "dropped", "genes not selected by the elastic net", expression.shape[1] - len(genes))
            expression = expression[genes]
        table = map_eqtl(genotypes, expression, top_k=self.top_k, fdr=self.fdr)
        mapped = pd.Index(table["gene"].unique())
        unmapped = expression.columns.difference(mapped)
        report.add("graph", "dropped", "genes with no SNP passing the eQTL selection", len(unmapped),
                   examples=list(unmapped[:5]))
        graph = self.pathways.copy()
        if graph.has_edge_type(("snp", "affects", "gene")):
            graph.remove_edge_type(("snp", "affects", "gene"))
        graph = graph.merge(eqtl_graph(table))
        report.add("graph", "kept", "SNP → gene edges from eQTL mapping", len(table))
        self.reports.append(report)
        return graph
