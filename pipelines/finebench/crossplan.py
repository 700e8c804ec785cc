"""Build-wide plan of the cross-category option mode (pure numpy, computed once per build).

A text-only model wins when an option's text predicts whether it is the key. So every action
should be the key in about a quarter of the questions that show it, i.e. be shown as a wrong
option about three times as often as it is right. In AVA that is impossible for the dominant
actions within one category ("stand" would have to be wrong three times as often as it is right
among movement questions alone), hence wrong options may come from ANY category. Even then an
action can be wrong only for persons who do not do it (in any frame shown): its *capacity*.
The balance is kept per *cell* = (phrase class, action), not only per action: the blind model
crosses the question's words with the option's, and neighbouring keyframes of one scene keep the
same person, referring phrase and actions, so a (phrase, action) pair that is the key more often
than a quarter of its showings build-wide is learned from keyframe t-1 and used at t (measured:
per-action balance only left the n-gram model at 31-34% when split by keyframe). Phrase classes
(:func:`phrase_classes`) are the referring phrases' forms: "the person", left, right, leftmost,
rightmost, center, second / third / ... from the left. The plan has four parts:

- ``key_weight``: when a unit's person has several actions of its category (talk + watch), the
  key is drawn among them with weight 1 / (how often the action is a candidate key), which
  spreads the keys over the actions;
- ``keep_key``: a cell whose expected key count exceeds ``max_key_ratio / (1 - max_key_ratio)``
  times its capacity (units of that phrase class whose person may be shown the action as a wrong
  option) keeps only that many units (the rest: ``key_share_cap``);
- ``keep_class``: the cap shrinks some categories (movement, through "stand"); the other
  categories then shed units to stay within ``share_slack`` of their share of the units
  (``category_share``), first the units of persons who do the most capped action (they can
  never show it as a wrong option), which raises that action's capacity;
- ``distractor_weight``: wrong options are drawn with the weights of the unit's phrase class
  among the actions allowed for the person; fitted (multiplicative updates) so that each cell's
  expected wrong-option count approaches three times its expected key count. Wrong options
  therefore follow the category mix of the keys, independently of the key's own category.

The estimates use at most ``SAMPLE`` units (an even stride over the build): the plan is a few
vectors, whatever the build's size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from pipelines.finebench.crossfit import by_cell, cell_index, fit_distractor_weights, group_units
from pipelines.finebench.noneplan import none_keyed, plan_family

SAMPLE = 4_000
ROUNDS = 10
FINAL_STEPS = 6
WEIGHT_SCALE = 1_000_000
SINGLE, LEFT, RIGHT, LEFTMOST, RIGHTMOST, CENTER, SECOND = range(7)  # phrase classes (SECOND + k: ordinals)
PHRASE_CLASSES = SECOND + 19  # ordinals up to "twentieth" (referring.ORDINALS)


@dataclass(frozen=True)
class CrossPlan:
    key_weight: np.ndarray  # (A,) int64, > 0 for vocabulary actions
    keep_key: np.ndarray  # (PHRASE_CLASSES, A) keep probability of a unit by its cell
    capped: np.ndarray  # (A,) bool: the action's keys are capped in some cell
    scarcest: np.ndarray  # (PHRASE_CLASSES,) per class its most capped action (-1: none); persons
    # doing it are that class's "hosts" (column 1 of keep_class)
    keep_class: np.ndarray  # (categories, 2) keep probability by (category, person does scarcest)
    distractor_weight: np.ndarray  # (PHRASE_CLASSES, A) int64, > 0 for vocabulary actions
    pair_weight: np.ndarray | None = None  # (A, A) int64 factor [key, wrong option] (posepairs.py)
    none_keep: np.ndarray | None = None  # (PHRASE_CLASSES, 2) a capped unit is none-keyed with this
    # chance, by (class, host) (noneplan.py; None: no "none of these" family)
    none_share: np.ndarray | None = None  # (PHRASE_CLASSES,) a kept unit moves to the none family
    none_weight: np.ndarray | None = None  # (PHRASE_CLASSES, A) int64 the none family's wrong options
    none_pair: np.ndarray | None = None  # (A, A) int64 its pose-pair factors (as pair_weight)


def phrase_classes(ranks: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The phrase class of each (1-based rank from the left, persons at the keyframe): which form
    of referring phrase (referring.phrase_for_rank) names the person."""
    middle = (counts % 2 == 1) & (ranks == (counts + 1) // 2)
    ordinal = SECOND + np.clip(ranks - 2, 0, PHRASE_CLASSES - SECOND - 1)
    many = np.where(ranks == 1, LEFTMOST, np.where(ranks == counts, RIGHTMOST,
                                                   np.where(middle, CENTER, ordinal)))
    return np.where(counts == 1, SINGLE, np.where(counts == 2, np.where(ranks == 1, LEFT, RIGHT), many))


def key_probabilities(candidates: np.ndarray, key_weight: np.ndarray) -> np.ndarray:
    """(units x A) probability that each candidate action becomes the unit's key."""
    weights = candidates * key_weight.astype(np.float64)
    return weights / np.maximum(weights.sum(axis=1, keepdims=True), 1e-12)


def _repair_shares(kept_by_class: np.ndarray, target: np.ndarray, slack: float) -> np.ndarray:
    """keep_class that brings every category within ``slack`` of ``target`` by shedding units of
    over-represented categories, hosts (column 1) first."""
    totals = kept_by_class.sum(axis=1)
    floor = np.maximum(target - slack, 1e-9)
    limit = float(np.min(np.where(target > 0, totals / floor, np.inf)))
    keep = np.ones_like(kept_by_class)
    if not np.isfinite(limit):  # no category has units: nothing to shed
        return keep
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
               max_key_ratio: float, share_slack: float, target: np.ndarray | None = None,
               unit_class: np.ndarray | None = None,
               other_form: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
               pose_pairs: Callable[..., tuple[np.ndarray, np.ndarray]] | None = None,
               none_option: bool = False) -> CrossPlan:
    """The plan (see the module docstring). ``actions`` / ``forbidden``: (persons x A) bool, the
    actions each person does at its keyframe and those never offered to it as wrong options;
    ``unit_person`` / ``unit_category`` / ``unit_class``: the (sampled) units and their phrase
    classes (default: all SINGLE); ``target``: each category's share of all the units (default:
    of these); ``other_form(chance, keep_key)``: per unit, the expected number of its capped keys
    kept in another form (the NOT form, notplan.py; counted in the categories' shares) and its
    chance of being moved to that form when kept here (it then shows nothing here);
    ``pose_pairs(allowed, kept, cell, wanted, start, chance)``: the wrong options' weights and
    pair factors (posepairs.py) instead of the plain fit; ``none_option``: plan the "none of
    these" family too (noneplan.py)."""
    size = actions.shape[1]
    person, category = unit_person, unit_category
    cell = np.zeros(len(person), dtype=np.int64) if unit_class is None else unit_class
    candidates = actions[person] & category_mask[category]
    seen = candidates.sum(axis=0)
    key_weight = np.where(vocabulary, np.maximum(1, np.rint(WEIGHT_SCALE / np.maximum(seen, 1))), 0)
    key_weight = key_weight.astype(np.int64)
    chance = key_probabilities(candidates, key_weight)
    rescued, stay = np.zeros(len(person)), np.ones(len(person))
    allowed = (~forbidden[person] & vocabulary).astype(np.float64)
    if target is None:
        target = np.bincount(unit_category, minlength=len(category_mask)) / max(len(unit_category), 1)
    odds = max_key_ratio / (1.0 - max_key_ratio) if max_key_ratio < 1 else np.inf

    keep_key = np.ones((PHRASE_CLASSES, size))
    keep_class = np.ones((len(category_mask), 2))
    host = np.zeros(len(person), dtype=np.int64)
    scarcest = np.full(PHRASE_CLASSES, -1)
    index = cell_index(cell, size)  # the by_cell bins of every (units x A) array below
    candidate_keys = by_cell(cell, chance, PHRASE_CLASSES, index)
    none_pre = none_mass = np.zeros(len(person))
    for _ in range(ROUNDS):
        if other_form is not None:
            rescued, moved = other_form(chance, keep_key)
            stay = 1.0 - moved
        joint = chance * keep_key[cell] * (keep_class[category, host] * stay)[:, None]
        if none_option:
            _, none_pre, none_mass = none_keyed(chance, keep_key, cell, host, joint.sum(axis=1),
                                                keep_class[category, host], odds, PHRASE_CLASSES)
        capacity = by_cell(cell, (joint.sum(axis=1) + none_mass)[:, None] * allowed, PHRASE_CLASSES, index)
        keys = by_cell(cell, joint, PHRASE_CLASSES, index)
        keep_key = _capped(keep_key, keys, capacity, odds, 0.5)
        by_key = chance * keep_key[cell]
        scarcest = scarcest_actions(candidate_keys, by_cell(cell, by_key, PHRASE_CLASSES, index))
        host = hosts(forbidden, scarcest[cell], person)
        kept_by_class = np.zeros((len(category_mask), 2))
        np.add.at(kept_by_class, (category, host), by_key.sum(axis=1) + none_pre)
        if other_form is not None:
            np.add.at(kept_by_class, (category, host), rescued)
        keep_class = _repair_shares(kept_by_class, target, share_slack)
    for _ in range(FINAL_STEPS):  # full steps from above: the shares' repair shrank some capacities
        joint = chance * keep_key[cell] * (keep_class[category, host] * stay)[:, None]
        if none_option:  # keep_key only falls here: the none-keyed units may only grow
            _, none_pre, none_mass = none_keyed(chance, keep_key, cell, host, joint.sum(axis=1),
                                                keep_class[category, host], odds, PHRASE_CLASSES)
        capacity = by_cell(cell, (joint.sum(axis=1) + none_mass)[:, None] * allowed, PHRASE_CLASSES, index)
        keep_key = _capped(keep_key, by_cell(cell, joint, PHRASE_CLASSES, index), capacity, odds, 1.0)
    joint = chance * keep_key[cell] * (keep_class[category, host] * stay)[:, None]
    start = np.repeat(vocabulary.astype(np.float64)[None, :], PHRASE_CLASSES, axis=0)
    family = None
    moved = np.zeros(len(person))
    if none_option:
        scale, class_keep = keep_class[category, host] * stay, keep_class[category, host]
        family = plan_family(chance, keep_key, cell, host, scale, class_keep, allowed, odds, start,
                             pose_pairs, PHRASE_CLASSES)
        moved = family.moved
    direct = joint * (1.0 - moved)[:, None]
    wanted = 3.0 * by_cell(cell, direct, PHRASE_CLASSES, index)
    pair = None
    if pose_pairs is None:
        groups = group_units(allowed, cell)
        weights, _ = fit_distractor_weights(allowed[groups.first], groups.mass(direct.sum(axis=1)),
                                            cell[groups.first], wanted, start)
    else:
        weights, pair = pose_pairs(allowed, direct.sum(axis=1), cell, wanted, start, chance)
    distractor_weight = np.where(vocabulary, np.maximum(1, np.rint(weights * WEIGHT_SCALE)), 0)
    capped = (keep_key < 0.999).any(axis=0)
    plan = CrossPlan(key_weight, keep_key, capped, scarcest, keep_class, distractor_weight.astype(np.int64),
                     pair)
    if family is None:
        return plan
    none_weight = np.where(vocabulary, np.maximum(1, np.rint(family.weight * WEIGHT_SCALE)), 0)
    return replace(plan, none_keep=family.none_keep, none_share=family.share,
                   none_weight=none_weight.astype(np.int64), none_pair=family.pair)


def _capped(keep_key: np.ndarray, keys: np.ndarray, capacity: np.ndarray, odds: float,
            power: float) -> np.ndarray:
    """One multiplicative step of ``keep_key`` towards ``keys <= odds * capacity`` per cell
    (``power`` 0.5: a damped step that may also raise it again, up to 1; odds inf: no cap)."""
    if not np.isfinite(odds):  # max_key_ratio 1: no cap
        return keep_key
    ratio = np.where(keys > 0, odds * capacity / np.maximum(keys, 1e-12), 1.0)
    return np.minimum(1.0, keep_key * (ratio ** power if power != 1.0 else np.minimum(ratio, 1.0)))


def scarcest_actions(wanted: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """Per phrase class: the action losing the largest share of its expected keys to the cap
    (-1: none loses); ``wanted`` / ``kept``: (classes x A) expected keys before / after it."""
    share = np.where(wanted > 0, kept / np.maximum(wanted, 1e-12), 1.0)
    return np.where(share.min(axis=1) < 0.999, share.argmin(axis=1), -1)


def hosts(forbidden: np.ndarray, scarcest: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """1 for units whose person does (or may not be shown) its class's scarcest action, else 0;
    ``rows``: each unit's row of ``forbidden`` (default: row i for unit i)."""
    rows = np.arange(len(scarcest)) if rows is None else rows
    return (forbidden[rows, np.maximum(scarcest, 0)] & (scarcest >= 0)).astype(np.int64)
