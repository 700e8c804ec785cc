"""Orders, permutations and balanced answer positions (pure functions).

Conventions: frames are numbered 1..N in *presented* order. ``time_order[k]`` is the time rank
(1 = earliest) of the frame presented at position ``k + 1``. A rearrangement answer lists the
presented frame numbers in the order they happened, so taking the presented frames in that order
gives ascending time.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from pipelines.core.rng import UnitRng


def identity(n: int) -> tuple[int, ...]:
    return tuple(range(1, n + 1))


def shuffled_order(rng: UnitRng, n: int) -> tuple[int, ...]:
    """A permutation of 1..n that is never the identity (n >= 2)."""
    order = list(identity(n))
    while tuple(order) == identity(n):
        rng.shuffle(order)
    return tuple(order)


def restoring_sequence(time_order: Sequence[int]) -> tuple[int, ...]:
    """Presented frame numbers sorted by time: the rearrangement answer for ``time_order``."""
    return tuple(sorted(range(1, len(time_order) + 1), key=lambda k: time_order[k - 1]))


def apply_sequence(items: Sequence[object], sequence: Sequence[int]) -> list[object]:
    """``items`` (presented order) taken in the order of 1-based ``sequence``."""
    return [items[k - 1] for k in sequence]


def other_permutations(rng: UnitRng, truth: tuple[int, ...], count: int,
                       exclude: set[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """``count`` distinct permutations of 1..N other than ``truth`` and ``exclude``, drawn
    uniformly (all permutations are enumerated: N is at most 9, and usually <= 6)."""
    pool = [p for p in itertools.permutations(identity(len(truth))) if p != truth and p not in exclude]
    return rng.sample(pool, min(count, len(pool)))


class Positions:
    """Balanced answer positions for one video's questions, by number of options.

    The k-th question with m options puts its key at ``(offset_m + k) mod m``, with ``offset_m``
    drawn once per video: every letter is the key equally often within a video, up to one."""

    def __init__(self, rng: UnitRng) -> None:
        self._rng = rng
        self._next: dict[int, int] = {}

    def next(self, options: int) -> int:
        if options not in self._next:
            self._next[options] = self._rng.below(options)
        position = self._next[options] % options
        self._next[options] += 1
        return position


class Alternation:
    """Yes/No keys of one video's questions of one kind: alternating from a drawn start."""

    def __init__(self, rng: UnitRng) -> None:
        self._state = rng.below(2) == 1

    def next(self) -> bool:
        self._state = not self._state
        return self._state


def place(key: str, others: Sequence[str], position: int) -> tuple[list[str], int]:
    """Options with ``key`` inserted at ``position`` among ``others`` (kept in their order)."""
    options = list(others)
    options.insert(position, key)
    return options, position
