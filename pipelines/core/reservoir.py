"""A keyed sample of a stream: the positions of the ``limit`` items of lowest rank.

The rank of an item is a pure function of its key (a keyed hash), so the sample does not depend
on how the stream was cut into units or on the worker count, and it is the same set a whole-list
sort by rank would take (ties by position). Only (rank, position) pairs are held, ``limit`` at
most: the caller builds the sampled items in a second pass over the stream (:meth:`positions`),
so the items of a long stream never sit in memory beside the garbage of the first pass.
:class:`SegmentedSample` does the same for lists whose order is not the stream's (several
configs' rows one after the other, while the rows arrive unit by unit).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any


class KeyedSample:
    def __init__(self, limit: int, rank: Callable[[str], float]) -> None:
        self.limit, self.rank = limit, rank
        self.seen = 0
        self._heap: list[tuple[float, int]] = []  # (-rank, -position): the worst kept one on top

    def offer(self, key: str, position: int | None = None) -> None:
        """Consider the next item of the stream, by its key. ``position``: where the item sits in
        the whole list (default: the count offered so far); see :class:`SegmentedSample`."""
        entry = (-self.rank(key), -(self.seen if position is None else position))
        self.seen += 1
        if len(self._heap) < self.limit:
            heapq.heappush(self._heap, entry)
        elif entry > self._heap[0]:  # lower rank (or same rank, earlier position) than the worst kept
            heapq.heapreplace(self._heap, entry)

    def positions(self) -> list[int]:
        """The stream positions of the kept items, in stream order."""
        return sorted(-position for _, position in self._heap)


def within_budget(ranked: Iterable[tuple[float, int, int]], budget: int) -> set[int]:
    """The positions of the longest run of ``(rank, position, cost)`` in (rank, position) order
    whose costs add up to at most ``budget`` (the first one is always kept): a keyed sample cut
    to a budget (e.g. hashed features, so a text-only check's memory is bounded)."""
    kept, used = set(), 0
    for _, position, cost in sorted(ranked):
        if kept and used + cost > budget:
            break
        kept.add(position)
        used += cost
    return kept


def spread_positions(total: int, count: int) -> list[int]:
    """The positions of ``count`` items evenly spaced over ``total`` (``items[::step][:count]``),
    for report samples picked by position in a pass over a stream whose length is known."""
    return list(range(0, total, max(1, total // count)))[:count] if total else []


SEGMENT = 1 << 40  # positions of one segment: more items than any build has


class SegmentedSample:
    """Keyed samples of several lists ("scopes") whose whole-list order is segment after segment
    (one config's rows, then another's) while the items arrive interleaved, unit by unit.

    First pass: :meth:`offer` each item of each scope, segments numbered in whole-list order; the
    sample of a scope is the one :class:`KeyedSample` takes of its whole list (ties by whole-list
    position). Second pass: :meth:`picker` replays the same offers and builds the kept items."""

    def __init__(self, limit: int, rank: Callable[[str], float]) -> None:
        self.limit, self.rank = limit, rank
        self.samples: dict[str, KeyedSample] = {}
        self.offered: Counter[tuple[str, int]] = Counter()

    def offer(self, scope: str, segment: int, key: str) -> None:
        """The next item of ``scope`` in ``segment`` (a scope is made when first offered)."""
        sample = self.samples.get(scope)
        if sample is None:
            sample = self.samples[scope] = KeyedSample(self.limit, self.rank)
        index = self.offered[scope, segment]
        self.offered[scope, segment] += 1
        sample.offer(key, segment * SEGMENT + index)

    def picker(self, scopes: Iterable[str]) -> SamplePicker:
        """A picker of the kept items of ``scopes`` (fed the same items again, in the same order)."""
        return SamplePicker({scope: set(self.samples[scope].positions()) if scope in self.samples else set()
                             for scope in scopes})


class SamplePicker:
    """The second pass of a :class:`SegmentedSample`: :meth:`take` every item in the order it was
    offered (items of other scopes are ignored); :meth:`items` gives a scope's kept items in
    whole-list order."""

    def __init__(self, wanted: dict[str, set[int]]) -> None:
        self.wanted = wanted
        self.seen: Counter[tuple[str, int]] = Counter()
        self.kept: dict[str, list[tuple[int, Any]]] = {scope: [] for scope in wanted}

    def take(self, scope: str, segment: int, make: Callable[[], Any]) -> None:
        """The next item of ``scope`` in ``segment``; ``make()`` builds it when it is kept."""
        if scope not in self.wanted:
            return
        position = segment * SEGMENT + self.seen[scope, segment]
        self.seen[scope, segment] += 1
        if position in self.wanted[scope]:
            self.kept[scope].append((position, make()))

    def items(self, scope: str) -> list[Any]:
        return [item for _, item in sorted(self.kept[scope], key=lambda kept: kept[0])]
