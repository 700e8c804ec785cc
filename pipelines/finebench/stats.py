"""Quality statistics and blind (text-only) baselines of a finebench build.

The baselines see only the question and the four option texts. Frequency baselines are scored
leave-one-out (a question's own answer is removed from the counts before it is predicted), so
they estimate what a text-only model could learn from the rest of the data without memorising
the question itself. Ties go to the earliest option, which is neutral because letters are
balanced.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from scipy.stats import chisquare

from pipelines.finebench.subset import shares

LETTERS = "ABCD"


def _argmax(values: Sequence[float]) -> int:
    best = 0
    for i, value in enumerate(values):
        if value > values[best]:
            best = i
    return best


def blind_baselines(records: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Accuracy (0..1) of three text-only heuristics."""
    if not records:
        return {}
    answered = {"longest_option": 0, "shortest_option": 0, "template_answer_frequency": 0,
                "option_prior": 0}
    by_template: Counter[tuple[str, str]] = Counter()
    correct: Counter[str] = Counter()
    present: Counter[str] = Counter()
    for r in records:
        by_template[(r["template_id"], r["answer_text"])] += 1
        correct[r["answer_text"]] += 1
        present.update(r["options"])
    for r in records:
        options, truth = r["options"], LETTERS.index(r["answer"])
        answered["longest_option"] += _argmax([len(o) for o in options]) == truth
        answered["shortest_option"] += _argmax([-len(o) for o in options]) == truth
        freq = [by_template[(r["template_id"], o)] - (o == r["answer_text"]) for o in options]
        answered["template_answer_frequency"] += _argmax(freq) == truth
        prior = []
        for o in options:
            hits = correct[o] - (o == r["answer_text"])
            seen = present[o] - 1
            prior.append(hits / seen if seen > 0 else 0.0)
        answered["option_prior"] += _argmax(prior) == truth
    return {name: n / len(records) for name, n in answered.items()}


def letter_balance(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    counts = Counter(r["answer"] for r in records)
    observed = [counts.get(letter, 0) for letter in LETTERS]
    p_value = float(chisquare(observed).pvalue) if sum(observed) else 1.0
    return {"counts": dict(zip(LETTERS, observed, strict=True)), "chi2_p": p_value}


def build_stats(records: Sequence[dict[str, Any]], subset_ids: Sequence[str]) -> dict[str, Any]:
    """Everything the data card and the report show."""
    by_category: Counter[str] = Counter(r["category"] for r in records)
    compound: Counter[str] = Counter(r["category"] for r in records if r["is_compound"])
    keyframes = {(r["video_id"], r["timestamp"]): r["num_persons"] for r in records}
    tiers = Counter(t for r in records for t in r["distractor_tiers"])
    subset = [r for r in records if r["in_subset"]]
    total_tiers = sum(tiers.values()) or 1
    return {
        "questions": len(records),
        "videos": len({r["video_id"] for r in records}),
        "keyframes": len(keyframes),
        "by_category": dict(sorted(by_category.items())),
        "compound_by_category": {c: compound.get(c, 0) for c in sorted(by_category)},
        "compound_share": (sum(compound.values()) / len(records)) if records else 0.0,
        "persons_per_keyframe": dict(sorted(Counter(keyframes.values()).items())),
        "letters": letter_balance(records),
        "tier_shares": {t: tiers[t] / total_tiers for t in sorted(tiers)},
        "templates_used": dict(sorted(Counter(r["template_id"] for r in records).items())),
        "blind_baselines": blind_baselines(records),
        "chance": 0.25,
        "subset_videos": list(subset_ids),
        "subset_questions": len(subset),
        "subset_by_category": dict(sorted(Counter(r["category"] for r in subset).items())),
        "full_by_category_share": dict(sorted(shares(by_category).items())),
        "subset_by_category_share": dict(sorted(shares(Counter(r["category"] for r in subset)).items())),
    }
