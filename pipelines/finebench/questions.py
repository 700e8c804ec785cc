"""Assemble finebench questions for one video (pure: plain data in, plain records out).

Unit = (video, timestamp, person, category); key ``<video>/<tttt>/<person>/<category>``. One
question per category in which the person has at least one action: single-answer for one action,
compound for several. All randomness of a unit comes from ``UnitRng(seed, key)``.

Answer letters: the unit's generator shuffles the wrong options; the *slot* of the correct option
comes from a per-video schedule: the video's accepted units, in canonical order, are taken in
blocks of four and each block gets a random permutation of A-D (generator keyed by video and
block). Letters are thus balanced by construction (every letter within +-3 per video) while each
question's slot stays unpredictable from its text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipelines.core.rng import UnitRng
from pipelines.finebench.config import FinebenchParams
from pipelines.finebench.distractors import (
    compound_distractors,
    compound_pool,
    distractor_pool,
    forbidden_for,
    pick_distractors,
    recurring_compounds,
)
from pipelines.finebench.keyframes import Keyframe
from pipelines.finebench.referring import ORDINALS, phrase_for_rank, rank_people
from pipelines.finebench.vocabulary import CATEGORIES, Template, Vocabulary

LETTERS = "ABCD"


@dataclass(frozen=True)
class GenerationContext:
    vocab: Vocabulary
    params: FinebenchParams
    prior: Mapping[int, float]  # expected number of kept questions each action is true in
    keep: Mapping[tuple[str, tuple[int, ...]], float]  # answer -> keep probability (balance.py)
    compounds: Mapping[tuple[str, int], tuple[tuple[tuple[int, ...], float], ...]]  # (cat, k) -> answers
    # Memo of candidate pools per (truth, person's actions): they repeat constantly across units.
    pools: dict[tuple[tuple[int, ...], tuple[int, ...]], Any] = field(default_factory=dict, compare=False)
    texts: dict[tuple[tuple[int, ...], str], str] = field(default_factory=dict, compare=False)

    def option_text(self, action_ids: tuple[int, ...], style: str) -> str:
        text = self.texts.get((action_ids, style))
        if text is None:
            text = self.texts[(action_ids, style)] = option_text(action_ids, style, self.vocab)
        return text


@dataclass
class VideoResult:
    video_id: str
    units: int = 0
    records: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[tuple[str, str, str]] = field(default_factory=list)  # (unit key, reason, detail)


def join_actions(forms: Sequence[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    if len(forms) <= 2:
        return " and ".join(forms)
    return ", ".join(forms[:-1]) + " and " + forms[-1]


def option_text(action_ids: Sequence[int], style: str, vocab: Vocabulary) -> str:
    return join_actions([vocab.actions[a].forms[style] for a in action_ids])


def unit_key(video_id: str, timestamp: int, person_id: int, category: str) -> str:
    return f"{video_id}/{timestamp:04d}/{person_id}/{category}"


def _build_unit(ctx: GenerationContext, key: str, truth: tuple[int, ...], person_actions: tuple[int, ...],
                category: str) -> tuple[Template, str, list[str], list[str]] | str:
    """(template, true option, wrong options, their tiers) of one unit, or a reject reason."""
    vocab, params = ctx.vocab, ctx.params
    rng = UnitRng(params.seed, key)
    template = rng.choice(vocab.templates[category])
    memo = ctx.pools.get((truth, person_actions))
    if memo is None:
        excluded = forbidden_for(person_actions, vocab)
        if len(truth) == 1:
            memo = (excluded, distractor_pool(truth[0], category, excluded, vocab, ctx.prior,
                                              params.tier_a_boost))
        else:
            memo = (excluded, compound_pool(truth, category, excluded, vocab,
                                            ctx.compounds.get((category, len(truth)), ())))
        ctx.pools[(truth, person_actions)] = memo
    excluded, pool = memo
    if len(truth) == 1:
        picked = pick_distractors(rng, truth[0], category, excluded, 3, vocab, ctx.prior,
                                  params.tier_a_boost, pool)
        wrong = [((action,), tier) for action, tier in picked]
    else:
        wrong = recurring_compounds(rng, pool)
        if len(wrong) < 3:
            wrong = compound_distractors(rng, truth, category, excluded, vocab, ctx.prior,
                                         params.tier_a_boost) or []
    if len(wrong) < 3:
        return "not_enough_distractors"
    rng.shuffle(wrong)
    style = template.style
    return (template, ctx.option_text(truth, style), [ctx.option_text(ids, style) for ids, _ in wrong],
            [tier for _, tier in wrong])


def generate_video(ctx: GenerationContext, keyframes: list[Keyframe]) -> VideoResult:
    """All units of one video's keyframes (sorted by timestamp) -> records and rejections."""
    video_id = keyframes[0].video_id if keyframes else ""
    result = VideoResult(video_id)
    params, vocab = ctx.params, ctx.vocab
    category_of = {a.id: a.category for a in vocab.actions.values()}
    order = {c: i for i, c in enumerate(CATEGORIES)}
    ambiguous = f"centre gap < {params.min_center_gap}"
    pending: list[tuple[dict[str, Any], tuple[Template, str, list[str], list[str]]]] = []
    for frame in keyframes:
        ranks = rank_people([p.box for p in frame.persons], params.min_center_gap)
        count = len(frame.persons)
        frame_times = params.frames.times(float(frame.timestamp))
        for person, (rank, clear) in zip(frame.persons, ranks, strict=True):
            by_category: dict[str, list[int]] = {}
            for action in person.action_ids:
                by_category.setdefault(category_of[action], []).append(action)
            for category in sorted(by_category, key=order.__getitem__):
                truth = tuple(by_category[category])
                result.units += 1
                key = unit_key(video_id, frame.timestamp, person.person_id, category)
                if not clear or (count > len(ORDINALS) and rank not in (1, count)):
                    result.rejects.append((key, "ambiguous_reference", f"{count} persons, {ambiguous}"))
                    continue
                keep = ctx.keep.get((category, truth), 1.0)
                if keep < 1.0 and UnitRng(params.seed, key + "/keep").random() >= keep:
                    result.rejects.append((key, "answer_share_cap",
                                           f"answer over {params.max_answer_share:.0%} of {category}"))
                    continue
                built = _build_unit(ctx, key, truth, person.action_ids, category)
                if isinstance(built, str):
                    result.rejects.append((key, built, ""))
                    continue
                phrase = phrase_for_rank(rank, count)
                box = list(person.box)
                record = {
                    "id": key.replace("/", "_"),
                    "video_id": video_id,
                    "timestamp": frame.timestamp,
                    "person_id": person.person_id,
                    "bbox": box,
                    "num_persons": count,
                    "person_rank": rank,
                    "referring_phrase": phrase,
                    "category": category,
                    "action_ids": list(truth),
                    "action_names": [vocab.actions[a].name for a in truth],
                    "is_compound": len(truth) > 1,
                    "template_id": built[0].id,
                    "question": built[0].render(phrase),
                    "box_hint": "Pay attention to the region [{:.3f}, {:.3f}, {:.3f}, {:.3f}] in the "
                                "target frame.".format(*box),
                    "frame_times": frame_times,
                    "frame_keys": [],
                    "in_subset": False,
                }
                pending.append((record, built))
    for block_start in range(0, len(pending), 4):
        slots = [0, 1, 2, 3]
        UnitRng(params.seed, f"{video_id}/letters/{block_start // 4}").shuffle(slots)
        for (record, built), slot in zip(pending[block_start:block_start + 4], slots, strict=False):
            _, truth_text, wrong_texts, tiers = built
            options = list(wrong_texts)
            options.insert(slot, truth_text)
            record["options"] = options
            record["answer"] = LETTERS[slot]
            record["answer_text"] = truth_text
            record["distractor_tiers"] = tiers
            result.records.append(record)
    return result
