"""Expected wrong-option counts and the weights that reach them: the fitting pieces of the
cross plan (crossplan.py), its pose pairs (posepairs.py) and its "none of these" family
(noneplan.py). Pure numpy; every sum runs per cell with one bincount, so the bits are the same on
every machine."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FIT_STEPS = 10
NEWTON_STEPS = 5


def inclusion(masses: np.ndarray, draws: int | np.ndarray = 3) -> np.ndarray:
    """Chance that each column is among ``draws`` successive weighted draws without replacement,
    per row, by the conditional-Poisson approximation ``1 - exp(-lam * w)`` with ``lam`` solved
    per row (Newton from below) so the chances add up to ``draws``; one draw: exactly the
    normalised masses. ``draws`` may be one count per row (a column vector)."""
    if isinstance(draws, int) and draws == 1:
        return masses / np.maximum(masses.sum(axis=1, keepdims=True), 1e-12)
    nonzero = masses > 0
    positive = nonzero.sum(axis=1, keepdims=True)
    wanted = np.minimum(draws, positive)
    lam = wanted / np.maximum(masses.sum(axis=1, keepdims=True), 1e-12)
    # Two work arrays written in place: a fresh (units x A) temporary per operation cost ~10x the
    # arithmetic (page faults on new memory), measured on the plan's 1,000 x 81 matrices.
    grown, work = np.empty_like(masses), np.empty_like(masses)
    for _ in range(NEWTON_STEPS):
        np.exp(np.multiply(-lam, masses, out=grown), out=grown)
        gap = wanted - np.subtract(1.0, grown, out=work).sum(axis=1, keepdims=True)
        lam = lam + gap / np.maximum(np.multiply(masses, grown, out=work).sum(axis=1, keepdims=True), 1e-12)
    chance = np.subtract(1.0, np.exp(np.multiply(-lam, masses, out=grown), out=grown), out=grown)
    chance[~nonzero] = 0.0
    every = (positive <= draws).ravel()  # all of the row's columns are drawn
    chance[every] = nonzero[every]
    return chance


@dataclass(frozen=True)
class Groups:
    """Units grouped by identical (cell, row): such units have the same inclusion chances, so a
    fit sees each group once, with its units' total mass (AVA persons share few action sets:
    ~4,000 sampled units make ~1,000 groups)."""

    first: np.ndarray  # (groups,) a unit of each group
    group: np.ndarray  # (units,) each unit's group

    def mass(self, values: np.ndarray) -> np.ndarray:
        """Per group, the sum of its units' ``values``."""
        return np.bincount(self.group, weights=values, minlength=len(self.first))


def group_units(rows: np.ndarray, cell: np.ndarray, extra: np.ndarray | None = None) -> Groups:
    """The :class:`Groups` of units by (``cell``, row of ``rows``, ``extra`` value if given)."""
    keys = [cell[:, None]] + ([] if extra is None else [extra[:, None]])
    keyed = np.ascontiguousarray(np.concatenate([*(k.astype(rows.dtype) for k in keys), rows], axis=1))
    packed = keyed.view(np.dtype((np.void, keyed.dtype.itemsize * keyed.shape[1]))).ravel()
    _, first, group = np.unique(packed, return_index=True, return_inverse=True)
    return Groups(first, group.ravel())


def fit_distractor_weights(allowed: np.ndarray, kept: np.ndarray, cell: np.ndarray, wanted: np.ndarray,
                           start: np.ndarray, draws: int | np.ndarray = 3) -> tuple[np.ndarray, np.ndarray]:
    """Weights per cell (each row's max 1) whose expected wrong-option counts approach ``wanted``
    (cells x A); also those counts.

    A unit kept with probability ``kept[u]`` draws ``draws`` actions among ``allowed[u]`` with the
    weights of its cell ``cell[u]`` (:func:`inclusion`). Units may be :class:`Groups` (``kept``:
    their mass): the counts are the same."""
    weights = start.copy()
    shown = np.zeros_like(weights)
    index, mass, target, live = cell_index(cell, allowed.shape[1]), kept[:, None], wanted + 1e-3, start > 0
    for _ in range(FIT_STEPS):  # small arrays, many steps: ufuncs called directly (np.clip's wrapper costs)
        shown = by_cell(cell, mass * inclusion(allowed * weights[cell], draws), len(weights), index)
        weights = weights * np.power(np.minimum(np.maximum(target / (shown + 1e-3), 0.2), 5.0), 0.8)
        top = np.maximum(weights.max(axis=1, keepdims=True), 1e-12)
        weights = np.where(live, np.maximum(weights / top, 1e-6), 0.0)
    return weights, shown


def cell_index(cell: np.ndarray, width: int) -> np.ndarray:
    """The flat (cell, column) bin of every entry of a (units x ``width``) array, for :func:`by_cell`."""
    return (cell[:, None] * width + np.arange(width)[None, :]).ravel()


def by_cell(cell: np.ndarray, values: np.ndarray, cells: int, index: np.ndarray | None = None) -> np.ndarray:
    """(cells x A) sums of the unit rows of ``values`` per cell (one bincount: sequential sums,
    the same bits on every machine, unlike a BLAS product); ``index``: ``cell_index(cell, A)``
    when already made."""
    width = values.shape[1]
    index = cell_index(cell, width) if index is None else index
    return np.bincount(index, weights=values.ravel(), minlength=cells * width).reshape(cells, width)
