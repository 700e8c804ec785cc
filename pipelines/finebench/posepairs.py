"""Pose pairs in the direct cross form (``--pose-pairs``): pure numpy, part of the build-wide plan.

Every AVA person has exactly one pose (a person-movement action), and a person's own pose is
never a wrong option. So when two poses p and q are shown together, either the question is about
the person's pose (key p, q wrong: a movement question) or both are wrong (a question about
another category, for a person doing neither). A blind model that sees "sit" beside "stand"
bets on one of them: measured on the real files, the key was one of the two poses 80-89% of the
time (it should be half). This module fits a factor ``pair[p, q]`` in (0, 1] that lowers the
chance a movement question with key p shows pose q as a wrong option, so that for every pair
the movement questions showing it are about as many as the other questions showing both.

Counts are expected values over the plan's sample: a unit's chance to show an action as a wrong
option is its inclusion chance (crossfit.inclusion); two poses are taken as shown together
with the product of their chances.
"""

from __future__ import annotations

import numpy as np

from pipelines.finebench.crossfit import fit_distractor_weights, group_units, inclusion

PAIR_ROUNDS = 6
PAIR_SCALE = 1_000  # pair factors as integers (exact weighted draws)


def pair_counts(chances: np.ndarray, kept: np.ndarray, key: np.ndarray, pose: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """(movement, other): (A x A) expected counts of questions showing poses p and q together,
    by whether the key is one of them (``key``: the unit's pose key, -1 for other units)."""
    size = chances.shape[1]
    shown = chances * pose[None, :] * kept[:, None]
    movement = key >= 0
    by_key = np.zeros((size, size))
    np.add.at(by_key, key[movement], shown[movement])
    moved = by_key + by_key.T  # key p with q wrong, or key q with p wrong
    rest = chances[~movement] * pose[None, :]
    other = (rest * kept[~movement, None]).T @ rest
    np.fill_diagonal(other, 0.0)
    return moved, other


def fit_pose_pairs(allowed: np.ndarray, kept: np.ndarray, cell: np.ndarray, wanted: np.ndarray,
                   start: np.ndarray, key: np.ndarray, pose: np.ndarray, draws: int | np.ndarray = 3
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Distractor weights (as crossfit.fit_distractor_weights) and the pair factors (A x A, 1
    outside pose pairs) for units whose pose key is ``key`` (-1: not a movement unit) drawing
    ``draws`` wrong options (or one count per unit)."""
    size = allowed.shape[1]
    pair = np.ones((size, size))
    weights = start
    # units with the same cell, allowed actions and pose key count as one, weighted by their mass
    counts = np.broadcast_to(np.asarray(draws), (len(key),)).astype(np.int64)
    groups = group_units(allowed, cell, key * 4 + counts)
    allowed, kept, cell, key = allowed[groups.first], groups.mass(kept), cell[groups.first], key[groups.first]
    counts = counts[groups.first][:, None]
    for _ in range(PAIR_ROUNDS):
        factor = np.where((key >= 0)[:, None], pair[np.maximum(key, 0)], 1.0)
        weights, _ = fit_distractor_weights(allowed * factor, kept, cell, wanted, start, counts)
        chances = inclusion(allowed * factor * weights[cell], counts)
        moved, other = pair_counts(chances, kept, key, pose)
        ratio = np.where(moved > 1e-9, (other + 1e-3) / np.maximum(moved, 1e-9), 1.0)
        pair = np.clip(pair * np.sqrt(ratio), 1e-3, 1.0)
        pair = np.where(pose[:, None] & pose[None, :], pair, 1.0)
    return weights, pair


def pair_weights(pair: np.ndarray) -> np.ndarray:
    """Integer pair factors in [1, PAIR_SCALE] (rows: the key, columns: the wrong option)."""
    return np.maximum(1, np.rint(pair * PAIR_SCALE)).astype(np.int64)


def pose_pairs_for(category: np.ndarray, pose: np.ndarray, movement: int):
    """``plan_cross``'s ``pose_pairs`` for sampled units of categories ``category``. A call may
    pass the sample twice over (the none family: action-keyed rows, then none-keyed rows with a
    zero ``chance``: no key) and one draw count per row."""
    def fit(allowed: np.ndarray, kept: np.ndarray, cell: np.ndarray, wanted: np.ndarray, start: np.ndarray,
            chance: np.ndarray, draws: int | np.ndarray = 3) -> tuple[np.ndarray, np.ndarray]:
        keyed = (np.resize(category, len(chance)) == movement) & (chance.sum(axis=1) > 0)
        key = np.where(keyed, chance.argmax(axis=1), -1)
        weights, pair = fit_pose_pairs(allowed, kept, cell, wanted, start, key, pose, draws)
        return weights, pair_weights(pair)
    return fit
