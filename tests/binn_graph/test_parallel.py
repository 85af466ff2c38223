"""binn_graph.parallel: parallel runs equal the sequential ones exactly (null refits, stability seeds, nested CV),
on local processes and on a local Ray cluster; a failing task is named and nothing partial comes back."""

import numpy as np
import pandas as pd
import pytest
from joblib import parallel_config

from binn_graph import BINNClassifier, BINNRegressor
from binn_graph.attribution.explain import explain
from binn_graph.attribution.stability import seed_tables
from binn_graph.errors import BINNError, ParameterError
from binn_graph.genomic import nested_cv
from binn_graph.parallel import ParallelTaskError, run_tasks, task_seeds

from .conftest import synthetic_graph

SMALL = dict(max_epochs=4, batch_size=64, validation_fraction=0.0, random_state=0)


def _square_or_fail(x: int) -> int:
    if x == 3:
        raise ValueError(f"bad value {x}")
    return x * x


def _thread_count(_):
    import torch

    return torch.get_num_threads()


class _FailsOnSeed(BINNRegressor):
    """A regressor whose fit fails for one seed (a worker failing mid-run)."""

    def fit(self, X, y, **kwargs):
        """Fail for ``random_state == 101`` (member (1, 1) of a nested CV with random_state 0)."""
        if self.random_state == 101:
            raise RuntimeError("simulated worker failure")
        return super().fit(X, y, **kwargs)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(120, 40)), columns=[f"x{i}" for i in range(40)],
                     index=[f"s{i}" for i in range(120)])
    signal = X[[f"x{i}" for i in range(3, 40, 10)]].sum(axis=1)
    y_class = pd.Series(np.where(signal > 0, "case", "control"), index=X.index)
    y_reg = pd.Series(signal + 0.1 * rng.normal(size=120), index=X.index)
    return synthetic_graph(40, 4), X, y_class, y_reg


def test_run_tasks_order_seeds_threads_and_errors():
    assert run_tasks(pow, [(2, 3), (3, 2), (5, 0)], n_jobs=2, star=True) == [8, 9, 1]
    assert task_seeds(7, 5) == task_seeds(np.random.default_rng(7), 5)
    assert len(set(task_seeds(7, 50))) == 50
    assert run_tasks(_thread_count, [0, 1], n_jobs=2) == [1, 1]  # one torch thread per worker
    with pytest.raises(ParallelTaskError, match=r"task square #3 failed: ValueError: bad value 3") as info:
        run_tasks(_square_or_fail, range(5), n_jobs=2, desc="square")
    assert info.value.task == "square #3" and isinstance(info.value, BINNError)
    with pytest.raises(ParallelTaskError, match="task item c failed"):
        run_tasks(_square_or_fail, [1, 2, 3], n_jobs=1, names=["item a", "item b", "item c"])
    with pytest.raises(ParameterError, match="n_jobs must be None or a non-zero integer"):
        run_tasks(pow, [(1, 1)], n_jobs=0, star=True)


def test_null_refits_parallel_equal_sequential(data):
    graph, X, y, _ = data
    clf = BINNClassifier(graph, **SMALL).fit(X, y)
    runs = {}
    for null in ("rewire", "permute"):
        for n_jobs in (None, 2):
            clf.set_params(n_jobs=n_jobs)
            table = explain(clf, X, null=null, n_null=2, X_train=X, y_train=y, random_state=5)
            runs[null, n_jobs] = table.set_index("node_id")["p_value"]
        pd.testing.assert_series_equal(runs[null, None], runs[null, 2])
        assert runs[null, 2].notna().any()


def test_stability_seeds_parallel_equal_sequential(data):
    graph, X, y, _ = data
    clf = BINNClassifier(graph, **SMALL)
    sequential = seed_tables(clf, X, y, seeds=[0, 1, 2])
    parallel = seed_tables(clf, X, y, seeds=[0, 1, 2], n_jobs=2)
    for a, b in zip(sequential, parallel):
        pd.testing.assert_frame_equal(a, b)
    assert not sequential[0]["importance"].equals(sequential[1]["importance"])  # the seeds differ


def test_nested_cv_parallel_equal_sequential_and_failure_named(data, tmp_path):
    graph, X, _, y = data
    reg = BINNRegressor(graph, max_epochs=4, batch_size=64)
    sequential = nested_cv(reg, X, y, outer=2, inner=2, random_state=0)
    parallel = nested_cv(reg, X, y, outer=2, inner=2, random_state=0, n_jobs=2)
    pd.testing.assert_series_equal(sequential.predictions, parallel.predictions)
    pd.testing.assert_frame_equal(sequential.scores, parallel.scores)
    with pytest.raises(ParallelTaskError, match=r"outer fold 1, inner member 1 failed: RuntimeError: simulated"):
        nested_cv(_FailsOnSeed(graph, max_epochs=2, batch_size=64), X, y, outer=2, inner=2, random_state=0, n_jobs=2)


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'binn-graph[ray]')")
    from ray.util.joblib import register_ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    register_ray()
    yield ray
    ray.shutdown()


def test_local_ray_cluster_equals_sequential(ray_cluster, data):
    graph, X, y, _ = data
    clf = BINNClassifier(graph, **SMALL)
    sequential = seed_tables(clf, X, y, seeds=[3, 4])
    with parallel_config(backend="ray", n_jobs=2):
        on_ray = seed_tables(clf, X, y, seeds=[3, 4])
        with pytest.raises(ParallelTaskError, match="task square #3 failed"):
            run_tasks(_square_or_fail, range(5), desc="square")
    assert len(ray_cluster.nodes()) == 1 and ray_cluster.cluster_resources()["CPU"] == 2
    for a, b in zip(sequential, on_ray):
        pd.testing.assert_frame_equal(a, b)
