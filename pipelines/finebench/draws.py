"""Vectorised per-unit randomness and weighted draws (pure numpy functions).

:func:`unit_uniforms` evaluates many units' :class:`~pipelines.core.rng.UnitRng` streams at once:
SplitMix64's n-th output depends only on ``seed + n * golden``, so the first few draws of every
unit are one array expression, and they equal ``UnitRng(seed, key).random()`` called in turn.

:func:`draw_without_replacement` makes ``k`` successive weighted draws per row: each draw picks a
column with probability proportional to its (integer) weight among the columns not yet drawn.
Integer weights and one float multiply per draw make it exact and machine-independent.
"""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa

from pipelines.core.rng import derive_seeds

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
PERMUTATIONS_3 = np.array([[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]])
PERMUTATIONS_4 = np.array([[a, b, c, d] for a in range(4) for b in range(4) for c in range(4)
                           for d in range(4) if len({a, b, c, d}) == 4])


def unit_seeds(seed: int, keys: list[str] | pa.StringArray) -> np.ndarray:
    """The 64-bit seeds of ``UnitRng(seed, key)`` for every key (a list, or an Arrow string array
    whose UTF-8 bytes are hashed in place)."""
    if isinstance(keys, pa.Array):
        _, offsets_buffer, data = keys.buffers()
        offsets = np.frombuffer(offsets_buffer, dtype=np.int32)[keys.offset:keys.offset + len(keys) + 1]
        text = data.to_pybytes() if data is not None else b""  # bytes slices hash faster than views
        keys = [text[start:end] for start, end in itertools.pairwise(offsets.tolist())]
    return np.frombuffer(b"".join(derive_seeds(seed, keys)), dtype="<u8").astype(np.uint64)


def unit_uniforms(seeds: np.ndarray, count: int) -> np.ndarray:
    """(len(seeds), count) floats in [0, 1): column j is the (j+1)-th ``UnitRng.random()``."""
    steps = np.arange(1, count + 1, dtype=np.uint64) * _GOLDEN
    with np.errstate(over="ignore"):
        z = seeds.astype(np.uint64)[:, None] + steps[None, :]
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
    z ^= z >> np.uint64(31)
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def scaled_index(uniform: np.ndarray, size: np.ndarray | int) -> np.ndarray:
    """floor(u * size), clamped to size - 1: a uniform index below ``size``."""
    return np.minimum((uniform * size).astype(np.int64), np.asarray(size) - 1)


def draw_without_replacement(weights: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Column indices (rows, k) drawn in turn; every row needs >= k positive weights.

    Draw j's point is ``min(floor(u * left), left - 1)`` on the weights not yet drawn (``left``
    their total) and picks the first column whose running sum of them passes it. The running sums
    are made once: every row's sums, offset by the row number times a bound on any total, form one
    sorted array, searched for all rows at once; a drawn column is skipped by moving the point past
    its weight when the column found lies at or beyond it (drawn columns in column order). Integer
    weights make it exact: the same columns as recomputing the sums for every draw."""
    weights = weights.astype(np.int64, copy=False)
    count, width = weights.shape
    cumulative = np.cumsum(weights, axis=1)
    totals = cumulative[:, -1].copy() if width else np.zeros(count, dtype=np.int64)
    span = int(totals.max(initial=0)) + 1
    if count * span >= 1 << 62:  # the offset sums would not fit in int64
        return _draw_in_turn(weights, uniforms)
    base = np.arange(count, dtype=np.int64) * span
    cumulative += base[:, None]
    flat, first_column = cumulative.ravel(), np.arange(count, dtype=np.int64) * width
    picked = np.empty(uniforms.shape, dtype=np.int64)
    removed = np.zeros(uniforms.shape, dtype=np.int64)  # weight each draw took away (0: nothing left)
    for j in range(uniforms.shape[1]):
        left = totals - removed[:, :j].sum(axis=1)
        threshold = base + np.minimum((uniforms[:, j] * left).astype(np.int64), left - 1)
        chosen = np.searchsorted(flat, threshold, side="right") - first_column
        if j:
            order = np.argsort(picked[:, :j], axis=1, kind="stable")
            for column, weight in zip(np.take_along_axis(picked[:, :j], order, axis=1).T,
                                      np.take_along_axis(removed[:, :j], order, axis=1).T, strict=True):
                rows = np.flatnonzero((chosen >= column) & (weight > 0))
                threshold[rows] += weight[rows]
                chosen[rows] = np.searchsorted(flat, threshold[rows], side="right") - first_column[rows]
        picked[:, j] = chosen
        again = (picked[:, :j] == chosen[:, None]).any(axis=1)
        removed[:, j] = np.where(again, 0, weights.ravel()[first_column + chosen])
    return picked


def _draw_in_turn(weights: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """:func:`draw_without_replacement` recomputing the running sums for every draw."""
    remaining = weights.astype(np.int64, copy=True)
    rows = np.arange(len(remaining))
    picked = np.empty(uniforms.shape, dtype=np.int64)
    for j in range(uniforms.shape[1]):
        cumulative = np.cumsum(remaining, axis=1)
        total = cumulative[:, -1]
        point = np.minimum((uniforms[:, j] * total).astype(np.int64), total - 1)
        chosen = (cumulative > point[:, None]).argmax(axis=1)  # first column past the point
        picked[:, j] = chosen
        remaining[rows, chosen] = 0
    return picked
