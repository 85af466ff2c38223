"""fit_cohort with n_jobs: batches fitted on workers give exactly the sequential results; a failing batch is named."""

import pandas as pd
import pytest

from binn_graph.datasets import data_path
from binn_graph.degradation import cohort as cohort_module
from binn_graph.degradation import fit_cohort, read_peptidome
from binn_graph.errors import DataValidationError, ParameterError
from binn_graph.parallel import ParallelTaskError

DATA = data_path("peptidomics")
WF = [DATA / "wf_WF4_hb.csv", DATA / "wf_WF1_hb.csv", DATA / "wf_sample34_hb.csv"]
TABLES = ("proteins", "edges", "sites", "specificity", "observed")


@pytest.fixture(scope="module")
def peptidome():
    return read_peptidome(WF)


def _assert_same(a, b, exact=True):
    for name in TABLES:
        if exact:
            pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
        else:
            pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), rtol=1e-5, atol=1e-9)


def test_two_workers_equal_one_exactly(peptidome):
    sequential = fit_cohort(peptidome, 20, epochs=30, batch_size=300, n_jobs=1)
    parallel = fit_cohort(peptidome, 20, epochs=30, batch_size=300, n_jobs=2)
    n_batches = len(list(cohort_module._chunks([len(g.nodes) for g in sequential.graphs.values()], 300)))
    assert n_batches >= 3  # the 8 graphs really are split over several tasks
    _assert_same(sequential, parallel)
    assert sequential.graphs.keys() == parallel.graphs.keys()
    assert str(sequential.report) == str(parallel.report)


def test_batches_equal_one_batch(peptidome):
    """A protein's GD fit does not depend on the rest of its batch: many small batches give the one-batch fit (to
    float32 rounding: the fused Adam step vectorises differently over parameter vectors of other lengths)."""
    small = fit_cohort(peptidome, 20, epochs=30, batch_size=300)
    whole = fit_cohort(peptidome, 20, epochs=30, batch_size=10**9)
    gd = ["sample", "protein", "n_peptides", "n_edges", "hidden_activity", "loss", "length"]
    pd.testing.assert_frame_equal(small.proteins[gd], whole.proteins[gd], rtol=1e-6)
    pd.testing.assert_frame_equal(small.edges, whole.edges, rtol=1e-5, atol=1e-9)
    ranges = ["hidden_activity_min", "hidden_activity_max"]  # LP optima: equal to solver precision
    pd.testing.assert_frame_equal(small.proteins[ranges], whole.proteins[ranges], rtol=1e-7)


def test_failing_batch_names_its_samples_and_proteins(peptidome, monkeypatch):
    real_fit = cohort_module.fit

    def failing(graphs, *args, **kwargs):
        ids = [g.protein_id for g in (graphs if isinstance(graphs, list) else [graphs])]
        if any(i.startswith("P02042@") for i in ids):
            raise ValueError("planted failure")
        return real_fit(graphs, *args, **kwargs)

    monkeypatch.setattr(cohort_module, "fit", failing)
    with pytest.raises(ParallelTaskError, match=r"batch \d of \d+ \(sample/protein [^)]*/P02042.*planted failure"):
        fit_cohort(peptidome, 20, epochs=5, batch_size=300, n_jobs=1)


def test_bad_n_jobs_and_batch_size(peptidome):
    with pytest.raises(ParameterError, match="n_jobs"):
        fit_cohort(peptidome, 20, n_jobs=0)
    with pytest.raises(DataValidationError, match="batch_size"):
        fit_cohort(peptidome, 20, batch_size=0)
