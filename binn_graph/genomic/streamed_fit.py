"""Fit a BINN on genotypes streamed from disk: ``estimator.fit(PlinkGenotypes(...), y)``.

Neither the genotypes nor the training set has to fit in memory:

1. ``y`` (a Series or DataFrame indexed by ``.fam`` sample ids) selects the training samples and is matched to the
   ``.bed`` by id; samples of the ``.bed`` without a target are not used (counted in ``report_``).
2. One streaming pass over those samples (SNP block by SNP block: the ``.bed`` read sequentially once; split
   between the ranks under ``torchrun``) computes the per-SNP statistics of the training rows
   (:class:`~binn_graph.genomic.GenotypeStatistics`, exact integer sums) and which SNPs have no call at all; the
   graph is compiled for the ``.bed``'s SNPs with the estimator's ``empty_columns`` policy, and ``preprocessor_``
   is the :class:`~binn_graph.preprocessing.InputPreprocessor` those statistics define.
3. The :class:`~binn_graph.training.Trainer` reads each mini-batch from disk (:class:`StreamedInputs`): one batch
   in memory at a time, and under ``torchrun`` only this rank's share of every global batch.

Every step equals the in-memory fit of the same genotypes (missing calls as NaN) with the same ``random_state``:
the same validation split, statistics, initial weights and batch order (tested). The fitted estimator is an
ordinary one: ``predict`` takes DataFrames with the SNP columns, ``save`` writes the usual checkpoint (rank 0
only, atomically).

Memory is one batch of ``batch_size × SNPs`` (int8 read, float32 input) plus the model; validation rows are scored
``batch_size`` at a time, holding only their outputs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from sklearn.utils import check_random_state

from ..errors import DataValidationError, ParameterError
from ..validation import validate_params
from .streaming import MISSING, GenotypeStatistics, PlinkGenotypes, StreamedInputs

__all__ = ["fit_streamed"]

#: Bytes of genotypes (samples × SNPs, int8) read at a time by the statistics pass.
STATISTICS_BYTES = 1 << 26


def _targets(genotypes: PlinkGenotypes, y, what: str = "y") -> tuple[pd.Index, np.ndarray]:
    """The sample ids of ``y`` (checked against the ``.fam``) and its values, in ``y``'s order."""
    fam = genotypes.path.with_suffix(".fam").name
    if not isinstance(y, (pd.Series, pd.DataFrame)):
        raise DataValidationError(f"{what} must be a pandas Series (or DataFrame) indexed by the sample ids (IID) of "
                                  f"{fam} when X is a PlinkGenotypes: samples are matched by id, never by position")
    ids = pd.Index(y.index).astype(str)
    if ids.has_duplicates:
        raise DataValidationError(f"{what} lists samples more than once, e.g. {list(ids[ids.duplicated()][:3])}")
    unknown = ids.difference(genotypes.samples)
    if len(unknown):
        raise DataValidationError(f"{len(unknown)} sample(s) of {what} are not in {fam} beside {genotypes.path} "
                                  f"(e.g. {list(unknown[:3])}); index {what} by the .fam IIDs")
    if len(ids) < 2:
        raise DataValidationError(f"{what} has {len(ids)} sample(s); training needs at least 2")
    return ids, y.to_numpy()


def _statistics_pass(genotypes: PlinkGenotypes, train: np.ndarray, other: np.ndarray,
                     max_bytes: int = STATISTICS_BYTES) -> tuple[GenotypeStatistics, np.ndarray]:
    """One pass over the samples at ``.bed`` positions ``train`` and ``other``, SNP block by SNP block
    (:meth:`PlinkGenotypes.snp_blocks`, the file read sequentially once): the training rows' statistics and every
    SNP's number of calls over both.

    Under torchrun each rank reads every ``world_size``-th SNP block and the integer sums are added across the ranks
    (one ``all_reduce``), so the pass is split between the ranks and its result is exactly the single-process one.
    """
    from ..training import distributed_context

    context = distributed_context()
    stats = GenotypeStatistics.empty(genotypes.snps)
    called_other = np.zeros(genotypes.n_snps, dtype=np.int64)
    rows = np.concatenate([train, other])
    order = np.argsort(rows, kind="stable")  # file order
    is_train = (order < len(train))
    part = None if context is None else (context.rank, context.world_size)
    for snps, block in genotypes.snp_blocks(rows[order], max_bytes=max_bytes, part=part):
        if is_train.all():
            stats.add_block(block, snps)
        else:
            stats.add_block(block[is_train], snps)
            called_other[snps] += (block[~is_train] != MISSING).sum(axis=0, dtype=np.int64)
    if context is not None:
        import torch.distributed as dist

        sums = torch.from_numpy(np.stack([stats.n_called, stats.dosage_sum, stats.dosage_sq_sum, called_other]))
        dist.all_reduce(sums)
        stats.n_called, stats.dosage_sum, stats.dosage_sq_sum, called_other = sums.numpy()
    stats.n_samples = len(train)
    return stats, stats.n_called + called_other


def fit_streamed(estimator, genotypes: PlinkGenotypes, y, *, latent_targets=None, validation_data=None):
    """Fit a :class:`~binn_graph.BINNRegressor` or :class:`~binn_graph.BINNClassifier` on genotypes read from
    ``genotypes`` in batches; what ``estimator.fit(genotypes, y)`` runs.

    Parameters
    ----------
    estimator : BINNEstimator
        Its graph's ``input_type`` nodes (SNPs) are matched to the ``.bim`` ids by name.
    genotypes : PlinkGenotypes
        The ``.bed/.bim/.fam`` set; dosages count the A1 allele, missing calls are imputed per ``impute``.
    y : Series or DataFrame
        Targets indexed by ``.fam`` sample ids (IID): the training samples, in any order.
    validation_data : tuple (PlinkGenotypes, Series), optional
        Early-stopping samples of the same ``.bed`` instead of a random ``validation_fraction`` of ``y``'s samples.
    latent_targets
        Not supported on streamed genotypes (a :class:`~binn_graph.errors.DataValidationError` if given).

    Returns
    -------
    estimator, fitted
    """
    validate_params(estimator)
    if estimator.graph is None:
        raise ParameterError(f"{type(estimator).__name__} needs graph=KnowledgeGraph(...) to fit")
    if latent_targets is not None:
        raise DataValidationError("latent_targets (the soft constraint) are not supported when X is a "
                                  "PlinkGenotypes; fit on a DataFrame of the genotypes instead")
    ids, y_values = _targets(genotypes, y)
    n_train = len(ids)
    if validation_data is not None:
        if not (isinstance(validation_data, tuple) and len(validation_data) == 2):
            raise DataValidationError("validation_data must be a tuple (X_val, y_val)")
        X_val, y_val = validation_data
        if not isinstance(X_val, PlinkGenotypes) or X_val.path.resolve() != genotypes.path.resolve():
            raise DataValidationError(f"validation_data must hold the same PlinkGenotypes as X ({genotypes.path}) "
                                      "and a Series of its validation samples")
        val_ids, val_values = _targets(genotypes, y_val, "y_val")
        if val_values.ndim != y_values.ndim:
            raise DataValidationError(f"y_val has {val_values.ndim} dimension(s) but y has {y_values.ndim}")
        ids, y_values = ids.append(val_ids), np.concatenate([y_values, val_values])
    positions = genotypes.samples.get_indexer(ids)
    seed = int(check_random_state(estimator.random_state).randint(0, 2**31 - 1))
    target, n_outputs = estimator._encode_target(y_values)
    idx, val_idx = estimator._split(y_values, n_train, len(ids), validation_data is None, seed)
    stats, called = _statistics_pass(genotypes, positions[idx], positions[val_idx])
    # one row standing for all samples: NaN where a SNP has no call in any of them (the empty-column policy)
    calls = pd.DataFrame(np.where(called > 0, 0.0, np.nan)[None, :], columns=genotypes.snps)
    estimator._compile(calls, was_frame=True)
    inputs = genotypes.snps.get_indexer(estimator.architecture_.input_ids)
    all_snps = len(inputs) == genotypes.n_snps and bool((inputs == np.arange(len(inputs))).all())
    estimator.preprocessor_ = stats.select(inputs).preprocessor(estimator.impute, estimator.scale)
    estimator.report_.add("fit", "note", "input columns with no value in the training rows (imputed at the centre)",
                          len(estimator.preprocessor_.unobserved_),
                          examples=estimator.preprocessor_.unobserved_[:5])
    unused = genotypes.samples.difference(ids)
    estimator.report_.add("fit", "note", f"samples of {genotypes.path.name} without a target (not used)",
                          len(unused), examples=list(unused[:5]))
    torch.manual_seed(seed)
    estimator.model_ = estimator._build_module(n_outputs)
    module, target, loss_fn, val_loss = estimator._objective(target, n_outputs, idx, ids, None)
    snps = None if all_snps else inputs
    X_train = StreamedInputs(genotypes, positions[idx], estimator.preprocessor_, snps)
    X_val = StreamedInputs(genotypes, positions[val_idx], estimator.preprocessor_, snps) if len(val_idx) else None
    estimator._train(module, loss_fn, val_loss, seed, X_train, target[idx], X_val,
                     target[val_idx] if len(val_idx) else None)
    return estimator
