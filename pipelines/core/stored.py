"""A pass's unit results read back from the work cache, one unit at a time.

For a streamed recipe (:class:`pipelines.core.recipe.Stream`) the orchestrator does not keep unit
results in memory: every successful result is already in the work cache (that is what makes a
build resumable), so :class:`StoredResults` only remembers the keys and the failed units, and
loads a result when it is asked for. Iterating yields the results in unit order; each iteration
reads them again, so a hook may mutate what it gets (a cap, an LLM text) without changing what
the next iteration sees until :meth:`StoredResults.replace` stores the mutated result.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import overload

from pipelines.core.recipe import UnitResult
from pipelines.core.workcache import WorkCache


class StoredResults(Sequence[UnitResult]):
    """The results of one pass: ``keys`` are the cache keys (``<pass>/<unit key>``) in unit order;
    ``failed`` maps a unit's index to the result standing for its failure (never cached)."""

    def __init__(self, cache: WorkCache, keys: Sequence[str], failed: Mapping[int, UnitResult]) -> None:
        self._cache, self._keys, self._failed = cache, list(keys), dict(failed)

    def __len__(self) -> int:
        return len(self._keys)

    @overload
    def __getitem__(self, index: int) -> UnitResult: ...
    @overload
    def __getitem__(self, index: slice) -> list[UnitResult]: ...

    def __getitem__(self, index: int | slice) -> UnitResult | list[UnitResult]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if index in self._failed:
            return self._failed[index]
        result = self._cache.get(self._keys[index])
        if result is None:  # the cache was cleared or tampered with under a running build
            raise KeyError(f"unit {self._keys[index]} is missing from the work cache")
        return result

    def __iter__(self) -> Iterator[UnitResult]:
        return (self[index] for index in range(len(self)))

    def replace(self, index: int, result: UnitResult) -> None:
        """Store ``result`` (a mutated copy of unit ``index``'s) in place of the cached one."""
        if index in self._failed:
            raise ValueError(f"unit {self._keys[index]} failed; it has no stored result to replace")
        self._cache.put(self._keys[index], result)
