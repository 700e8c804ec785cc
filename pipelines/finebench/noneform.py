"""The "none of these" family for one video, column-wise (the rules and why: noneplan.py).

A unit kept with a true key moves to the family with the plan's ``none_share`` of its phrase
class (draw 8): it shows its key, two false actions (draws 2-3, with the family's weights) and
"none of these". A unit whose key was capped is asked none-keyed with the plan's ``none_keep``
of its class and host flag (its draw 0 above the cap, rescaled, below ``none_keep``) and then
shed with its category's share factor (draw 7), as any question is: it shows three false
actions (draws 2-4) and "none of these" as the key. The false actions are drawn as the direct
form's wrong options are, among the actions the person does in none of the frames shown (not
entailed either).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.finebench.crossplan import CrossPlan
from pipelines.finebench.draws import draw_without_replacement

DRAWS = 9  # a unit's draws when the none family is on (0-6: direct form, 7-8: the family)
NONE_PICK = -1  # the "none of these" option among a unit's three picked non-key options


@dataclass(frozen=True)
class NoneFamily:
    """Per unit: asked in the family with a true key (``action_keyed``) or with "none of these"
    as the key (``none_keyed``), and the three non-key options picked (``NONE_PICK`` for "none of
    these"; rows outside the family are zero); ``short``: family units with too few false actions."""

    action_keyed: np.ndarray
    none_keyed: np.ndarray
    picked: np.ndarray
    short: np.ndarray


def none_family(plan: CrossPlan, forbidden: np.ndarray, person: np.ndarray, key: np.ndarray,
                unit_class: np.ndarray, host: np.ndarray, keep: np.ndarray, class_keep: np.ndarray,
                kept: np.ndarray, capped: np.ndarray, draws: np.ndarray) -> NoneFamily:
    """Which units the family asks and their options; ``key``: each unit's true key; ``host``:
    whether its person does its class's scarcest action (crossplan.hosts); ``keep``:
    its cell keep chance; ``class_keep``: its category-share factor; ``kept`` / ``capped``: kept
    so far / rejected by the cell cap (and nothing else)."""
    assert plan.none_keep is not None and plan.none_share is not None and plan.none_weight is not None
    n = len(person)
    above = (draws[:, 0] - keep) / np.maximum(1.0 - keep, 1e-12)
    none_keyed = capped & (above < plan.none_keep[unit_class, host]) & (draws[:, 7] < class_keep)
    action_keyed = kept & (draws[:, 8] < plan.none_share[unit_class])
    picked = np.zeros((n, 3), dtype=np.int64)
    short = np.zeros(n, dtype=bool)
    for rows, count in ((np.flatnonzero(action_keyed), 2), (np.flatnonzero(none_keyed), 3)):
        weights = np.where(forbidden[person[rows]], 0, plan.none_weight[unit_class[rows]])
        if plan.none_pair is not None and count == 2:  # poses shown beside a pose key (posepairs.py)
            weights = weights * plan.none_pair[key[rows]]
        enough = (weights > 0).sum(axis=1) >= count
        short[rows[~enough]] = True
        served = rows[enough]
        picked[served, :count] = draw_without_replacement(weights[enough], draws[served, 2:2 + count])
        if count == 2:
            picked[served, 2] = NONE_PICK
    return NoneFamily(action_keyed & ~short, none_keyed & ~short, picked, short)
