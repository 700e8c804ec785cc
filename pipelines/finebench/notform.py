"""NOT-form questions for one video, column-wise (the rules and why: notplan.py).

A unit whose direct key was capped (``key_share_cap``) is asked as "Which one of these is
{person} NOT doing?" when its person has enough actions: its own action and two of the person's
other keyframe actions shown true (drawn uniformly, draws 9 and 10, never two that entail each
other, never two poses), and one key the person does in none of the frames shown (draw 11, with
the NOT plan's weights of the unit's phrase class). It is kept with the smallest keep factor of
the cells it shows true (draw 7) and then shed with its category's share factor (draw 8), as a
direct question is. A kept direct unit that may be a donor (three non-pose actions shown, so a
pose can be its key) moves to the NOT form with the plan's donor rate (draw 7) and stays there
with the keep factor of its cells (draw 8); otherwise it stays a direct question.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.finebench.context import GenerationContext
from pipelines.finebench.draws import draw_without_replacement
from pipelines.finebench.notplan import admissible_keys, donors, eligible, other_trues
from pipelines.finebench.vocabulary import CATEGORIES

DRAWS = 12  # a unit's draws when the NOT form is on (0-6: direct form, 7-11: NOT form)
POSE_CATEGORY = CATEGORIES.index("person_movement")  # AVA's poses: every person has exactly one


@dataclass(frozen=True)
class NotQuestions:
    """The NOT questions drawn for candidate units ``rows``: key, the three true actions, and
    whether each passed the cell cap (``by_cap``) and the category-share shedding (``by_share``)."""

    rows: np.ndarray
    key: np.ndarray
    trues: np.ndarray  # (rows, 3): own action, then the two others
    by_cap: np.ndarray
    by_share: np.ndarray


def not_questions(ctx: GenerationContext, actions: np.ndarray, forbidden: np.ndarray, person: np.ndarray,
                  own: np.ndarray, unit_class: np.ndarray, share_keep: np.ndarray, capped: np.ndarray,
                  kept: np.ndarray, draws: np.ndarray) -> NotQuestions:
    """NOT questions for the ``capped`` units (rescued) and the ``kept`` ones that may be donors;
    ``actions`` / ``forbidden``: rows per person (its keyframe actions and the actions never
    offered as false), ``person``: each unit's row there, ``own``: its direct key,
    ``share_keep``: its category-share keep probability (donors passed it already)."""
    plan = ctx.not_plan
    assert plan is not None
    pose = ctx.category_mask[POSE_CATEGORY]
    rows = np.flatnonzero(capped | (kept & ~pose[own]))  # a donor's own action is never a pose
    other = other_trues(actions[person[rows]], own[rows], ctx.forbid, pose)
    fit = np.where(capped[rows], eligible(other, pose), donors(own[rows], other, pose))
    rows, other = rows[fit], other[fit]
    first = draw_without_replacement(other.astype(np.int64), draws[rows, 9:10])[:, 0]
    rest = other & ~ctx.forbid[first]  # never two actions that entail each other
    enough = rest.any(axis=1)
    rows, first, rest = rows[enough], first[enough], rest[enough]
    second = draw_without_replacement(rest.astype(np.int64), draws[rows, 10:11])[:, 0]
    trues = np.stack([own[rows], first, second], axis=1)
    pose_shown = pose[trues].any(axis=1)
    allowed = admissible_keys(forbidden[person[rows]], ctx.category_mask.any(axis=0), pose, pose_shown)
    weights = np.where(allowed, plan.key_weight[unit_class[rows]], 0)
    has_key = weights.any(axis=1)
    rows, trues, weights = rows[has_key], trues[has_key], weights[has_key]
    key = draw_without_replacement(weights, draws[rows, 11:12])[:, 0]
    keep = plan.keep[unit_class[rows][:, None], trues].min(axis=1)
    rescued = capped[rows]
    moved = rescued | (draws[rows, 7] < plan.donor_rate)
    rows, key, trues, keep, rescued = rows[moved], key[moved], trues[moved], keep[moved], rescued[moved]
    by_cap = draws[rows, np.where(rescued, 7, 8)] < keep
    return NotQuestions(rows, key, trues, by_cap, ~rescued | (draws[rows, 8] < share_keep[rows]))
