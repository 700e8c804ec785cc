"""Executors: run a pure function over work units, results in input order.

Contract: ``executor.map(fn, context, items)`` yields ``fn(context, item)`` for every item, in the
order of ``items``, whatever the number of workers. ``fn`` must be a module-level function and
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
import multiprocessing
import os
import pickle
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Protocol, TypeVar

from tqdm import tqdm

from pipelines.core.errors import ConfigError
from pipelines.core.orphans import exit_with_parent

C = TypeVar("C")
T = TypeVar("T")
R = TypeVar("R")

_worker_state: dict[str, Any] = {}


def _init_worker(parent: int, payload: bytes) -> None:
    """Pool initializer. ``fn`` and ``context`` arrive pickled: unpickling them imports the recipe
    (seconds on a loaded machine), so the parent watch starts first and a worker whose parent is
    killed meanwhile still exits at once."""
    exit_with_parent(parent)
    _worker_state["fn"], _worker_state["context"] = pickle.loads(payload)


def _run_in_worker(item: Any) -> Any:
    with gc_paused():
        return _worker_state["fn"](_worker_state["context"], item)


class Executor(Protocol):
    name: str

    def map(self, fn: Callable[[C, T], R], context: C, items: Sequence[T], *,
            desc: str = "") -> Iterator[R]: ...


class LocalExecutor:
    """In-process when ``workers <= 1``; otherwise a spawn-based process pool.

    The context is sent once per worker (pool initializer), not once per item.
    """

    name = "local"

    def __init__(self, workers: int = 1, progress: bool | None = None) -> None:
        if workers < 1:
            raise ConfigError(f"workers must be >= 1, not {workers}")
        self.workers = workers
        self.progress_disabled = None if progress is None else not progress

    def map(self, fn: Callable[[C, T], R], context: C, items: Sequence[T], *,
            desc: str = "") -> Iterator[R]:
        bar = tqdm(total=len(items), desc=desc, unit="unit", disable=self.progress_disabled,
                   leave=False)
        try:
            if self.workers == 1 or len(items) <= 1:
                for item in items:
                    yield fn(context, item)
                    bar.update()
                return
            spawn = multiprocessing.get_context("spawn")
            payload = pickle.dumps((fn, context), protocol=pickle.HIGHEST_PROTOCOL)
            with ProcessPoolExecutor(max_workers=min(self.workers, len(items)), mp_context=spawn,
                                     initializer=_init_worker, initargs=(os.getpid(), payload)) as pool:
                for result in pool.map(_run_in_worker, items, chunksize=1):
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
