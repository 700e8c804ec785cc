"""Distractor selection for single-action and compound questions (pure functions).

Hard rules, for every distractor: never an action the person has at that keyframe (any
category), never an action that entails or is entailed by one of them (``entails`` in the
similarity map), never a duplicate option.

Tiers: (a) curated similar actions of the true action, (b) other actions of the same category,
(c) the whole vocabulary, used only when (a) and (b) cannot supply enough.

Blind-shortcut defences (the design):
- *Prior balance.* Within tiers (a)+(b) candidates are drawn with weight proportional to how often
  the candidate is itself a true answer in this build (plus one), times a boost for tier (a). An
  action that is often right then also often appears as a wrong option, so "pick the option that is
  usually right" stays close to chance instead of reading the label prior.
- *Recurring compounds.* A compound question's wrong options are first drawn from the real
  answers of the same size and category elsewhere in the build (weighted by how often each is
  right), so every frequent combination is sometimes right and sometimes wrong.
- *Symmetric compounds* (fallback when too few real combinations qualify). For a truth T of k
  actions we draw a decoy set D of k false actions
  (each from the similar actions of one true action) and two mixtures M1, M2 that split T and D
  between them. Every action then appears in exactly two options and every option shares exactly
  k actions with the others, so overlap counting cannot single out the truth.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from pipelines.core.rng import UnitRng
from pipelines.finebench.vocabulary import Vocabulary

TIER_ORDER = {"a": 0, "b": 1, "c": 2}
RARE_WEIGHT = 0.1  # weight of an action that is never a true answer (vs. its count otherwise)


def forbidden_for(person_actions: Sequence[int], vocab: Vocabulary) -> set[int]:
    """Actions that may never be offered as wrong options for this person."""
    forbidden = set(person_actions)
    for action in person_actions:
        forbidden |= vocab.incompatible.get(action, frozenset())
    return forbidden


def _tiered_candidates(truth: int, category: str, excluded: set[int], vocab: Vocabulary
                       ) -> tuple[list[int], list[int], list[int]]:
    tier_a = [x for x in vocab.similar.get(truth, ()) if x not in excluded]
    in_a = set(tier_a)
    tier_b = [x for x in vocab.by_category[category] if x not in excluded and x not in in_a]
    in_b = set(tier_b)
    tier_c = [x for x in sorted(vocab.actions) if x not in excluded and x not in in_a and x not in in_b]
    return tier_a, tier_b, tier_c


class Pool:
    """Weighted candidates prepared once for fast repeated draws (cumulative weights + bisect)."""

    __slots__ = ("cumulative", "items", "total")

    def __init__(self, triples: Sequence[tuple[Any, str, float]]) -> None:
        self.items = [(value, tier) for value, tier, _ in triples]
        self.cumulative = list(itertools.accumulate(w for _, _, w in triples))
        self.total = self.cumulative[-1] if self.cumulative else 0.0

    def __len__(self) -> int:
        return len(self.items)

    def draw(self, rng: UnitRng, k: int) -> list[tuple[Any, str]]:
        """``k`` draws without replacement, each with probability proportional to its weight among
        the items not yet drawn. Drawn items become gaps on the cumulative line: a point drawn on
        the shortened line is mapped back by skipping the gaps before it, then found by bisection."""
        n = len(self.items)
        if n <= k:
            order = list(range(n))
            rng.shuffle(order)
            return [self.items[i] for i in order]
        cumulative = self.cumulative
        gaps: list[tuple[float, float]] = []  # (start, width) of drawn items, sorted by start
        remaining = self.total
        chosen: list[int] = []
        for _ in range(k):
            point = rng.random() * remaining
            for gap_start, width in gaps:
                if point < gap_start:
                    break
                point += width
            index = min(bisect.bisect_right(cumulative, point), n - 1)
            if index in chosen:  # only through float rounding at a boundary
                index = next(i for i in range(n) if i not in chosen)
            width = cumulative[index] - (cumulative[index - 1] if index else 0.0)
            bisect.insort(gaps, (cumulative[index] - width, width))
            remaining -= width
            chosen.append(index)
        return [self.items[i] for i in chosen]


def distractor_pool(truth: int, category: str, excluded: set[int], vocab: Vocabulary,
                    prior: Mapping[int, float], tier_a_boost: float) -> tuple[Pool, Pool]:
    """Weighted candidates of tiers (a)+(b), and of tier (c) for when those run out."""
    tier_a, tier_b, tier_c = _tiered_candidates(truth, category, excluded, vocab)
    pool = [(x, "a", tier_a_boost * (prior.get(x, 0.0) + RARE_WEIGHT)) for x in tier_a]
    pool += [(x, "b", prior.get(x, 0.0) + RARE_WEIGHT) for x in tier_b]
    return Pool(pool), Pool([(x, "c", prior.get(x, 0.0) + RARE_WEIGHT) for x in tier_c])


def pick_distractors(rng: UnitRng, truth: int, category: str, excluded: set[int], count: int,
                     vocab: Vocabulary, prior: Mapping[int, float], tier_a_boost: float,
                     pools: tuple[Pool, Pool] | None = None
                     ) -> list[tuple[int, str]]:
    """``count`` distinct wrong actions for ``truth`` with their tiers; fewer only if the whole
    vocabulary is exhausted. ``pools`` may pass a precomputed :func:`distractor_pool`."""
    main, fallback = pools or distractor_pool(truth, category, excluded, vocab, prior, tier_a_boost)
    picked = main.draw(rng, count)
    if len(picked) < count:
        picked += fallback.draw(rng, count - len(picked))
    return picked


def worst_tier(tiers: Sequence[str]) -> str:
    return max(tiers, key=TIER_ORDER.__getitem__)


def compound_distractors(rng: UnitRng, truth: Sequence[int], category: str, excluded: set[int],
                         vocab: Vocabulary, prior: Mapping[int, float], tier_a_boost: float
                         ) -> list[tuple[tuple[int, ...], str]] | None:
    """Three false action sets of ``len(truth)`` actions: the decoy D and mixtures M1, M2.

    Returns None when the vocabulary cannot supply ``len(truth)`` false actions.
    """
    k = len(truth)
    taken = set(excluded)
    decoy: list[tuple[int, str]] = []
    for action in truth:
        got = pick_distractors(rng, action, category, taken, 1, vocab, prior, tier_a_boost)
        if not got:
            return None
        decoy.append(got[0])
        taken.add(got[0][0])
    true_order = list(truth)
    false_order = list(decoy)
    rng.shuffle(true_order)
    rng.shuffle(false_order)
    half = (k + 1) // 2
    mix_one = (true_order[:half], false_order[half:])
    mix_two = (true_order[half:], false_order[:half])
    options: list[tuple[tuple[int, ...], str]] = [
        (tuple(sorted(a for a, _ in decoy)), worst_tier([t for _, t in decoy]))]
    for trues, falses in (mix_one, mix_two):
        options.append((tuple(sorted(trues + [a for a, _ in falses])), worst_tier([t for _, t in falses])))
    return options


def tier_of(action: int, truth: Sequence[int], category: str, vocab: Vocabulary) -> str:
    if any(action in vocab.similar.get(t, ()) for t in truth):
        return "a"
    return "b" if vocab.actions[action].category == category else "c"


def compound_pool(truth: tuple[int, ...], category: str, excluded: set[int], vocab: Vocabulary,
                  answers: Sequence[tuple[tuple[int, ...], float]]) -> Pool:
    """Real answers of the same size (``answers``: (action ids, weight)) that are false for this
    person: each has an action outside ``excluded`` (the person's actions and what they entail)
    and none equals the truth."""
    pool = []
    for ids, weight in answers:
        false = [a for a in ids if a not in excluded]
        if ids != truth and false:
            pool.append((ids, worst_tier([tier_of(a, truth, category, vocab) for a in false]), weight))
    return Pool(pool)


def recurring_compounds(rng: UnitRng, pool: Pool) -> list[tuple[tuple[int, ...], str]]:
    """Up to three weighted draws without replacement from a :func:`compound_pool`."""
    return pool.draw(rng, 3)
