"""Independent tasks (null refits, seed ensembles, nested-CV members, per-sample fits) run through joblib.

This is the one place in the project that fans work out. It follows scikit-learn's ``n_jobs`` convention and builds
no scheduler of its own: :func:`run_tasks` hands the tasks to :class:`joblib.Parallel`, so the backend is the
user's choice:

* ``n_jobs=None`` runs in this process, unless a :func:`joblib.parallel_config` context says otherwise;
* ``n_jobs=k`` runs on ``k`` local worker processes (joblib's ``loky`` backend), ``-1`` on every core;
* ``with joblib.parallel_config(backend="ray"):`` (after ``ray.init`` or ``ray.util.joblib.register_ray()``) or
  ``backend="dask"`` (with a ``dask.distributed.Client``) sends the same tasks to a cluster.

Guarantees
----------
* **Same result as the sequential run.** Every random choice of a task is drawn *before* the tasks are sent out
  (:func:`task_seeds`, or the caller's own generator in the caller's order), and results come back in task order.
  A worker therefore computes exactly what the loop would have computed.
* **One torch thread per worker.** Each task runs under :func:`binn_graph.threads.intra_op_threads` (1 by default):
  ``k`` workers on ``k`` cores, not ``k × cores`` threads fighting for them.
* **A failing task names itself and nothing partial is returned.** The first failure raises
  :class:`ParallelTaskError` with the task's name and the original error; :func:`run_tasks` returns only when every
  task succeeded, so callers write their outputs after it returns.

Adopting it for a new loop (per-sample degradation fits, per-condition models): move the loop body into a
module-level function of one task's arguments, draw any randomness first, and call
``run_tasks(fit_one, [(sample, data, seed) ...], n_jobs=n_jobs, star=True, names=sample_ids, desc="degradation fits")``;
write outputs after it returns.

Example
-------
>>> run_tasks(pow, [(2, 3), (3, 2)], n_jobs=1, star=True)
[8, 9]
>>> task_seeds(0, 3) == task_seeds(0, 3)
True
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

import numpy as np
from joblib import Parallel, delayed

from ._progress import progress
from .errors import BINNError
from .threads import intra_op_threads

__all__ = ["run_tasks", "task_seeds", "check_n_jobs", "in_task", "ParallelTaskError"]


class ParallelTaskError(BINNError, RuntimeError):
    """A task run by :func:`run_tasks` failed; the message names the task and the original error.

    ``task`` is the task's name, ``cause`` the original error's ``"Type: message"`` text.
    """

    def __init__(self, task: str, cause: str) -> None:
        super().__init__(task, cause)
        self.task = task
        self.cause = cause

    def __str__(self) -> str:
        return f"task {self.task} failed: {self.cause}; no result of this run was kept"


def task_seeds(random_state, n: int) -> list[int]:
    """``n`` independent integer seeds in ``[0, 2**31 − 1)`` derived from ``random_state`` (int, Generator or None).

    The same ``random_state`` gives the same seeds, whatever the number of workers that later uses them.
    """
    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
    return [int(s) for s in rng.integers(0, 2**31 - 1, size=n)]


def check_n_jobs(n_jobs) -> int | None:
    """``n_jobs`` unchanged when it is None or a non-zero integer; a :class:`~binn_graph.errors.ParameterError`
    otherwise."""
    from .errors import ParameterError

    if n_jobs is None or (isinstance(n_jobs, (int, np.integer)) and not isinstance(n_jobs, bool) and n_jobs != 0):
        return None if n_jobs is None else int(n_jobs)
    raise ParameterError(f"n_jobs must be None or a non-zero integer (-1: every core), not {n_jobs!r}")


_depth = [0]  # tasks of run_tasks running in this process


def in_task() -> bool:
    """True while this process runs a task of :func:`run_tasks` (its fits then never join a distributed run)."""
    return _depth[0] > 0


def _run_one(function: Callable, task: Any, name: str, star: bool, threads: int | None):
    """One task in a worker: torch limited to ``threads`` intra-op threads; a failure re-raised naming the task."""
    _depth[0] += 1
    try:
        with intra_op_threads(threads):
            return function(*task) if star else function(task)
    except ParallelTaskError:
        raise
    except BaseException as exc:  # noqa: BLE001 - every failure is reported with the task's name
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise ParallelTaskError(name, f"{type(exc).__name__}: {exc}") from exc
    finally:
        _depth[0] -= 1


def run_tasks(function: Callable, tasks: Iterable, *, n_jobs: int | None = None, names: Sequence[str] | None = None,
              desc: str = "tasks", unit: str = "task", star: bool = False, threads: int | None = 1,
              show_progress: bool | None = None) -> list:
    """``[function(task) for task in tasks]``, possibly on several workers; results in task order.

    Parameters
    ----------
    function:
        A module-level (picklable) function; ``function(*task)`` when ``star``.
    tasks:
        The tasks' arguments, each with everything the task needs (seeds included: draw them with
        :func:`task_seeds` before calling).
    n_jobs:
        scikit-learn's convention: None (this process unless a ``joblib.parallel_config`` context sets a backend
        or ``n_jobs``), a positive number of workers, or ``-1`` for every core.
    names:
        One name per task for error messages (default ``"<desc> #i"``).
    threads:
        Torch intra-op threads inside each task (default 1; None leaves torch's setting).
    show_progress:
        Progress of the tasks (see :mod:`binn_graph._progress`).

    Raises
    ------
    ParallelTaskError
        The first failing task, by name, with its original error as ``__cause__`` (where the backend keeps it).
    """
    tasks = list(tasks)
    n_jobs = check_n_jobs(n_jobs)
    names = [f"{desc} #{i}" for i in range(len(tasks))] if names is None else [str(n) for n in names]
    if len(names) != len(tasks):
        raise ValueError(f"{len(names)} names for {len(tasks)} tasks")
    calls = [delayed(_run_one)(function, task, name, star, threads) for task, name in zip(tasks, names)]
    bar = progress(total=len(tasks), desc=desc, unit=unit, enabled=show_progress)
    results = []
    try:
        try:
            stream = Parallel(n_jobs=n_jobs, return_as="generator")(calls)
        except ValueError as exc:  # backends without result streaming (Ray's): all results at the end
            if "return_as" not in str(exc):
                raise
            stream = Parallel(n_jobs=n_jobs)(calls)
        for result in stream:
            results.append(result)
            bar.update(1)
    finally:
        bar.close()
    return results
