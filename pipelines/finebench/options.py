"""Wrong options for many units at once (the vectorised form of distractors.py's rules).

Each function returns ``(rows, options, tiers)``: the unit rows it served, their three wrong options
as codes in ``ctx.option_texts`` (rows x 3, in draw order) and tier indices (0 = a, 1 = b). Units it cannot
serve (too few admissible candidates) are left to fallback.py.

Hard rules, as in distractors.py: a wrong option never contains an action the person does at that
keyframe or one entailed by / entailing it (``forbidden``), and never repeats. Weights follow the
prior-balance design (context.py); draws come from the units' own streams (columns 2-4 of
``draws``).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from pipelines.finebench.columns import VideoInput
from pipelines.finebench.context import GenerationContext, action_option, answer_option
from pipelines.finebench.draws import draw_without_replacement

Served = tuple[np.ndarray, np.ndarray, np.ndarray]


def single_options(ctx: GenerationContext, alive: np.ndarray, forbidden: np.ndarray, video: VideoInput,
                   style: np.ndarray, draws: np.ndarray) -> Served:
    """Tiers (a) similar actions (boosted) and (b) same-category actions, weighted by prior."""
    rows = np.flatnonzero(alive & (ctx.answer_size[video.unit_answer] == 1))
    truth = ctx.single_action[video.unit_answer[rows]]
    allowed = ~forbidden[video.unit_person[rows]]
    similar = ctx.similar[truth]
    tier_a = similar & allowed
    tier_b = ctx.category_mask[video.unit_category[rows]] & ~similar & allowed
    weights = np.where(tier_a, ctx.weight_a, 0) + np.where(tier_b, ctx.weight_b, 0)
    enough = (weights > 0).sum(axis=1) >= 3
    rows, weights, similar = rows[enough], weights[enough], similar[enough]
    picked = draw_without_replacement(weights, draws[rows, 2:5])
    tiers = np.where(np.take_along_axis(similar, picked, axis=1), 0, 1)
    return rows, action_option(ctx, style[rows][:, None], picked), tiers


def compound_options(ctx: GenerationContext, alive: np.ndarray, forbidden: np.ndarray, video: VideoInput,
                     style: np.ndarray, draws: np.ndarray) -> Iterator[Served]:
    """Recurring compounds: real answers of the same category and size that are false for the
    person (at least one action outside ``forbidden``) and differ from the truth, weighted by how
    often each is a kept true answer. Tier a when every false action is similar to a true one."""
    size = ctx.answer_size[video.unit_answer]
    compound = alive & (size > 1)
    for category, k in sorted({(int(c), int(n)) for c, n in zip(video.unit_category[compound],
                                                                size[compound], strict=True)}):
        group = ctx.compound_groups.get((category, k))
        if group is None:
            continue
        rows = np.flatnonzero(compound & (video.unit_category == category) & (size == k))
        person_forbidden = forbidden[video.unit_person[rows]]
        inside = person_forbidden.astype(np.int32) @ group.members.T.astype(np.int32)
        valid = (inside < k) & (group.codes[None, :] != video.unit_answer[rows][:, None])
        enough = valid.sum(axis=1) >= 3
        rows, valid, person_forbidden = rows[enough], valid[enough], person_forbidden[enough]
        picked = draw_without_replacement(valid * group.weights, draws[rows, 2:5])
        false_actions = group.members[picked] & ~person_forbidden[:, None, :]
        near = ctx.similar_union[video.unit_answer[rows]][:, None, :]
        tiers = np.where((false_actions & ~near).any(axis=2), 1, 0)
        yield rows, answer_option(ctx, style[rows][:, None], group.codes[picked]), tiers
