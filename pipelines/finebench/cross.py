"""Cross-category option mode, column-wise for one video (the rules and why: crossplan.py).

The plan is build-wide and per cell = (phrase class, action): balancing per video was measured
and dropped (kept fell to 7% / 40% on the real files: in a movie where nearly everyone sits, "sit"
can hardly be a wrong option).

Per unit: the key is one of the person's actions of the unit's category (drawn with the plan's
key weights, draw 6); the unit is kept with probability ``keep_key[class, key] * keep_class[category,
host]`` (draw 0); the three wrong options are drawn with the distractor weights of the unit's phrase
class among the actions allowed for the person (never done at the keyframe or at another keyframe
of the frames shown, never entailing or entailed by one of those; draws 2-4), then shuffled
(draw 5). Tiers: a = curated similar action of the key, b = same category, c = another category.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.finebench.columns import VideoInput
from pipelines.finebench.context import GenerationContext, action_option, answer_option
from pipelines.finebench.crossplan import hosts
from pipelines.finebench.draws import PERMUTATIONS_3, draw_without_replacement, scaled_index
from pipelines.finebench.noneform import NONE_PICK, none_family
from pipelines.finebench.notform import not_questions
from pipelines.finebench.vocabulary import CROSS_POOL, NONE_POOL, NOT_POOL, TEMPLATE_POOLS

KEY_SHARE_CAP, CATEGORY_SHARE, NOT_ENOUGH = 2, 3, 4  # reason codes (see questions.REASONS)
TRUE_TIER = 3  # "t": a true action shown as a non-key option (NOT form)
NONE_TIER = 4  # "n": "none of these" shown as a wrong option (none family)
# indexes of the template pools in GenerationContext's template_start / template_count
CROSS_TEMPLATES, NOT_TEMPLATES, NONE_TEMPLATES = (TEMPLATE_POOLS.index(pool)
                                                  for pool in (CROSS_POOL, NOT_POOL, NONE_POOL))


@dataclass(frozen=True)
class Choice:
    """Per unit: ``reason`` (0 = accepted), answer code, template, wrong option codes, tiers."""

    reason: np.ndarray
    answer: np.ndarray
    template: np.ndarray
    wrong: np.ndarray
    tiers: np.ndarray
    extra_texts: list[str]


def cross_choice(ctx: GenerationContext, video: VideoInput, actions: np.ndarray, forbidden: np.ndarray,
                 ambiguous: np.ndarray, unit_class: np.ndarray, draws: np.ndarray) -> Choice:
    """Key, keep decision and wrong options of every unit; ``unit_class``: its phrase class."""
    person, category = video.unit_person, video.unit_category
    plan = ctx.plan
    assert plan is not None
    n = len(person)
    candidates = actions[person] & ctx.category_mask[category]
    key = candidates.argmax(axis=1)  # the draw's result when the person has one candidate
    several = np.flatnonzero(candidates.sum(axis=1) > 1)
    key[several] = draw_without_replacement(candidates[several] * plan.key_weight, draws[several, 6:7])[:, 0]
    host = hosts(forbidden, plan.scarcest[unit_class], person)
    reason = np.where(ambiguous, 1, 0)
    keep = plan.keep_key[unit_class, key]
    by_key = draws[:, 0] >= keep
    by_class = draws[:, 0] >= keep * plan.keep_class[category, host]
    reason = np.where(reason == 0, np.where(by_key, KEY_SHARE_CAP, np.where(by_class, CATEGORY_SHARE, 0)),
                      reason)
    family = None
    if plan.none_keep is not None:  # the "none of these" family (noneform.py)
        family = none_family(plan, forbidden, person, key, unit_class, host, keep,
                             plan.keep_class[category, host], reason == 0, reason == KEY_SHARE_CAP, draws)
        reason[family.none_keyed] = 0
        reason[family.short] = NOT_ENOUGH
    direct = reason == 0 if family is None else (reason == 0) & ~family.action_keyed & ~family.none_keyed
    live = np.flatnonzero(direct)  # wrong options only for the units still kept
    weights = np.where(forbidden[person[live]], 0, plan.distractor_weight[unit_class[live]])
    if plan.pair_weight is not None:  # poses shown beside a pose key (posepairs.py)
        weights = weights * plan.pair_weight[key[live]]
    enough = (weights > 0).sum(axis=1) >= 3
    reason[live[~enough]] = NOT_ENOUGH
    rows = live[enough]
    picked = np.zeros((n, 3), dtype=np.int64) if family is None else family.picked
    picked[rows] = draw_without_replacement(weights[enough], draws[rows, 2:5])
    picked = np.take_along_axis(picked, PERMUTATIONS_3[scaled_index(draws[:, 5], 6)], axis=1)
    none_shown = picked == NONE_PICK
    picked = np.maximum(picked, 0)
    similar = np.take_along_axis(ctx.similar[key], picked, axis=1)
    if family is not None:  # a none-keyed question has no key to be similar to: tiers b / c only
        similar[family.none_keyed] = False
    same = ctx.category_mask[category][np.arange(n)[:, None], picked]
    tiers = np.where(none_shown, NONE_TIER, np.where(similar, 0, np.where(same, 1, 2)))
    template = _templates(ctx, CROSS_TEMPLATES, draws)
    answer = ctx.single_code[key]
    if family is not None:
        in_family = np.flatnonzero(family.action_keyed | family.none_keyed)
        template[in_family] = _templates(ctx, NONE_TEMPLATES, draws[in_family])
        answer = np.where(family.none_keyed, ctx.none_answer, answer)
    if ctx.not_plan is not None:  # capped units asked in the NOT form instead (notform.py)
        found = not_questions(ctx, actions, forbidden, person, key, unit_class,
                              plan.keep_class[category, host], reason == KEY_SHARE_CAP, reason == 0, draws)
        rows = found.rows[found.by_cap]
        reason[rows] = np.where(found.by_share[found.by_cap], 0, CATEGORY_SHARE)
        key[rows] = found.key[found.by_cap]
        answer[rows] = ctx.single_code[key[rows]]
        picked[rows] = np.take_along_axis(found.trues[found.by_cap],
                                          PERMUTATIONS_3[scaled_index(draws[rows, 5], 6)], axis=1)
        tiers[rows] = TRUE_TIER
        template[rows] = _templates(ctx, NOT_TEMPLATES, draws[rows])
    style = ctx.template_style[template]
    wrong = action_option(ctx, style[:, None], picked)
    if family is not None:
        wrong = np.where(none_shown, answer_option(ctx, style, np.full(n, ctx.none_answer))[:, None], wrong)
    return Choice(reason, answer, template, wrong, tiers, [])


def _templates(ctx: GenerationContext, pool: int, draws: np.ndarray) -> np.ndarray:
    """Templates of pool ``pool`` (draw 1)."""
    return ctx.template_start[pool] + scaled_index(draws[:, 1], int(ctx.template_count[pool]))
