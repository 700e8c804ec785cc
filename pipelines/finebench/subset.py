"""Deterministic ~10% subset of videos whose question mix is closest to the full build.

The mix of a set of videos is its share of questions per (category, single/compound) cell; the
distance is the L1 distance between shares. With few candidate combinations every combination is
scored; otherwise a greedy pass adds the best video one at a time and then swaps videos in and
out while that improves the distance. Ties break on the sorted video ids, so the choice depends on
the data alone.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Mapping

EXHAUSTIVE_LIMIT = 20_000


def shares(counts: Counter[str]) -> dict[str, float]:
    total = sum(counts.values())
    return {cell: n / total for cell, n in counts.items()} if total else {}


def distance(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    return sum(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in set(a) | set(b))


def _mix(videos: tuple[str, ...], per_video: Mapping[str, Counter[str]]) -> dict[str, float]:
    total: Counter[str] = Counter()
    for video in videos:
        total.update(per_video[video])
    return shares(total)


def choose_subset(per_video: Mapping[str, Counter[str]], fraction: float) -> list[str]:
    """Sorted ids of ``max(1, round(fraction * n))`` videos with the closest mix."""
    ids = sorted(v for v, c in per_video.items() if sum(c.values()) > 0)
    if not ids:
        return []
    k = min(len(ids), max(1, round(fraction * len(ids))))
    full = _mix(tuple(ids), per_video)

    def score(combo: tuple[str, ...]) -> tuple[float, tuple[str, ...]]:
        return (round(distance(_mix(combo, per_video), full), 12), combo)

    if math.comb(len(ids), k) <= EXHAUSTIVE_LIMIT:
        return list(min(itertools.combinations(ids, k), key=score))
    chosen: tuple[str, ...] = ()
    for _ in range(k):
        best = min((tuple(sorted((*chosen, v))) for v in ids if v not in chosen), key=score)
        chosen = best
    improved = True
    while improved:
        improved = False
        current = score(chosen)
        for out_video, in_video in itertools.product(chosen, [v for v in ids if v not in chosen]):
            trial = tuple(sorted([v for v in chosen if v != out_video] + [in_video]))
            if score(trial) < current:
                chosen, improved = trial, True
                break
    return list(chosen)
