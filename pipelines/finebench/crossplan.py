"""Build-wide plan of the cross-category option mode (pure numpy, computed once per build).

A text-only model wins when an option's text predicts whether it is the key. So every action
should be the key in about a quarter of the questions that show it, i.e. be shown as a wrong
option about three times as often as it is right. In AVA that is impossible for the dominant
actions within one category ("stand" would have to be wrong three times as often as it is right
among movement questions alone), hence wrong options may come from ANY category. Even then an
action can be wrong only for persons who do not do it (in any frame shown): its *capacity*.
The plan has four parts:

- ``key_weight``: when a unit's person has several actions of its category (talk + watch), the
  key is drawn among them with weight 1 / (how often the action is a candidate key), which
  spreads the keys over the actions;
- ``keep_key``: an action whose expected key count exceeds ``max_key_ratio / (1 - max_key_ratio)``
  times its capacity keeps only that many units (the rest: ``key_share_cap``);
- ``keep_class``: the cap shrinks some categories (movement, through "stand"); the other
  categories then shed units to stay within ``share_slack`` of their share of the units
  (``category_share``), first the units of persons who do the most capped action (they can
  never show it as a wrong option), which raises that action's capacity;
- ``distractor_weight``: wrong options are drawn with these weights among the actions allowed
  for the person; fitted (multiplicative updates) so that each action's expected wrong-option
  count approaches three times its expected key count. Wrong options therefore follow the
  category mix of the keys, independently of the key's own category.

The estimates use at most ``SAMPLE`` units (an even stride over the build): the plan is a few
vectors, whatever the build's size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLE = 4_000
ROUNDS = 10
FIT_STEPS = 10
NEWTON_STEPS = 5
WEIGHT_SCALE = 1_000_000


@dataclass(frozen=True)
class CrossPlan:
    key_weight: np.ndarray  # (A,) int64, > 0 for vocabulary actions
    keep_key: np.ndarray  # (A,) keep probability of a unit by its key action
    capped: np.ndarray  # (A,) bool: keep_key < 1
    scarcest: int  # the most capped action (-1 if none): persons doing it are "hosts" (column 1)
    keep_class: np.ndarray  # (categories, 2) keep probability by (category, person does scarcest)
    distractor_weight: np.ndarray  # (A,) int64, > 0 for vocabulary actions


def key_probabilities(candidates: np.ndarray, key_weight: np.ndarray) -> np.ndarray:
    """(units x A) probability that each candidate action becomes the unit's key."""
    weights = candidates * key_weight.astype(np.float64)
    return weights / np.maximum(weights.sum(axis=1, keepdims=True), 1e-12)


def inclusion(masses: np.ndarray, draws: int = 3) -> np.ndarray:
    """Chance that each column is among ``draws`` successive weighted draws without replacement,
    per row, by the conditional-Poisson approximation ``1 - exp(-lam * w)`` with ``lam`` solved
    per row (Newton from below) so the chances add up to ``draws``."""
    positive = (masses > 0).sum(axis=1, keepdims=True)
    wanted = np.minimum(draws, positive)
    lam = wanted / np.maximum(masses.sum(axis=1, keepdims=True), 1e-12)
    for _ in range(NEWTON_STEPS):
        grown = np.exp(-lam * masses)
        gap = wanted - (1.0 - grown).sum(axis=1, keepdims=True)
        lam = lam + gap / np.maximum((masses * grown).sum(axis=1, keepdims=True), 1e-12)
    chance = np.where(masses > 0, 1.0 - np.exp(-lam * masses), 0.0)
    return np.where(positive <= draws, (masses > 0).astype(np.float64), chance)  # all are drawn


def fit_distractor_weights(allowed: np.ndarray, kept: np.ndarray, wanted: np.ndarray,
                           start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weights (max 1) whose expected wrong-option counts approach ``wanted``; also those counts.

    A unit kept with probability ``kept[u]`` draws three actions among ``allowed[u]``
    (:func:`inclusion`)."""
    weights = start.copy()
    shown = np.zeros_like(weights)
    for _ in range(FIT_STEPS):
        shown = kept @ inclusion(allowed * weights)
        weights = weights * np.clip((wanted + 1e-3) / (shown + 1e-3), 0.2, 5.0) ** 0.8
        weights = np.where(start > 0, np.maximum(weights / weights.max(), 1e-6), 0.0)
    return weights, shown


def _repair_shares(kept_by_class: np.ndarray, target: np.ndarray, slack: float) -> np.ndarray:
    """keep_class that brings every category within ``slack`` of ``target`` by shedding units of
    over-represented categories, hosts (column 1) first."""
    totals = kept_by_class.sum(axis=1)
    floor = np.maximum(target - slack, 1e-9)
    limit = float(np.min(np.where(target > 0, totals / floor, np.inf)))
    keep = np.ones_like(kept_by_class)
    for category, total in enumerate(totals.tolist()):
        excess = total - min(total, target[category] * limit)
        others, hosts = kept_by_class[category]
        if excess <= 0:
            continue
        if excess <= hosts:
            keep[category, 1] = (hosts - excess) / hosts
        else:
            keep[category, 1] = 0.0
            keep[category, 0] = max(others - (excess - hosts), 0.0) / max(others, 1e-12)
    return keep


def sample_rows(count: int) -> np.ndarray:
    """The units the plan looks at: all, or an even stride of about ``SAMPLE``."""
    return np.arange(0, count, max(1, -(-count // SAMPLE)))


def plan_cross(actions: np.ndarray, forbidden: np.ndarray, unit_person: np.ndarray,
               unit_category: np.ndarray, category_mask: np.ndarray, vocabulary: np.ndarray,
               max_key_ratio: float, share_slack: float, target: np.ndarray | None = None) -> CrossPlan:
    """The plan (see the module docstring). ``actions`` / ``forbidden``: (persons x A) bool, the
    actions each person does at its keyframe and those never offered to it as wrong options;
    ``unit_person`` / ``unit_category``: the (sampled) units; ``target``: each category's share of
    all the units (default: of these)."""
    size = actions.shape[1]
    person, category = unit_person, unit_category
    candidates = actions[person] & category_mask[category]
    seen = candidates.sum(axis=0)
    key_weight = np.where(vocabulary, np.maximum(1, np.rint(WEIGHT_SCALE / np.maximum(seen, 1))), 0)
    key_weight = key_weight.astype(np.int64)
    chance = key_probabilities(candidates, key_weight)
    allowed = (~forbidden[person] & vocabulary).astype(np.float64)
    if target is None:
        target = np.bincount(unit_category, minlength=len(category_mask)) / max(len(unit_category), 1)
    odds = max_key_ratio / (1.0 - max_key_ratio) if max_key_ratio < 1 else np.inf

    keep_key = np.ones(size)
    keep_class = np.ones((len(category_mask), 2))
    capped = np.zeros(size, dtype=bool)
    weights = vocabulary.astype(np.float64)
    host = np.zeros(len(person), dtype=np.int64)
    for _ in range(ROUNDS):
        joint = chance * keep_key * keep_class[category, host][:, None]
        capacity = joint.sum(axis=1) @ allowed
        keys = joint.sum(axis=0)
        if np.isfinite(odds):  # max_key_ratio 1: no cap
            keep_key = np.minimum(1.0, keep_key * np.sqrt(np.where(keys > 0, odds * capacity / np.maximum(
                keys, 1e-12), 1.0)))
        capped = keep_key < 0.999
        host = (forbidden[person, int(np.argmin(keep_key))] & capped.any()).astype(np.int64)
        by_key = (chance * keep_key).sum(axis=1)
        kept_by_class = np.zeros((len(category_mask), 2))
        np.add.at(kept_by_class, (category, host), by_key)
        keep_class = _repair_shares(kept_by_class, target, share_slack)
    joint = chance * keep_key * keep_class[category, host][:, None]
    weights, _ = fit_distractor_weights(allowed, joint.sum(axis=1), 3.0 * joint.sum(axis=0), weights)
    distractor_weight = np.where(vocabulary, np.maximum(1, np.rint(weights * WEIGHT_SCALE)), 0)
    scarcest = int(np.argmin(keep_key)) if capped.any() else -1
    return CrossPlan(key_weight, keep_key, capped, scarcest, keep_class, distractor_weight.astype(np.int64))
