"""Quality statistics and blind (text-only) baselines of a finebench build, computed column-wise.

Input is an Arrow table with the columns of ``MCQ_FEATURES`` (only the ones used here are read).
The output holds plain Python ints, floats, strings, dicts and lists (JSON-serialisable, no numpy
scalars); it is exactly what the former per-record loop returned for the same rows.

The baselines see only the question and the four option texts. Frequency baselines are scored
leave-one-out (a question's own answer is removed from the counts before it is predicted), so
they estimate what a text-only model could learn from the rest of the data without memorising
the question itself. Ties go to the earliest option (``np.argmax`` returns the first maximum),
which is neutral because letters are balanced.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import chdtrc  # chi-square survival function (scipy.stats costs 0.7 s to import)

from pipelines.finebench.blindstats import acceptance, blind_report
from pipelines.finebench.subset import shares

LETTERS = "ABCD"


def _column(table: pa.Table, name: str) -> pa.Array:
    return table.column(name).combine_chunks()


def _counts(values: pa.Array) -> Counter[Any]:
    """Occurrences of each distinct value, as a Counter of Python values and ints."""
    counted = pc.value_counts(values)
    return Counter(dict(zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist(),
                            strict=True)))


def _letter_index(table: pa.Table) -> np.ndarray:
    """0..3 per row for the answer letter; -1 where it is not one of A..D."""
    index = pc.index_in(_column(table, "answer"), value_set=pa.array(list(LETTERS)))
    return pc.fill_null(index, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def _lookup(keys: np.ndarray, queries: np.ndarray, size: int) -> np.ndarray:
    """How often each of ``queries`` occurs in ``keys`` (0 when absent); all lie in ``[0, size)``."""
    if size <= 4 * len(keys) + 4096:  # dense key space: a histogram is cheapest
        return np.bincount(keys, minlength=size)[queries]
    unique, counts = np.unique(keys, return_counts=True)
    at = np.minimum(np.searchsorted(unique, queries), len(unique) - 1)
    return np.where(unique[at] == queries, counts[at], 0)


def blind_baselines(table: pa.Table) -> dict[str, float]:
    """Accuracy (0..1) of the text-only heuristics; ``{}`` for an empty table."""
    n = table.num_rows
    if not n:
        return {}
    truth = _letter_index(table)
    if (truth < 0).any():
        raise ValueError("answer must be one of the letters A..D")
    # one dictionary for option texts and answer texts, so equal strings get equal codes
    texts = pc.dictionary_encode(pa.concat_arrays([pc.list_flatten(_column(table, "options")),
                                                   _column(table, "answer_text")]))
    codes = texts.indices.to_numpy().astype(np.int64)
    options, answer = codes[:4 * n].reshape(n, 4), codes[4 * n:]
    n_texts = len(texts.dictionary)
    lengths = pc.utf8_length(texts.dictionary).to_numpy().astype(np.int64)[options]
    is_answer = options == answer[:, None]

    template = pc.dictionary_encode(_column(table, "template_id")).indices.to_numpy().astype(np.int64)
    by_template = _lookup(template * n_texts + answer, template[:, None] * n_texts + options,
                          (int(template.max()) + 1) * n_texts)

    correct = np.bincount(answer, minlength=n_texts)[options] - is_answer
    seen = np.bincount(options.ravel(), minlength=n_texts)[options] - 1
    prior = np.where(seen > 0, correct / np.maximum(seen, 1), 0.0)

    scores = {"longest_option": lengths, "shortest_option": -lengths,
              "template_answer_frequency": by_template - is_answer, "option_prior": prior}
    return {name: int((np.argmax(s, axis=1) == truth).sum()) / n for name, s in scores.items()}


def letter_balance(table: pa.Table) -> dict[str, Any]:
    index = _letter_index(table)
    observed = [int(c) for c in np.bincount(index[index >= 0], minlength=4)]
    p_value = 1.0
    if sum(observed):
        expected = sum(observed) / len(observed)
        p_value = float(chdtrc(len(observed) - 1, sum((o - expected) ** 2 / expected for o in observed)))
    return {"counts": dict(zip(LETTERS, observed, strict=True)), "chi2_p": p_value}


def _persons_per_keyframe(table: pa.Table) -> tuple[int, dict[int, int]]:
    """Number of (video, timestamp) keyframes, and how many keyframes have each person count
    (taken from the keyframe's last row)."""
    video = pc.dictionary_encode(_column(table, "video_id")).indices.to_numpy().astype(np.int64)
    stamp = _column(table, "timestamp").to_numpy().astype(np.int64)
    low = int(stamp.min()) if len(stamp) else 0
    key = video * (int(stamp.max(initial=low)) - low + 1) + (stamp - low)
    _, last = np.unique(key[::-1], return_index=True)
    persons = _column(table, "num_persons").to_numpy()[len(key) - 1 - last]
    values, counts = np.unique(persons, return_counts=True)
    return len(last), {int(v): int(c) for v, c in zip(values, counts, strict=True)}


def build_stats(table: pa.Table, subset_ids: Sequence[str], offered: Mapping[str, int] | None = None,
                blind_seed: int = 0, blind_sample: int = 0,
                blind_measured: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the data card and the report show. ``offered``: units per category before any
    rejection (for the acceptance figures); ``blind_sample``: how many questions the core blind
    model sees (0 = not computed); ``blind_measured``: its report, already made on these same
    questions (keyratio.py), instead of fitting it again."""
    n = table.num_rows
    category = _column(table, "category")
    compound_rows = pc.fill_null(_column(table, "is_compound"), False)
    in_subset = pc.fill_null(_column(table, "in_subset"), False)
    by_category = _counts(category)
    compound = _counts(category.filter(compound_rows))
    subset = _counts(category.filter(in_subset))
    tiers = _counts(pc.list_flatten(_column(table, "distractor_tiers")))
    total_tiers = sum(tiers.values()) or 1
    keyframes, persons = _persons_per_keyframe(table)
    templates = _counts(_column(table, "template_id"))
    blind = blind_measured if blind_measured is not None else (
        blind_report(table, blind_seed, blind_sample) if n else None)
    return {
        "questions": n,
        "videos": len(_counts(_column(table, "video_id"))),
        "keyframes": keyframes,
        "by_category": dict(sorted(by_category.items())),
        "compound_by_category": {c: compound.get(c, 0) for c in sorted(by_category)},
        "compound_share": (sum(compound.values()) / n) if n else 0.0,
        "none_family": sum(v for k, v in templates.items() if k.startswith("xo")),  # cross_none.yaml ids
        "none_keyed": int(pc.sum(pc.equal(pc.list_value_length(_column(table, "action_ids")), 0)).as_py()
                          or 0),
        "persons_per_keyframe": persons,
        "letters": letter_balance(table),
        "tier_shares": {t: tiers[t] / total_tiers for t in sorted(tiers)},
        "templates_used": dict(sorted(templates.items())),
        "blind_baselines": blind_baselines(table),
        "blind": blind,
        "acceptance": acceptance(by_category, offered if offered is not None else by_category, blind),
        "chance": 0.25,
        "subset_videos": list(subset_ids),
        "subset_questions": in_subset.true_count,
        "subset_by_category": dict(sorted(subset.items())),
        "full_by_category_share": dict(sorted(shares(by_category).items())),
        "subset_by_category_share": dict(sorted(shares(subset).items())),
    }
