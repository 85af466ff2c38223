"""Torch intra-op threads for the project's compute: one by default, the caller's choice otherwise.

torch runs every operation on all cores by default. BINN steps are short (milliseconds), so when another process
shares the cores, every step waits for a descheduled worker thread: on a busy two-core machine two threads made a
small fit and a full-Reactome step several times slower than one thread (figures and command in
``benchmarks/RESULTS.md``, section "Threads on a busy machine"), while on a quiet machine the second thread gains
little. The estimators therefore run with ``n_threads=1`` unless told otherwise.

Example
-------
>>> import torch
>>> before = torch.get_num_threads()
>>> with intra_op_threads(1):
...     torch.get_num_threads()
1
>>> torch.get_num_threads() == before
True
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch

__all__ = ["intra_op_threads"]


@contextmanager
def intra_op_threads(limit: int | None) -> Iterator[None]:
    """Run the block with at most ``limit`` torch intra-op threads (``None``: torch's setting unchanged); the old
    setting is restored on exit, also after an exception."""
    before = torch.get_num_threads()
    if limit is None or before <= limit:
        yield
        return
    torch.set_num_threads(int(limit))
    try:
        yield
    finally:
        torch.set_num_threads(before)
