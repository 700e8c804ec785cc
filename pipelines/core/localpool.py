"""The local process pool behind :class:`pipelines.core.executors.LocalExecutor` (``workers >= 2``).

Contract: :func:`pool_map` yields, in the order of ``items``, ``fn(context, item)`` or a
:class:`~pipelines.core.unitfail.UnitFailure` (see core/unitfail.py for the semantics), with at
most ``2 x workers`` units in flight (a large input is never submitted all at once).

A worker process that dies breaks a ``ProcessPoolExecutor`` as a whole, and the pool cannot say
which unit killed it. So every unit in flight at that moment whose result was not in yet is
settled in isolation, one at a time, in a one-worker pool (a fresh one after each death): an
innocent unit succeeds at its first attempt; a unit that kills its worker on each of ``retries + 1`` isolated
attempts becomes a failure with the same detail Ray gives. Then a fresh pool takes the rest.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from pipelines.core.orphans import exit_with_parent
from pipelines.core.unitfail import UnitFailure, run_guarded, worker_died_detail

_worker_state: dict[str, Any] = {}


def _init_worker(parent: int, payload: bytes) -> None:
    """Pool initializer. ``fn`` and ``context`` arrive pickled: unpickling them imports the recipe
    (seconds on a loaded machine), so the parent watch starts first and a worker whose parent is
    killed meanwhile still exits at once."""
    exit_with_parent(parent)
    _worker_state["fn"], _worker_state["context"] = pickle.loads(payload)


def _run_in_worker(item: Any) -> Any:
    from pipelines.core.executors import gc_paused

    with gc_paused():
        return run_guarded(_worker_state["fn"], _worker_state["context"], item)


class _Pools:
    """Makes spawn-based pools whose workers hold ``(fn, context)``, sent once per worker."""

    def __init__(self, fn: Callable[[Any, Any], Any], context: Any) -> None:
        self.spawn = multiprocessing.get_context("spawn")
        self.payload = pickle.dumps((fn, context), protocol=pickle.HIGHEST_PROTOCOL)
        self.single: ProcessPoolExecutor | None = None

    def new(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=workers, mp_context=self.spawn,
                                   initializer=_init_worker, initargs=(os.getpid(), self.payload))

    def isolated(self, item: Any, retries: int) -> Any:
        """``item`` run alone, up to ``retries + 1`` times while its worker dies. The one-worker
        pool is kept for the next unit settled alone, and replaced only when a worker died."""
        for _ in range(retries + 1):
            if self.single is None:
                self.single = self.new(1)
            try:
                return self.single.submit(_run_in_worker, item).result()
            except BrokenProcessPool:
                self.close_single()
        return UnitFailure(worker_died_detail(retries + 1))

    def close_single(self) -> None:
        if self.single is not None:
            self.single.shutdown(wait=True, cancel_futures=True)
            self.single = None


def _settled(future: Future) -> bool:
    return future.done() and not future.cancelled() and future.exception() is None


def pool_map(fn: Callable[[Any, Any], Any], context: Any, items: Sequence[Any], workers: int,
             retries: int) -> Iterator[Any]:
    """See the module docstring."""
    pools = _Pools(fn, context)
    workers = min(workers, len(items))
    pending: deque[tuple[Any, Future]] = deque()
    upcoming = iter(items)
    pool = pools.new(workers)
    try:
        while True:
            while len(pending) < 2 * workers and (nxt := next(upcoming, _END)) is not _END:
                pending.append((nxt, pool.submit(_run_in_worker, nxt)))
            if not pending:
                return
            try:
                result = pending[0][1].result()
            except BrokenProcessPool:  # a worker died: settle what was in flight, then go on
                pool.shutdown(wait=True, cancel_futures=True)
                for item, future in pending:
                    yield future.result() if _settled(future) else pools.isolated(item, retries)
                pending.clear()
                pools.close_single()
                pool = pools.new(workers)
                continue
            pending.popleft()
            yield result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        pools.close_single()


_END = object()
