"""Wrong options for the rare units the vectorised path cannot serve (one unit at a time).

A single-answer unit whose tiers (a)+(b) hold fewer than three admissible actions falls back to
the whole vocabulary (tier c); a compound unit with fewer than three admissible real answers of
its size falls back to the symmetric decoy construction (see distractors.py). The unit's own
generator ``UnitRng(seed, key + "/fallback")`` drives these draws.
"""

from __future__ import annotations

from pipelines.core.rng import UnitRng
from pipelines.finebench.context import GenerationContext
from pipelines.finebench.distractors import (
    compound_distractors,
    compound_pool,
    distractor_pool,
    forbidden_for,
    pick_distractors,
    recurring_compounds,
)


def fallback_wrong_options(ctx: GenerationContext, key: str, truth: tuple[int, ...],
                           person_actions: tuple[int, ...], category: str
                           ) -> list[tuple[tuple[int, ...], str]] | None:
    """Three (action ids, tier) wrong options, or None when the vocabulary cannot supply them."""
    vocab, params = ctx.vocab, ctx.params
    rng = UnitRng(params.seed, key + "/fallback")
    excluded = forbidden_for(person_actions, vocab)
    if len(truth) == 1:
        pools = distractor_pool(truth[0], category, excluded, vocab, ctx.prior, params.tier_a_boost)
        picked = pick_distractors(rng, truth[0], category, excluded, 3, vocab, ctx.prior,
                                  params.tier_a_boost, pools)
        wrong = [((action,), tier) for action, tier in picked]
    else:
        pool = compound_pool(truth, category, excluded, vocab, ctx.compounds.get((category, len(truth)), ()))
        wrong = recurring_compounds(rng, pool)
        if len(wrong) < 3:
            wrong = compound_distractors(rng, truth, category, excluded, vocab, ctx.prior,
                                         params.tier_a_boost) or []
    return wrong if len(wrong) == 3 else None
