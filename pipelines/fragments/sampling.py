"""Choosing N distinguishable frames of one video (pure functions over times and differences).

Candidates are times inside one action window (the video, or the span a presence source
covers). A chosen set must hold N candidates that are pairwise at least ``min_gap`` seconds apart
and pairwise more different than ``floor`` (``frame_difference`` of their decoded images), so
every frame of a question can be told from every other. The choice is a greedy pass over the
candidates in an order drawn from the unit's RNG, repeated a few times; when no pass finds N, the
(video, N) unit is rejected with the best count found.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pipelines.core.rng import UnitRng

ATTEMPTS = 12


@dataclass(frozen=True)
class Shortfall:
    """Why N frames could not be chosen: the most compatible frames any attempt found."""

    best: int
    detail: str


def candidate_times(start: float, end: float, count: int) -> list[float]:
    """``count`` evenly spaced times in ``[start, end]`` (both ends included), rounded to ms."""
    if end <= start or count < 2:
        return [round(start, 3)]
    step = (end - start) / (count - 1)
    return sorted({round(start + i * step, 3) for i in range(count)})


def compatible(i: int, chosen: Sequence[int], times: Sequence[float], diff: Sequence[Sequence[float]],
               min_gap: float, floor: float) -> bool:
    return all(abs(times[i] - times[j]) >= min_gap - 1e-9 and diff[i][j] > floor for j in chosen)


def choose_frames(rng: UnitRng, times: Sequence[float], diff: Sequence[Sequence[float]], n: int,
                  min_gap: float, floor: float) -> list[int] | Shortfall:
    """Indices (ascending time) of ``n`` candidates that are pairwise ``min_gap`` apart and differ
    by more than ``floor``; or a :class:`Shortfall`."""
    best: list[int] = []
    order = list(range(len(times)))
    for _ in range(ATTEMPTS):
        rng.shuffle(order)
        chosen: list[int] = []
        for i in order:
            if compatible(i, chosen, times, diff, min_gap, floor):
                chosen.append(i)
                if len(chosen) == n:
                    return sorted(chosen, key=lambda k: times[k])
        best = max(best, chosen, key=len)
    return Shortfall(len(best), f"at most {len(best)} of {len(times)} candidate frames are pairwise "
                                f">= {min_gap:g} s apart and differ by > {floor:g}; {n} needed")
