"""Executors: run a pure function over work units, results in input order.

Contract: ``executor.map(fn, context, items)`` yields ``fn(context, item)`` for every item, in the
order of ``items``, whatever the number of workers; a unit that fails yields a
:class:`~pipelines.core.unitfail.UnitFailure` in its place, with the same detail on every executor
(core/unitfail.py says which failures stop the build instead). ``fn`` must be a module-level function and
``context``/``items`` picklable, so the same stage runs unchanged in-process, on a local process
pool, or on any other executor implementing :class:`Executor`. Determinism comes from the stage
(per-unit randomness), not from the executor.

This protocol is the only seam between the orchestrator (``core/orchestrator.py``) and where work
runs: the work cache, resume and tallies sit on top of ``map``, so a distributed executor (Ray)
implements ``name`` and ``map`` and nothing else, and is added to :func:`make_executor` (declare
its package with a :class:`~pipelines.core.requires.Requirement`).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol, TypeVar

from tqdm import tqdm

from pipelines.core.errors import ConfigError
from pipelines.core.localpool import pool_map
from pipelines.core.unitfail import DEFAULT_RETRIES, UnitFailure, run_guarded

C = TypeVar("C")
T = TypeVar("T")
R = TypeVar("R")

class Executor(Protocol):
    name: str

    def map(self, fn: Callable[[C, T], R], context: C, items: Sequence[T], *,
            desc: str = "") -> Iterator[R | UnitFailure]: ...


class LocalExecutor:
    """In-process when ``workers <= 1``; otherwise a spawn-based process pool (core/localpool.py).

    The context is sent once per worker (pool initializer), not once per item. A unit that fails
    is yielded as a :class:`~pipelines.core.unitfail.UnitFailure` (see core/unitfail.py); a unit
    whose worker process dies is tried ``retries`` more times first.
    """

    name = "local"

    def __init__(self, workers: int = 1, progress: bool | None = None,
                 retries: int = DEFAULT_RETRIES) -> None:
        if workers < 1:
            raise ConfigError(f"workers must be >= 1, not {workers}")
        self.workers = workers
        self.retries = retries
        self.progress_disabled = None if progress is None else not progress

    def map(self, fn: Callable[[C, T], R], context: C, items: Sequence[T], *,
            desc: str = "") -> Iterator[R | UnitFailure]:
        bar = tqdm(total=len(items), desc=desc, unit="unit", disable=self.progress_disabled,
                   leave=False)
        try:
            if self.workers == 1 or len(items) <= 1:
                for item in items:
                    yield run_guarded(fn, context, item)
                    bar.update()
                return
            for result in pool_map(fn, context, items, self.workers, self.retries):
                yield result
                bar.update()
        finally:
            bar.close()


def make_executor(kind: str, workers: int, progress: bool | None = None,
                  ray_address: str | None = None) -> Executor:
    """The executor named on the command line (``--executor local|ray``). For Ray, ``workers``
    bounds the CPUs of a local instance started here; ``ray_address`` joins an existing cluster
    (``auto`` or ``ray://host:port``) whose size then decides."""
    if kind == "local":
        return LocalExecutor(workers, progress)
    if kind == "ray":
        from pipelines.core.ray_executor import RayExecutor

        return RayExecutor(ray_address, num_cpus=None if ray_address else workers, progress=progress)
    raise ConfigError(f"unknown executor {kind!r} (available: local, ray)")


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a build step.

    A build keeps millions of small acyclic objects (rows, records) alive; every automatic
    full collection walks all of them, which cost a third of a large finebench build. Reference
    counting still frees everything; the collector's previous state is restored on exit.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
