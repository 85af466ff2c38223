"""Genomic prediction: genotype data, gene selection, eQTL mapping into SNP → gene edges (Kontolati et al. 2025).

* :func:`read_genotypes`, :func:`check_genotypes`, :func:`align_samples` — dosages keyed by sample and SNP id;
* :class:`PlinkGenotypes`, :class:`GenotypeStatistics`, :class:`StreamedInputs` — a PLINK ``.bed`` streamed in
  sample batches, statistics in one pass (:mod:`binn_graph.genomic.streaming`); ``estimator.fit(PlinkGenotypes(...),
  y)`` trains on it batch by batch, data-parallel under torchrun (:mod:`binn_graph.genomic.streamed_fit`);
* :func:`select_genes` — ElasticNetCV gene selection from expression;
* :func:`map_eqtl`, :func:`eqtl_graph` — vectorised SNP × gene association, top-k/FDR selection, ``snp affects gene``.

* :class:`FoldGraphBuilder` — selection + eQTL + pathway memberships on a fold's training rows only;
* :func:`nested_cv` — outer × inner fold ensembles (the paper's protocol), Pearson/Spearman/MSE;
* :func:`run_genomic_benchmark`, :func:`genomic_binn` — the shoot-branching learning curve behind the paper's
  claims; ``binn-graph benchmark genomic`` checks them (:mod:`binn_graph.cli.benchmark`).

Position windows (SNPs near genes) come from :func:`kg.sources.eqtl.load_windows`.
"""

from .benchmark import GenomicBenchmark, genomic_binn, run_genomic_benchmark
from .data import align_samples, check_genotypes, read_genotypes
from .eqtl import eqtl_graph, map_eqtl
from .graph_builder import FoldGraphBuilder
from .protocol import NestedCVResult, nested_cv, regression_scores
from .select import select_genes
from .streamed_fit import fit_streamed
from .streaming import GenotypeStatistics, PlinkGenotypes, StreamedInputs, atomic_output

__all__ = ["read_genotypes", "check_genotypes", "align_samples", "select_genes", "map_eqtl", "eqtl_graph",
           "nested_cv", "NestedCVResult", "regression_scores", "run_genomic_benchmark", "GenomicBenchmark",
           "genomic_binn", "FoldGraphBuilder", "PlinkGenotypes", "GenotypeStatistics", "StreamedInputs", "atomic_output",
           "fit_streamed"]
