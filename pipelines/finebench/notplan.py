"""Build-wide plan of the NOT form ("Which one of these is {person} NOT doing?"), pure numpy.

Why: in the direct cross form an action done by a share f of a phrase class's persons can be a
wrong option only for the other 1 - f, so the frequent actions' keys (stand, talk, watch) are
capped and most of those units are rejected (``key_share_cap``). A NOT question shows such an
action as a TRUE option instead: three actions the person does at the target keyframe and one
key the person does in none of the frames shown (never entailing or entailed by one of them,
the direct form's ``forbidden`` rows). A capped unit whose person has enough actions is rescued
as a NOT question showing its own (capped) action as a true option.

The NOT form needs its own balance, per cell = (phrase class, action) as the direct form: every
action should be the NOT-key in about a quarter of the NOT questions that show it, i.e. be the
key once per three true showings. Frequent actions are thus the natural NOT-keys ("stand" for a
sitter shown talking, listening and watching).

Poses (AVA's person-movement actions: everyone has exactly one) need care: a NOT question never
shows two poses (the true one and a false one would be a coin toss for a blind model), and a pose
may be the key only when the person's own pose is not shown. With per-cell balance and at most
one pose per question, P(key is a pose | one pose shown) is a quarter, as for any other option.

Which actions are shown true (:func:`other_trues`): the unit's own action, plus two of the
person's other keyframe actions that neither entail each other nor the own action; when the own
action is not a pose and the person has two other non-pose actions, the pose is left out (so a
pose can be the key). The plan's parts (arrays over phrase classes x actions):

- ``keep``: a NOT question is kept with the smallest ``keep`` of the cells it shows true: cells
  whose true showings exceed three times the keys they can get (persons of the class for whom
  the action is an admissible key) are cut to that;
- ``key_weight``: the key is drawn among the admissible actions with the weights of the unit's
  class, fitted (as the direct form's wrong options) so each cell's expected key count
  approaches a third of its expected true showings.

Donors: the capped units are mostly standers, and "stand" shown true needs NOT questions whose
key is "stand", i.e. persons who do not stand shown with three non-pose actions. Capped units
rarely are such persons, so kept units that are (``donors``) may move to the NOT form with
probability ``donor_rate`` (``--not-donors``); the direct plan counts them out of its capacities
(``plan_cross``'s ``other_form``). A donor cut by the NOT cap stays a direct question.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from pipelines.finebench.crossfit import by_cell, cell_index, fit_distractor_weights, group_units
from pipelines.finebench.crossplan import PHRASE_CLASSES, WEIGHT_SCALE, CrossPlan, hosts, key_probabilities

ROUNDS = 8


@dataclass(frozen=True)
class NotPlan:
    keep: np.ndarray  # (PHRASE_CLASSES, A) keep factor of a NOT question by the cells it shows true
    key_weight: np.ndarray  # (PHRASE_CLASSES, A) int64, > 0 for vocabulary actions
    donor_rate: float = 0.0  # chance a kept unit that may be a donor is moved to the NOT form


@dataclass(frozen=True)
class NotUnits:
    """The NOT-form candidates among (sampled) units, for the plan: what each would show and
    allow. A unit is a candidate as a capped unit (rescued) or as a donor (a kept unit moved to
    the NOT form), or both: capped candidates first, then donors, each in unit order. Both are
    kept with the ``keep`` of the cells they show true (a donor cut there stays direct). Only
    candidates with a positive mass are listed (the others cost no work)."""

    unit: np.ndarray  # (n,) the sampled unit
    donor: np.ndarray  # (n,) bool: a donor candidate (else a capped one)
    mass: np.ndarray  # (n,) > 0: chance the unit is such a candidate
    cell: np.ndarray  # (n,) phrase class
    shown: np.ndarray  # (n, A) chance each action is shown true
    own: np.ndarray  # (n,) the unit's own action (its direct key)
    allowed: np.ndarray  # (n, A) 1.0 where the action may be the NOT-key


def other_trues(actions: np.ndarray, own: np.ndarray, forbid: np.ndarray, pose: np.ndarray) -> np.ndarray:
    """(n x A) bool: the actions that may be shown true beside ``own`` (see the module docstring);
    a unit is eligible when this has two or more actions and at most one pose."""
    mask = actions & ~forbid[own]
    mask = np.where(pose[own][:, None], mask & ~pose, mask)
    plain = mask & ~pose
    return np.where((plain.sum(axis=1) >= 2)[:, None], plain, mask)


def eligible(other: np.ndarray, pose: np.ndarray) -> np.ndarray:
    return (other.sum(axis=1) >= 2) & ((other & pose).sum(axis=1) <= 1)


def admissible_keys(forbidden: np.ndarray, vocabulary: np.ndarray, pose: np.ndarray,
                    pose_shown: np.ndarray) -> np.ndarray:
    """(n x A) bool: possible NOT-keys: false in every frame shown, not entailed, and not a pose
    when a pose is shown."""
    return ~forbidden & vocabulary & ~(pose[None, :] & pose_shown[:, None])


def donors(own: np.ndarray, other: np.ndarray, pose: np.ndarray) -> np.ndarray:
    """Units that may be donors: own action and two others shown, none a pose (so the key may be
    one: the pose keys that balance the rescued units' true poses)."""
    return ~pose[own] & eligible(other, pose) & ~(other & pose).any(axis=1)


def _view(chance: np.ndarray, actions: np.ndarray, forbidden: np.ndarray, forbid: np.ndarray,
          pose: np.ndarray, vocabulary: np.ndarray) -> tuple[np.ndarray, ...]:
    """(own, other, shown, allowed) for units whose own action is the most likely of ``chance``."""
    own = chance.argmax(axis=1)
    other = other_trues(actions, own, forbid, pose)
    count = np.maximum(other.sum(axis=1), 1)
    shown = other * np.minimum(1.0, 2.0 / count)[:, None]
    shown[np.arange(len(own)), own] = 1.0
    pose_shown = pose[own] | (other & pose).any(axis=1)
    allowed = admissible_keys(forbidden, vocabulary, pose, pose_shown).astype(np.float64)
    return own, other, shown, allowed


def not_units(chance: np.ndarray, keep_key: np.ndarray, cell: np.ndarray, actions: np.ndarray,
              forbidden: np.ndarray, forbid: np.ndarray, pose: np.ndarray, vocabulary: np.ndarray,
              donor_rate: float) -> NotUnits:
    """The NOT candidates among units whose direct key is drawn with ``chance`` (n x A) and kept
    with ``keep_key[cell]``: capped units (own action: the most likely capped key) then donors
    (kept ones, with probability ``donor_rate``)."""
    keep = keep_key[cell]
    capped, kept = chance * (1.0 - keep), chance * keep
    parts = []
    for donor, share in ((False, capped), (True, kept * (donor_rate > 0))):
        rows = np.flatnonzero(share.sum(axis=1) > 0)
        own, other, shown, allowed = _view(share[rows], actions[rows], forbidden[rows], forbid, pose,
                                           vocabulary)
        fit = donors(own, other, pose) if donor else eligible(other, pose)
        mass = share[rows[fit]].sum(axis=1) * (donor_rate if donor else 1.0)
        parts.append((rows[fit], np.full(len(mass), donor), mass, shown[fit], own[fit], allowed[fit]))
    unit, is_donor, mass, shown, own, allowed = (np.concatenate(part) for part in zip(*parts, strict=True))
    return NotUnits(unit, is_donor, mass, cell[unit], shown, own, allowed)


def unit_keep(keep: np.ndarray, units: NotUnits) -> np.ndarray:
    """Expected keep factor of each candidate: its own cell's, or the others' mean if lower."""
    cell = units.cell
    rows = np.arange(len(cell))
    own = keep[cell, units.own]
    others = units.shown.copy()
    others[rows, units.own] = 0.0
    mean = (others * keep[cell]).sum(axis=1) / np.maximum(others.sum(axis=1), 1e-12)
    return np.minimum(own, mean)


def plan_not(units: NotUnits, factor: np.ndarray, vocabulary: np.ndarray) -> tuple[NotPlan, np.ndarray]:
    """The plan and each candidate's expected NOT-kept mass; ``factor``: a further keep
    probability per candidate (the category-share shedding). The key weights are refitted from
    uniform each round (continuing from the last round's weights was tried: a tighter fit cut
    the kept NOT questions by two thirds on the real files)."""
    # candidates with the same cell, own action, shown and allowed rows count as one (mass summed)
    same = group_units(np.concatenate([units.shown, units.allowed], axis=1), units.cell, units.own)
    first = same.first
    merged = NotUnits(units.unit[first], units.donor[first], same.mass(units.mass * factor),
                      units.cell[first], units.shown[first], units.own[first], units.allowed[first])
    cell = merged.cell
    start = np.repeat(vocabulary.astype(np.float64)[None, :], PHRASE_CLASSES, axis=0)
    keep, weights = np.ones_like(start), start
    groups, index = group_units(merged.allowed, cell), cell_index(cell, merged.shown.shape[1])
    allowed, key_cell = merged.allowed[groups.first], cell[groups.first]
    for _ in range(ROUNDS):
        chosen = merged.mass * unit_keep(keep, merged)
        trues = by_cell(cell, chosen[:, None] * merged.shown, PHRASE_CLASSES, index)
        weights, keys = fit_distractor_weights(allowed, groups.mass(chosen), key_cell, trues / 3.0, start, 1)
        ratio = np.where(trues > 0, 3.0 * keys / np.maximum(trues, 1e-12), 1.0)
        keep = np.minimum(1.0, keep * np.sqrt(ratio))
    kept = units.mass * factor * unit_keep(keep, units)
    key_weight = np.where(vocabulary, np.maximum(1, np.rint(weights * WEIGHT_SCALE)), 0).astype(np.int64)
    return NotPlan(keep, key_weight), kept


def other_form_for(cell: np.ndarray, actions: np.ndarray, forbidden: np.ndarray, forbid: np.ndarray,
                   pose: np.ndarray, vocabulary: np.ndarray, donor_rate: float
                   ) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``plan_cross``'s ``other_form``: per sampled unit, its expected capped keys kept as NOT
    questions and its chance of being moved (as a donor, kept by the NOT cap) when kept."""
    def other_form(chance: np.ndarray, keep_key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        units = not_units(chance, keep_key, cell, actions, forbidden, forbid, pose, vocabulary, donor_rate)
        kept = plan_not(units, np.ones(len(units.mass)), vocabulary)[1]
        rescued, moved = np.zeros(len(cell)), np.zeros(len(cell))
        rescued[units.unit[~units.donor]] = kept[~units.donor]
        moved[units.unit[units.donor]] = donor_rate * kept[units.donor] / units.mass[units.donor]
        return rescued, moved
    return other_form


def final_not_plan(plan: CrossPlan, cell: np.ndarray, category: np.ndarray, actions: np.ndarray,
                   forbidden: np.ndarray, forbid: np.ndarray, category_mask: np.ndarray,
                   pose: np.ndarray, donor_rate: float) -> NotPlan:
    """The NOT plan for a finished direct ``plan`` (its key chances, caps and share shedding);
    arrays per sampled unit as in ``plan_cross``."""
    vocabulary = category_mask.any(axis=0)
    chance = key_probabilities(actions & category_mask[category], plan.key_weight)
    units = not_units(chance, plan.keep_key, cell, actions, forbidden, forbid, pose, vocabulary, donor_rate)
    factor = plan.keep_class[category, hosts(forbidden, plan.scarcest[cell])]
    return replace(plan_not(units, factor[units.unit], vocabulary)[0], donor_rate=donor_rate)
