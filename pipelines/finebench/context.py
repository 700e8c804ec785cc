"""Everything generation needs about the whole build, as lookup arrays (computed once, sent once
to every worker).

Action ids index the columns of the ``(actions x actions)`` boolean tables directly. Weights are
integers so that weighted draws are exact and identical on every machine (see draws.py): an
action's weight is ``WEIGHT_SCALE * (prior + RARE_WEIGHT)``, times ``tier_a_boost`` when it is a
curated similar action of the truth (prior = expected number of kept questions it is true in).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from pipelines.core.referring import ORDINALS, rank_people_columns
from pipelines.finebench.balance import compound_answers, keep_probabilities, truth_prior
from pipelines.finebench.config import FinebenchParams
from pipelines.finebench.crossplan import CrossPlan, phrase_classes, plan_cross, sample_rows
from pipelines.finebench.distractors import RARE_WEIGHT
from pipelines.finebench.keyframes import PersonTable
from pipelines.finebench.notplan import NotPlan, final_not_plan, other_form_for
from pipelines.finebench.posepairs import pose_pairs_for
from pipelines.finebench.units import UnitTable
from pipelines.finebench.vocabulary import CATEGORIES, STYLES, TEMPLATE_POOLS, Template, Vocabulary
from pipelines.finebench.window import action_rows, forbidden_rows, window_actions, window_deltas

WEIGHT_SCALE = 100


def join_actions(forms: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    if len(forms) <= 2:
        return " and ".join(forms)
    return ", ".join(forms[:-1]) + " and " + forms[-1]


@dataclass(frozen=True)
class CompoundGroup:
    """Real answers of one (category, size), the recurring wrong options of compound questions."""

    codes: np.ndarray  # answer indices
    members: np.ndarray  # (m, actions) bool
    weights: np.ndarray  # int64, expected kept count (scaled)


@dataclass(frozen=True)
class GenerationContext:
    vocab: Vocabulary
    params: FinebenchParams
    answers: list[tuple[int, ...]]
    answer_size: np.ndarray  # number of actions in each answer
    single_action: np.ndarray  # the action of a one-action answer (-1 for compounds)
    answer_actions: np.ndarray  # every answer's action ids, concatenated in answer order
    answer_starts: np.ndarray  # where each answer's ids start in answer_actions
    keep: np.ndarray  # keep probability per answer (balance.py)
    forbid: np.ndarray  # [a, x]: x may never be a wrong option when the person does a
    similar: np.ndarray  # [a, x]: x is a curated similar action of a (tier a)
    category_mask: np.ndarray  # [c, x]: x belongs to category c
    weight_a: np.ndarray
    weight_b: np.ndarray
    similar_union: np.ndarray  # [answer, x]: x is similar to one of the answer's actions
    compound_groups: dict[tuple[int, int], CompoundGroup]
    option_texts: pa.Array  # every option text; see action_option / answer_option for the codes
    action_names: pa.Array  # [action id] -> label name
    templates: list[Template]  # every template; a category's are contiguous
    template_start: np.ndarray  # first template of each category
    template_count: np.ndarray  # number of templates of each category
    template_ids: pa.Array  # id of every template
    template_style: np.ndarray  # style index of every template
    single_code: np.ndarray  # [action id] -> index in ``answers`` of the one-action answer
    window: list[int]  # offsets (s) of the other keyframes inside the frames a question shows
    plan: CrossPlan | None  # cross-category option mode (crossplan.py); None: the per-category form
    # Scalar fallback (rare units the vector path cannot serve): float prior and compound lists.
    prior: dict[int, float] = field(default_factory=dict)
    compounds: dict[tuple[str, int], tuple[tuple[tuple[int, ...], float], ...]] = field(default_factory=dict)
    not_plan: NotPlan | None = None  # the NOT form (notplan.py); None: off
    none_answer: int = -1  # index in ``answers`` of "none of these" (the empty answer; -1: no family)


def action_option(ctx: GenerationContext, style: np.ndarray, action: np.ndarray) -> np.ndarray:
    """Codes in ``option_texts`` of single actions in the given styles."""
    return style * ctx.forbid.shape[0] + action


def answer_option(ctx: GenerationContext, style: np.ndarray, answer: np.ndarray) -> np.ndarray:
    """Codes in ``option_texts`` of whole answers (one or several actions) in the given styles."""
    return len(STYLES) * ctx.forbid.shape[0] + style * len(ctx.answers) + answer


def option_text(action_ids: tuple[int, ...], style: str, vocab: Vocabulary) -> str:
    return join_actions([vocab.actions[a].forms[style] for a in action_ids])


def _compound_groups(compounds: dict[tuple[str, int], tuple[tuple[tuple[int, ...], float], ...]],
                     answers: list[tuple[int, ...]], size: int) -> dict[tuple[int, int], CompoundGroup]:
    code_of = {ids: i for i, ids in enumerate(answers)}
    groups: dict[tuple[int, int], CompoundGroup] = {}
    for (category, k), listed in compounds.items():
        members = np.zeros((len(listed), size), dtype=bool)
        for row, (ids, _) in enumerate(listed):
            members[row, list(ids)] = True
        weights = np.maximum(1, np.rint([WEIGHT_SCALE * w for _, w in listed])).astype(np.int64)
        groups[(CATEGORIES.index(category), k)] = CompoundGroup(
            np.array([code_of[ids] for ids, _ in listed], dtype=np.int64), members, weights)
    return groups


@dataclass(frozen=True)
class _Keyframes:
    """Person rows keyed by keyframe (video, timestamp) for referring.rank_people_columns."""

    timestamp: np.ndarray
    box: np.ndarray


def sampled_forbidden(persons: PersonTable, units: UnitTable, forbid: np.ndarray, deltas: list[int],
                      params: FinebenchParams) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(actions, forbidden, sampled unit rows, their phrase classes) for the units the cross plan
    looks at: window truth and ranks over the person rows of the keyframes the sampled units'
    persons see (theirs and those ``deltas`` away), the entailment closure only for the sampled
    units' persons; units whose person cannot be named (ambiguous_reference) are left out."""
    rows = sample_rows(len(units))
    stamps = persons.timestamp.astype(np.int64)
    span = int(stamps.max()) + 1 + 2 * max((abs(d) for d in deltas), default=0) if len(stamps) else 1
    keyframe = persons.video.astype(np.int64) * span + stamps  # sorted: persons are in (video, time) order
    near = _rows_at(keyframe, np.add.outer(keyframe[units.person[rows]], np.array([0, *deltas])).ravel())
    offsets = persons.action_offsets
    counts = offsets[near + 1] - offsets[near]
    starts = np.repeat(offsets[near] - (np.cumsum(counts) - counts), counts)
    actions = action_rows(np.r_[0, np.cumsum(counts)], persons.action_ids[starts + np.arange(counts.sum())],
                          forbid.shape[0])
    window = window_actions(persons.video[near], persons.person_id[near], stamps[near], actions, deltas)
    ranks, clear, counts = rank_people_columns(_Keyframes(keyframe[near], persons.box[near]),
                                               params.min_center_gap, params.max_horizontal_overlap)
    at = np.searchsorted(near, units.person[rows])  # the sampled units' persons among ``near``
    nameable = clear[at] & ((counts <= len(ORDINALS)) | (ranks == 1) | (ranks == counts))[at]
    rows, at = rows[nameable], at[nameable]
    return (actions[at], forbidden_rows(actions[at], window[at], forbid), rows,
            phrase_classes(ranks[at], counts[at]))


def _rows_at(keyframe: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Sorted indices of the rows whose (sorted) ``keyframe`` is one of ``wanted``."""
    wanted = np.unique(wanted)
    low, high = np.searchsorted(keyframe, wanted, "left"), np.searchsorted(keyframe, wanted, "right")
    marks = np.zeros(len(keyframe) + 1, dtype=np.int64)
    np.add.at(marks, low, 1)
    np.add.at(marks, high, -1)
    return np.flatnonzero(np.cumsum(marks[:-1]) > 0)


def make_context(vocab: Vocabulary, params: FinebenchParams, units: UnitTable,
                 persons: PersonTable) -> GenerationContext:
    """Balance the answers (keep probabilities, prior, or the cross plan) and tabulate the
    vocabulary for the build."""
    cross = params.option_mode == "cross"
    counts: Counter[tuple[str, tuple[int, ...]]] = units.counts()
    keep_by_key = keep_probabilities(counts, 1.0 if cross else params.max_answer_share)
    prior = truth_prior(counts, keep_by_key)
    compounds = compound_answers(counts, keep_by_key)
    size = max(vocab.actions) + 1  # ids are < 128 (actions.yaml lists the 80 AVA ids)
    answer_category = {ids: c for c, ids in counts}
    known = set(units.answers)
    answers = units.answers + [(a,) for a in sorted(vocab.actions) if (a,) not in known]
    none_family = cross and params.none_option
    if none_family:  # "none of these": the empty answer, its texts from the family's pool
        answers.append(())
    single_code = np.full(size, -1, dtype=np.int64)
    for i, ids in enumerate(answers):
        if len(ids) == 1:
            single_code[ids[0]] = i

    forbid = np.eye(size, dtype=bool)
    similar = np.zeros((size, size), dtype=bool)
    category_mask = np.zeros((len(CATEGORIES), size), dtype=bool)
    for action in vocab.actions.values():
        forbid[action.id, list(vocab.incompatible.get(action.id, ()))] = True
        similar[action.id, list(vocab.similar.get(action.id, ()))] = True
        category_mask[CATEGORIES.index(action.category), action.id] = True
    base = np.array([prior.get(a, 0.0) + RARE_WEIGHT if a in vocab.actions else 0.0 for a in range(size)])
    similar_union = np.zeros((len(answers), size), dtype=bool)
    for i, ids in enumerate(answers):
        similar_union[i] = similar[list(ids)].any(axis=0)

    deltas = window_deltas(params.frames)
    plan = not_plan = None
    if cross:
        actions, forbidden, rows, classes = sampled_forbidden(persons, units, forbid, deltas, params)
        target = np.bincount(units.category, minlength=len(CATEGORIES)) / max(len(units), 1)
        pose = category_mask[CATEGORIES.index("person_movement")]
        other_form = (other_form_for(classes, actions, forbidden, forbid, pose, category_mask.any(axis=0),
                                     params.not_donors) if params.not_form else None)
        plan = plan_cross(actions, forbidden, np.arange(len(rows)), units.category[rows], category_mask,
                          category_mask.any(axis=0), params.max_key_ratio, params.share_slack, target,
                          classes, other_form,
                          pose_pairs_for(units.category[rows], pose, CATEGORIES.index("person_movement"))
                          if params.pose_pairs else None, none_family)
        if params.not_form:
            not_plan = final_not_plan(plan, classes, units.category[rows], actions, forbidden, forbid,
                                      category_mask, pose, params.not_donors)
    texts = [vocab.actions[a].forms[s] if a in vocab.actions else "" for s in STYLES for a in range(size)]
    texts += [option_text(ids, s, vocab) if ids else vocab.none_option[s] for s in STYLES for ids in answers]
    names = [vocab.actions[a].name if a in vocab.actions else "" for a in range(size)]
    templates = [t for c in TEMPLATE_POOLS for t in vocab.templates[c]]
    counts_per_category = [len(vocab.templates[c]) for c in TEMPLATE_POOLS]
    return GenerationContext(
        vocab=vocab, params=params, answers=answers,
        answer_size=np.array([len(ids) for ids in answers], dtype=np.int64),
        single_action=np.array([ids[0] if len(ids) == 1 else -1 for ids in answers], dtype=np.int64),
        answer_actions=np.array([a for ids in answers for a in ids], dtype=np.int64),
        answer_starts=np.cumsum([0] + [len(ids) for ids in answers])[:-1].astype(np.int64),
        keep=np.array([keep_by_key.get((answer_category.get(ids, ""), ids), 1.0) for ids in answers]),
        forbid=forbid, similar=similar, category_mask=category_mask,
        weight_a=np.rint(WEIGHT_SCALE * params.tier_a_boost * base).astype(np.int64),
        weight_b=np.rint(WEIGHT_SCALE * base).astype(np.int64),
        similar_union=similar_union, compound_groups=_compound_groups(compounds, answers, size),
        option_texts=pa.array(texts, pa.string()), action_names=pa.array(names, pa.string()),
        templates=templates,
        template_start=np.cumsum([0, *counts_per_category])[:-1].astype(np.int64),
        template_count=np.array(counts_per_category, dtype=np.int64),
        template_ids=pa.array([t.id for t in templates], pa.string()),
        template_style=np.array([STYLES.index(t.style) for t in templates], dtype=np.int64),
        single_code=single_code, window=deltas, plan=plan, prior=prior, compounds=compounds,
        not_plan=not_plan, none_answer=len(answers) - 1 if none_family else -1)
