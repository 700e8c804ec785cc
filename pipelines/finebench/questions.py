"""Assemble finebench questions for one video, column-wise (pure: arrays in, an Arrow table out).

Unit = (video, timestamp, person, category); key ``<video>/<tttt>/<person>/<category>``. One
question per category in which the person has at least one action: single-answer for one action,
compound for several. Every random decision of a unit comes from ``UnitRng(seed, key)``, read for
all units at once (draws.py): draw 0 = keep under the answer-share cap, 1 = template, 2-4 = wrong
options, 5 = order of the wrong options.

Answer letters: the *slot* of the correct option comes from a per-video schedule: the video's
accepted units, in canonical order, are taken in blocks of four and each block gets a random
permutation of A-D (generator keyed by video and block). Letters are thus balanced by
construction (every letter within +-3 per video) while each question's slot stays unpredictable
from its text.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from pipelines.core.referring import ORDINALS, rank_people_columns
from pipelines.finebench.columns import VideoInput, question_table, unit_keys
from pipelines.finebench.context import GenerationContext, option_text
from pipelines.finebench.cross import KEY_SHARE_CAP, NOT_ENOUGH, Choice, cross_choice
from pipelines.finebench.crossplan import phrase_classes
from pipelines.finebench.draws import (
    PERMUTATIONS_3,
    PERMUTATIONS_4,
    scaled_index,
    unit_seeds,
    unit_uniforms,
)
from pipelines.finebench.fallback import fallback_wrong_options
from pipelines.finebench.noneform import DRAWS as NONE_DRAWS
from pipelines.finebench.notform import DRAWS as NOT_DRAWS
from pipelines.finebench.options import compound_options, single_options
from pipelines.finebench.vocabulary import CATEGORIES
from pipelines.finebench.window import action_rows, forbidden_rows, window_actions


@dataclass
class VideoResult:
    video_id: str
    units: int = 0
    table: pa.Table | None = None
    rejects: list[tuple[str, str, str]] = field(default_factory=list)  # (unit key, reason, detail)
    mix: Counter[str] = field(default_factory=Counter)  # questions per "<category>/<single|compound>"


def unit_key(video_id: str, timestamp: int, person_id: int, category: str) -> str:
    return f"{video_id}/{timestamp:04d}/{person_id}/{category}"


def _wrong_options(ctx: GenerationContext, video: VideoInput, keys: pa.Array, alive: np.ndarray,
                   forbidden: np.ndarray, template: np.ndarray, draws: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """(option codes rows x 3, tier indices, served mask, texts of fallback options) per unit.

    Codes below ``len(ctx.option_texts)`` index it; the others index the returned texts."""
    style = ctx.template_style[template]
    wrong = np.full((len(keys), 3), -1, dtype=np.int64)
    tiers = np.zeros((len(keys), 3), dtype=np.int64)
    served = np.zeros(len(keys), dtype=bool)
    for rows, codes, tier in (single_options(ctx, alive, forbidden, video, style, draws),
                              *compound_options(ctx, alive, forbidden, video, style, draws)):
        wrong[rows], tiers[rows], served[rows] = codes, tier, True
    extra_texts: list[str] = []
    for index in np.flatnonzero(alive & ~served).tolist():
        p = int(video.unit_person[index])
        options = fallback_wrong_options(
            ctx, keys[index].as_py(), ctx.answers[video.unit_answer[index]],
            tuple(np.flatnonzero(forbidden[p]).tolist()),  # keyframe + window actions and entailed ones
            CATEGORIES[video.unit_category[index]])
        if options is None:
            continue
        style_name = ctx.templates[template[index]].style
        for column, (ids, tier_name) in enumerate(options):
            wrong[index, column] = len(ctx.option_texts) + len(extra_texts)
            tiers[index, column] = "abc".index(tier_name)
            extra_texts.append(option_text(ids, style_name, ctx.vocab))
        served[index] = True
    order = PERMUTATIONS_3[scaled_index(draws[:, 5], 6)]
    return np.take_along_axis(wrong, order, axis=1), np.take_along_axis(tiers, order, axis=1), served, \
        extra_texts


REASONS = ("", "ambiguous_reference", "", "category_share", "not_enough_distractors")


def per_category_choice(ctx: GenerationContext, video: VideoInput, keys: pa.Array, forbidden: np.ndarray,
                        ambiguous: np.ndarray, draws: np.ndarray) -> Choice:
    """The published form: four options of the unit's category (answer-share cap, tiers a/b/c)."""
    category, answer = video.unit_category, video.unit_answer
    capped = ~ambiguous & (draws[:, 0] >= ctx.keep[answer])
    alive = ~ambiguous & ~capped
    template = ctx.template_start[category] + scaled_index(draws[:, 1], ctx.template_count[category])
    wrong, tiers, served, extra_texts = _wrong_options(ctx, video, keys, alive, forbidden,
                                                       template, draws)
    reason = np.where(ambiguous, 1, np.where(capped, KEY_SHARE_CAP, np.where(served, 0, NOT_ENOUGH)))
    return Choice(reason, answer, template, wrong, tiers, extra_texts)


def generate_video(ctx: GenerationContext, video: VideoInput) -> VideoResult:
    """All units of one video -> the question table and the unit rejections."""
    params = ctx.params
    ranks, clear, counts = rank_people_columns(video, params.min_center_gap, params.max_horizontal_overlap)
    actions = action_rows(video.action_offsets, video.action_ids, ctx.forbid.shape[0])
    window = window_actions(np.zeros(len(video.timestamp), dtype=np.int64), video.person_id,
                            video.timestamp, actions, ctx.window)
    forbidden = forbidden_rows(actions, window, ctx.forbid)
    person, category = video.unit_person, video.unit_category
    keys = unit_keys(video)
    count = NOT_DRAWS if ctx.not_plan is not None else NONE_DRAWS if ctx.none_answer >= 0 else 7
    draws = unit_uniforms(unit_seeds(params.seed, keys), count)
    rank_u, count_u = ranks[person], counts[person]
    ambiguous = ~clear[person] | ((count_u > len(ORDINALS)) & (rank_u != 1) & (rank_u != count_u))
    choice = (cross_choice(ctx, video, actions, forbidden, ambiguous, phrase_classes(rank_u, count_u), draws)
              if ctx.plan is not None
              else per_category_choice(ctx, video, keys, forbidden, ambiguous, draws))

    result = VideoResult(video.video_id, units=len(keys))
    cap_reason = "key_share_cap" if ctx.plan is not None else "answer_share_cap"
    cap_detail = ("key over its share of the questions showing it" if ctx.plan is not None
                  else f"answer over {params.max_answer_share:.0%} of its category")
    details = ["", f" persons, centre gap < {params.min_center_gap} or horizontal overlap > "
               f"{params.max_horizontal_overlap}", cap_detail, "category over its share of the units", ""]
    rejected = np.flatnonzero(choice.reason > 0)
    codes = choice.reason[rejected]
    names = np.array([cap_reason if code == KEY_SHARE_CAP else name for code, name in enumerate(REASONS)],
                     dtype=object)[codes]
    texts = np.array(details, dtype=object)[codes]
    for at in np.flatnonzero(codes == 1).tolist():  # ambiguous: the detail starts with the count
        texts[at] = f"{count_u[rejected[at]]}{details[1]}"
    result.rejects = list(zip(keys.take(pa.array(rejected)).to_pylist(), names.tolist(), texts.tolist(),
                              strict=True))

    accepted = np.flatnonzero(choice.reason == 0)
    blocks = [f"{video.video_id}/letters/{b}" for b in range((len(accepted) + 3) // 4)]
    block_slots = PERMUTATIONS_4[scaled_index(unit_uniforms(unit_seeds(params.seed, blocks), 1)[:, 0], 24)]
    position = np.arange(len(accepted))
    slot = block_slots[position // 4, position % 4] if len(accepted) else position
    answer = choice.answer[accepted]
    result.table = question_table(ctx, video, accepted, answer, keys, choice.template, slot,
                                  choice.wrong[accepted], choice.tiers[accepted], choice.extra_texts,
                                  ranks, counts)
    compound = ctx.answer_size[answer] > 1
    cells, sizes = np.unique(category[accepted] * 2 + compound, return_counts=True)
    for cell, n in zip(cells.tolist(), sizes.tolist(), strict=True):
        result.mix[f"{CATEGORIES[cell // 2]}/{'compound' if cell % 2 else 'single'}"] = n
    return result
