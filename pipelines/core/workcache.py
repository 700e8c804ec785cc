"""Resumable work units: finished units are stored under a fingerprinted work folder.

The fingerprint hashes everything that can change a unit's result (parameters, input checksums,
code version), so a re-run after a crash reuses exactly the units that are still valid and a
changed run never reads stale ones. Each unit is one pickle written atomically.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pipelines.core.atomic import write_bytes
from pipelines.core.executors import Executor
from pipelines.core.unitfail import UnitFailure

C = TypeVar("C")
T = TypeVar("T")
R = TypeVar("R")


def fingerprint(*parts: Any) -> str:
    payload = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(payload).hexdigest()[:16]


class WorkCache:
    def __init__(self, build_dir: Path, key: str) -> None:
        self.root = build_dir / ".work" / key

    def _path(self, unit: str) -> Path:
        return self.root / (hashlib.sha1(unit.encode()).hexdigest() + ".pkl")

    def get(self, unit: str) -> Any | None:
        path = self._path(unit)
        if not path.exists():
            return None
        with open(path, "rb") as handle:
            return pickle.load(handle)

    def put(self, unit: str, value: Any) -> None:
        write_bytes(self._path(unit), pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def clear(self) -> None:
        shutil.rmtree(self.root.parent, ignore_errors=True)


def map_cached(executor: Executor, fn: Callable[[C, T], R], context: C, items: Sequence[T],
               keys: Sequence[str], cache: WorkCache, desc: str,
               valid: Callable[[R], bool] | None = None,
               stored: Callable[[int], None] | None = None) -> list[R | UnitFailure]:
    """``executor.map`` that skips units already in ``cache`` and stores each new result as soon
    as it arrives (so a killed run loses at most the units in flight). Results in input order.

    A cached result for which ``valid(result)`` is false is computed again; ``stored(index)`` is
    called after each new result is stored. A :class:`UnitFailure` is returned in its unit's place
    and never stored, so the next run tries that unit again."""
    results: list[R | UnitFailure | None] = [cache.get(key) for key in keys]
    if valid is not None:
        results = [r if r is not None and valid(r) else None for r in results]  # type: ignore[arg-type]
    todo = [i for i, result in enumerate(results) if result is None]
    for index, result in _run_missing(executor, fn, context, items, keys, cache, desc, todo, stored):
        results[index] = result
    return results  # type: ignore[return-value]


def fill_cached(executor: Executor, fn: Callable[[C, T], R], context: C, items: Sequence[T],
                keys: Sequence[str], cache: WorkCache, desc: str,
                valid: Callable[[R], bool] | None = None,
                stored: Callable[[int], None] | None = None) -> dict[int, UnitFailure]:
    """:func:`map_cached` that keeps no result in memory: afterwards every unit's result is in
    ``cache`` except the failed ones, returned by unit index. Cached units are checked one at a
    time, so the driver's memory does not grow with the number of units."""
    todo = [i for i, key in enumerate(keys) if not _usable(cache.get(key), valid)]
    return {index: result for index, result in
            _run_missing(executor, fn, context, items, keys, cache, desc, todo, stored)
            if isinstance(result, UnitFailure)}


def _usable(result: Any, valid: Callable[[Any], bool] | None) -> bool:
    return result is not None and (valid is None or valid(result))


def _run_missing(executor: Executor, fn: Callable[[C, T], R], context: C, items: Sequence[T],
                 keys: Sequence[str], cache: WorkCache, desc: str, todo: list[int],
                 stored: Callable[[int], None] | None) -> Iterator[tuple[int, R | UnitFailure]]:
    """Run the units at ``todo``; store each success as it arrives; yield (index, result)."""
    for index, result in zip(todo, executor.map(fn, context, [items[i] for i in todo], desc=desc),
                             strict=True):
        if not isinstance(result, UnitFailure):
            cache.put(keys[index], result)
            if stored is not None:
                stored(index)
        yield index, result
