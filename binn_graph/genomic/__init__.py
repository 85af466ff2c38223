"""Genomic prediction: genotype data, gene selection, eQTL mapping into SNP → gene edges (Kontolati et al. 2025).

* :func:`read_genotypes`, :func:`check_genotypes`, :func:`align_samples` — dosages keyed by sample and SNP id;
* :func:`select_genes` — ElasticNetCV gene selection from expression;
* :func:`map_eqtl`, :func:`eqtl_graph` — vectorised SNP × gene association, top-k/FDR selection, ``snp affects gene``.

Position windows (SNPs near genes) come from :func:`kg.sources.eqtl.load_windows`.
"""

from .data import align_samples, check_genotypes, read_genotypes
from .eqtl import eqtl_graph, map_eqtl
from .select import select_genes

__all__ = ["read_genotypes", "check_genotypes", "align_samples", "select_genes", "map_eqtl", "eqtl_graph"]
