r"""A synthetic genomic-prediction study of plant shoot branching with known pathways (Kontolati et al. 2025 style).

Four intermediate pathways — auxin (A), cytokinin (CK), strigolactone (SL) and sucrose (S) — are each driven by
their own genes, each gene by its own cis SNPs. Bud outgrowth combines them through the regulatory structure of
Bertheloot et al. (New Phytologist 2020): auxin represses cytokinin and promotes strigolactone; cytokinin and
sucrose promote outgrowth; strigolactone inhibits it; sucrose antagonises strigolactone signalling.

**Equations** (sample i; z(·) standardises over samples):

1. Genotypes: ``x_ij ~ Binomial(2, f_j)``, allele frequency ``f_j ~ U(0.05, 0.5)``, int8.
2. Expression of gene g with cis SNPs C(g) of which K are causal:
   ``e_ig = z(Σ_{j causal} b_j x_ij) + σ_e·ε``, ``b_j ~ N(0, 1)``, ``ε ~ N(0, 1)`` (default ``σ_e = 0.5``).
3. Pathway intermediates: ``a_ik = z(Σ_{g ∈ k} w_g e_ig)``, ``w_g ~ N(0, 1)``; measured with noise
   ``m_ik = a_ik + η_I·ε`` (default ``η_I = 0.05``, i.e. 5% of the signal's sd). Concentrations
   ``[A, CK, SL, S] = exp(0.6·a)`` (log-normal, median 1).
4. Regulation (Hill functions ``h(u, K, n) = uⁿ / (Kⁿ + uⁿ)``)::

       CK_eff = CK / (1 + (A / 1.2)²)                     auxin represses cytokinin
       SL_eff = SL · (0.3 + 1.4·h(A, 1, 2))               auxin promotes strigolactone
       inhibition = h(SL_eff, 1, 2) / (1 + (S / 1.0)²)     sucrose antagonises strigolactone signalling
       promotion  = 0.4·h(CK_eff, 0.6, 2) + 0.6·h(S, 1, 3)
       outgrowth  = promotion · (1 − inhibition)

5. Phenotype ``y = z(outgrowth) + η_y·ε`` (default ``η_y = 0.1``).

``truth`` is Algorithm 1 of Kontolati et al. (clamping sensitivity) applied to the true function: each
intermediate is clamped to its mean ± 1 sd and the mean absolute change of the noiseless phenotype is recorded.
With the defaults sucrose and auxin rank first and second, as in the paper. Genes outside the four pathways
(``n_decoy_genes``) carry SNPs and expression but do not affect the phenotype; ``n_unlinked_snps`` SNPs lie outside
every gene.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kg import KnowledgeGraph

from ..errors import DataValidationError

__all__ = ["shoot_branching", "SimulatedStudy", "PATHWAYS"]

PATHWAYS = ("auxin", "cytokinin", "strigolactone", "sucrose")


@dataclass
class SimulatedStudy:
    """A simulated study: data keyed by sample/feature ids, the graph, and the truth."""

    genotypes: pd.DataFrame  # samples × SNPs, int8
    expression: pd.DataFrame  # samples × genes
    intermediates: pd.DataFrame  # samples × pathways (measured, with noise)
    phenotype: pd.Series
    graph: KnowledgeGraph
    truth: pd.Series  # clamping sensitivity of each pathway on the true function
    true_intermediates: pd.DataFrame = field(repr=False, default=None)
    causal_snps: pd.Series = field(repr=False, default=None)  # SNP → gene, causal only
    params: dict = field(default_factory=dict)


def _z(v: np.ndarray) -> np.ndarray:
    sd = v.std(axis=0)
    return (v - v.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def _hill(u, k, n):
    return u ** n / (k ** n + u ** n)


def outgrowth(a: np.ndarray) -> np.ndarray:
    """Noiseless bud outgrowth from standardised pathway activities ``a`` (``[n, 4]``, PATHWAYS order)."""
    A, CK, SL, S = np.exp(0.6 * a).T
    ck_eff = CK / (1.0 + (A / 1.2) ** 2)
    sl_eff = SL * (0.3 + 1.4 * _hill(A, 1.0, 2))
    inhibition = _hill(sl_eff, 1.0, 2) / (1.0 + S ** 2)
    promotion = 0.4 * _hill(ck_eff, 0.6, 2) + 0.6 * _hill(S, 1.0, 3)
    return promotion * (1.0 - inhibition)


def _sensitivity(a: np.ndarray) -> np.ndarray:
    base = outgrowth(a).mean()
    scale = outgrowth(a).std()
    out = []
    for k in range(a.shape[1]):
        mu, sd = a[:, k].mean(), a[:, k].std()
        up, down = a.copy(), a.copy()
        up[:, k], down[:, k] = mu + sd, mu - sd
        out.append(0.5 * (abs(outgrowth(up).mean() - base) + abs(outgrowth(down).mean() - base)) / scale)
    return np.array(out)


def shoot_branching(n_samples: int, seed: int = 0, *, genes_per_pathway: int = 10, snps_per_gene: int = 20,
                    causal_per_gene: int = 3, n_decoy_genes: int = 10, n_unlinked_snps: int = 100,
                    expression_noise: float = 0.5, intermediate_noise: float = 0.05,
                    phenotype_noise: float = 0.1) -> SimulatedStudy:
    """Simulate ``n_samples`` plants (see the module docstring for the equations)."""
    if n_samples < 10:
        raise DataValidationError(f"n_samples must be ≥ 10, not {n_samples}")
    if not 1 <= causal_per_gene <= snps_per_gene:
        raise DataValidationError("causal_per_gene must lie between 1 and snps_per_gene")
    for name, value in (("expression_noise", expression_noise), ("intermediate_noise", intermediate_noise),
                        ("phenotype_noise", phenotype_noise)):
        if value < 0:
            raise DataValidationError(f"{name} must be ≥ 0, not {value}")
    rng = np.random.default_rng(seed)
    genes, gene_pathway = [], []
    for p in PATHWAYS:
        genes += [f"{p[:3].upper()}{i + 1:02d}" for i in range(genes_per_pathway)]
        gene_pathway += [p] * genes_per_pathway
    genes += [f"DEC{i + 1:02d}" for i in range(n_decoy_genes)]
    gene_pathway += [None] * n_decoy_genes
    n_genes = len(genes)
    n_snps = n_genes * snps_per_gene + n_unlinked_snps
    snps = np.array([f"rs{i + 1:06d}" for i in range(n_snps)], dtype=object)
    snp_gene = np.array([genes[i // snps_per_gene] for i in range(n_genes * snps_per_gene)] + [None] * n_unlinked_snps,
                        dtype=object)
    freq = rng.uniform(0.05, 0.5, n_snps)
    X = rng.binomial(2, freq, size=(n_samples, n_snps)).astype(np.int8)
    samples = [f"plant{i + 1:05d}" for i in range(n_samples)]
    expression = np.empty((n_samples, n_genes))
    causal = {}
    for g in range(n_genes):
        cols = g * snps_per_gene + rng.choice(snps_per_gene, causal_per_gene, replace=False)
        b = rng.normal(size=causal_per_gene)
        expression[:, g] = _z(X[:, cols].astype(float) @ b) + expression_noise * rng.normal(size=n_samples)
        causal.update({snps[c]: genes[g] for c in cols})
    activity = np.empty((n_samples, len(PATHWAYS)))
    for k, p in enumerate(PATHWAYS):
        members = [i for i, q in enumerate(gene_pathway) if q == p]
        activity[:, k] = _z(expression[:, members] @ rng.normal(size=len(members)))
    measured = activity + intermediate_noise * rng.normal(size=activity.shape)
    y = _z(outgrowth(activity)) + phenotype_noise * rng.normal(size=n_samples)
    graph = KnowledgeGraph()
    graph.add_nodes("snp", snps, database="shoot_branching")
    graph.add_nodes("gene", genes, database="shoot_branching")
    graph.add_nodes("pathway", list(PATHWAYS), name=[f"{p} pathway" for p in PATHWAYS], database="shoot_branching")
    linked = snp_gene != None  # noqa: E711
    graph.add_edges(("snp", "affects", "gene"), snps[linked], snp_gene[linked], database="shoot_branching")
    in_pathway = [i for i, p in enumerate(gene_pathway) if p is not None]
    graph.add_edges(("gene", "member_of", "pathway"), [genes[i] for i in in_pathway],
                    [gene_pathway[i] for i in in_pathway], database="shoot_branching")
    index = pd.Index(samples, name="sample")
    return SimulatedStudy(
        genotypes=pd.DataFrame(X, index=index, columns=snps),
        expression=pd.DataFrame(expression, index=index, columns=genes),
        intermediates=pd.DataFrame(measured, index=index, columns=list(PATHWAYS)),
        phenotype=pd.Series(y, index=index, name="bud_outgrowth"),
        graph=graph,
        truth=pd.Series(_sensitivity(activity), index=list(PATHWAYS), name="true_sensitivity").sort_values(
            ascending=False),
        true_intermediates=pd.DataFrame(activity, index=index, columns=list(PATHWAYS)),
        causal_snps=pd.Series(causal, name="gene"),
        params=dict(seed=seed, genes_per_pathway=genes_per_pathway, snps_per_gene=snps_per_gene,
                    causal_per_gene=causal_per_gene, n_decoy_genes=n_decoy_genes, n_unlinked_snps=n_unlinked_snps,
                    expression_noise=expression_noise, intermediate_noise=intermediate_noise,
                    phenotype_noise=phenotype_noise),
    )
