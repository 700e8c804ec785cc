"""Answer-distribution balancing, computed once over the whole build before generation.

AVA's labels are extremely skewed (in the real validation excerpt ~80% of person-movement answers
are "stand"). When one answer dominates, a text-only model that always picks it wins whenever it
is offered, and no choice of wrong options can hide that. So, per category, no single answer (the
tuple of true action ids) may exceed ``max_answer_share`` of the kept questions: each answer gets a
keep probability, and each unit draws from its own generator whether it is kept (otherwise it is
rejected as ``answer_share_cap``). ``max_answer_share = 1`` keeps everything.

The expected kept counts also give the *prior* used to weight wrong options (see distractors).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from pipelines.finebench.vocabulary import CATEGORIES

AnswerKey = tuple[str, tuple[int, ...]]


def cap_level(counts: list[int], max_share: float) -> float:
    """Largest C with C <= max_share * sum(min(n, C)) (water-filling), or inf if no cap binds."""
    if max_share >= 1.0 or not counts:
        return float("inf")
    level = float(max(counts))
    for _ in range(200):
        kept = sum(min(n, level) for n in counts)
        target = max_share * kept
        if level <= target + 1e-9:
            break
        level = max(target, 1.0)
    return level


def keep_probabilities(counts: Counter[AnswerKey], max_share: float) -> dict[AnswerKey, float]:
    """Keep probability of each answer so no answer exceeds ``max_share`` of its category."""
    keep: dict[AnswerKey, float] = {}
    for category in CATEGORIES:
        keys = [k for k in counts if k[0] == category]
        level = cap_level([counts[k] for k in keys], max_share)
        for key in keys:
            keep[key] = min(1.0, level / counts[key])
    return keep


def truth_prior(counts: Counter[AnswerKey], keep: Mapping[AnswerKey, float]) -> dict[int, float]:
    """Expected number of kept questions in which each action is (part of) the answer."""
    prior: dict[int, float] = {}
    for key, n in counts.items():
        for action in key[1]:
            prior[action] = prior.get(action, 0.0) + n * keep.get(key, 1.0)
    return prior


def compound_answers(counts: Counter[AnswerKey], keep: Mapping[AnswerKey, float]
                     ) -> dict[tuple[str, int], tuple[tuple[tuple[int, ...], float], ...]]:
    """Real multi-action answers per (category, size) with their expected kept counts, sorted."""
    grouped: dict[tuple[str, int], list[tuple[tuple[int, ...], float]]] = {}
    for (category, ids), n in sorted(counts.items()):
        if len(ids) > 1:
            grouped.setdefault((category, len(ids)), []).append((ids, n * keep.get((category, ids), 1.0)))
    return {k: tuple(v) for k, v in grouped.items()}
