"""The "none of these" family of the cross form (``--none-option``): pure numpy, part of the plan.

Why: a direct cross question needs a true key, and the frequent actions' keys (stand, sit,
talk) are capped because they can be wrong options only for the persons who do not do them, so
most of their units are rejected (``key_share_cap``). On the real excerpt a linear-programming
bound (benchmarks/finebench_kept_bound.py) showed that no plan balancing keys per cell keeps
60% of the units with true keys alone. A question whose fourth option is "none of these" can
keep such a unit: its key is "none of these" and its three action options are false for the
person in every frame shown (drawn as wrong options are). Its false options also give the cells
more wrong showings, which lets more of the capped keys stay.

"none of these" must itself be the key in about a quarter of the questions showing it, per
phrase class, or a blind model learns to pick (or avoid) it. So the family has two kinds of
questions, asked with their own templates:

- *none-keyed*: a unit whose key was capped, kept with probability ``none_keep[class, host]``; three
  false actions and "none of these" (the key);
- *action-keyed*: a unit kept with a true key, moved from the direct family with probability
  ``none_share[class]``; its key, two false actions and "none of these" (wrong).

Per class, the none-keyed units are at most ``odds`` (1/3 at ratio 0.25) times the action-keyed
units of the family, and the action-keyed units moved are exactly three times the none-keyed
ones, so "none of these" is the key in a quarter of its questions. The family's wrong options
have their own weights per cell, fitted so each action is the key in about a quarter of its
showings in the family (action-keyed questions draw two, none-keyed ones three).

Measured and not adopted (real files, 16 seeds and the 84 six-video subsets): a family fit of 30
steps instead of 10 brings the (phrase, action) chi-square per cell on the excerpt from 0.38-1.10
to 0.33-0.79 over seeds 0-7, but the blind model rose (subsets above 30%: 8 instead of 4); capping
the keys against the showings the fitted weights reach cut the excerpt's kept to 61.4% (mean of 8
seeds) with a higher blind figure; a second share repair after the final cap steps narrowed the
excerpt's largest category gap (4.6 -> 3.3 points) but cost 1.7 points of kept (59.8% in one seed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pipelines.finebench.crossfit import by_cell, fit_distractor_weights, group_units


def none_keyed(chance: np.ndarray, keep_key: np.ndarray, cell: np.ndarray, host: np.ndarray,
               kept: np.ndarray, class_keep: np.ndarray, odds: float, classes: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(``none_keep`` per (class, host), each unit's chance to be none-keyed before the share
    repair, and after it).

    ``chance``: (units x A) key probabilities; ``keep_key``: (classes x A) the cap; ``host``: 1 for
    units whose person does its class's scarcest action (crossplan.hosts); ``kept``: each unit's
    expected action-keyed mass (after the share repair ``class_keep``, per unit). A class may make
    at most ``odds`` times its action-keyed mass none-keyed, taken from its capped units, those
    that can show the scarcest action as a wrong option first (hosts cannot: the family then
    reaches more of that action's wrong showings); without a cap (``odds`` infinite) nothing is
    capped and nothing is none-keyed."""
    if not np.isfinite(odds):
        return np.zeros((classes, 2)), np.zeros(len(cell)), np.zeros(len(cell))
    capped = (chance * (1.0 - keep_key[cell])).sum(axis=1)
    room = odds * np.bincount(cell, weights=kept, minlength=classes)
    by_host = np.bincount(cell * 2 + host, weights=capped * class_keep, minlength=classes * 2)
    by_host = by_host.reshape(classes, 2)
    first = np.minimum(room, by_host[:, 0])
    second = np.minimum(room - first, by_host[:, 1])
    none_keep = np.stack([first, second], axis=1) / np.maximum(by_host, 1e-12)
    before = capped * none_keep[cell, host]
    return none_keep, before, before * class_keep


def none_share(kept: np.ndarray, none_mass: np.ndarray, cell: np.ndarray, odds: float,
               classes: int) -> np.ndarray:
    """Per class, the chance that a unit kept with a true key is asked in the none family: three
    action-keyed questions (``1 / odds`` at other ratios) per none-keyed one."""
    if not np.isfinite(odds):
        return np.zeros(classes)
    action_keyed = np.bincount(cell, weights=kept, minlength=classes)
    wanted = np.bincount(cell, weights=none_mass, minlength=classes) / odds
    return np.where(action_keyed > 1e-12, np.minimum(1.0, wanted / np.maximum(action_keyed, 1e-12)), 0.0)


@dataclass(frozen=True)
class FamilyPlan:
    """The family's part of the plan."""

    none_keep: np.ndarray
    share: np.ndarray
    moved: np.ndarray  # per unit: chance a unit kept with a true key is asked in the family
    weight: np.ndarray  # (classes x A) wrong-option weights, each row's max 1
    pair: np.ndarray | None  # pose-pair factors (posepairs.py) or None


def plan_family(chance: np.ndarray, keep_key: np.ndarray, cell: np.ndarray, host: np.ndarray,
                scale: np.ndarray, class_keep: np.ndarray, allowed: np.ndarray, odds: float,
                start: np.ndarray, pose_pairs: Callable[..., tuple[np.ndarray, np.ndarray]] | None,
                classes: int) -> FamilyPlan:
    """The family for the direct plan's ``keep_key``: which units it asks (``host``: as in
    :func:`none_keyed`; ``scale``: each unit's share-repair and other-form factor; ``class_keep``:
    its share-repair factor alone) and its wrong options' weights, fitted so each (class, action)
    cell is shown three times per key (action-keyed units draw two wrong options, none-keyed ones
    three)."""
    joint = chance * keep_key[cell] * scale[:, None]
    none_keep, _, none_mass = none_keyed(chance, keep_key, cell, host, joint.sum(axis=1), class_keep, odds,
                                         classes)
    share = none_share(joint.sum(axis=1), none_mass, cell, odds, classes)
    family = joint * share[cell][:, None]
    keys = by_cell(cell, family, classes)
    rows = len(cell)
    both, cells = np.concatenate([allowed, allowed]), np.concatenate([cell, cell])
    masses = np.concatenate([family.sum(axis=1), none_mass])
    counts = np.concatenate([np.full(rows, 2), np.full(rows, 3)])
    pair = None
    if pose_pairs is None:
        groups = group_units(both, cells, counts)
        weight, _ = fit_distractor_weights(both[groups.first], groups.mass(masses), cells[groups.first],
                                           3.0 * keys, start, counts[groups.first][:, None])
    else:  # the none-keyed rows have no key: zero key chances
        weight, pair = pose_pairs(both, masses, cells, 3.0 * keys, start,
                                  np.concatenate([chance, np.zeros_like(chance)]), counts)
    return FamilyPlan(none_keep, share, share[cell], weight, pair)

