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
    """Column indices (rows, k) drawn in turn; every row needs >= k positive weights."""
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
