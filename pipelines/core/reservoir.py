"""A keyed sample of a stream: the positions of the ``limit`` items of lowest rank.

The rank of an item is a pure function of its key (a keyed hash), so the sample does not depend
on how the stream was cut into units or on the worker count, and it is the same set a whole-list
sort by rank would take (ties by position). Only (rank, position) pairs are held, ``limit`` at
most: the caller builds the sampled items in a second pass over the stream (:meth:`positions`),
so the items of a long stream never sit in memory beside the garbage of the first pass.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable


class KeyedSample:
    def __init__(self, limit: int, rank: Callable[[str], float]) -> None:
        self.limit, self.rank = limit, rank
        self.seen = 0
        self._heap: list[tuple[float, int]] = []  # (-rank, -position): the worst kept one on top

    def offer(self, key: str) -> None:
        """Consider the next item of the stream, by its key."""
        entry = (-self.rank(key), -self.seen)
        self.seen += 1
        if len(self._heap) < self.limit:
            heapq.heappush(self._heap, entry)
        elif entry > self._heap[0]:  # lower rank (or same rank, earlier position) than the worst kept
            heapq.heapreplace(self._heap, entry)

    def positions(self) -> list[int]:
        """The stream positions of the kept items, in stream order."""
        return sorted(-position for _, position in self._heap)
