"""Question units of a build, column-wise: one per (person at a keyframe, category with actions).

A unit's *answer* is the sorted tuple of the person's action ids in that category (one id:
single-answer question; several: compound). Distinct answers are numbered once per build so
the balancing and the distractor tables can index them with arrays.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from pipelines.finebench.keyframes import PersonTable
from pipelines.finebench.vocabulary import CATEGORIES, Vocabulary


@dataclass(frozen=True)
class UnitTable:
    """Units in canonical order (person row, then category order); arrays of equal length."""

    person: np.ndarray  # row in the PersonTable
    category: np.ndarray  # index in CATEGORIES
    answer: np.ndarray  # index in ``answers``
    answers: list[tuple[int, ...]]  # distinct answers, each a sorted tuple of action ids

    def __len__(self) -> int:
        return len(self.person)

    def counts(self) -> Counter[tuple[str, tuple[int, ...]]]:
        """How many units have each (category, answer)."""
        tally = np.bincount(self.answer, minlength=len(self.answers))
        first = np.zeros(len(self.answers), dtype=np.int64)
        first[self.answer[::-1]] = self.category[::-1]
        return Counter({(CATEGORIES[int(first[i])], ids): int(tally[i])
                        for i, ids in enumerate(self.answers) if tally[i]})


    def counts_by_category(self) -> dict[str, int]:
        """Units per category (what the CSV offers, before any rejection)."""
        tally = np.bincount(self.category, minlength=len(CATEGORIES))
        return {c: int(n) for c, n in zip(CATEGORIES, tally.tolist(), strict=True)}


def category_lookup(vocab: Vocabulary) -> np.ndarray:
    """Category index of every action id (-1 for ids outside the vocabulary)."""
    lookup = np.full(max(vocab.actions) + 1, -1, dtype=np.int64)
    for action in vocab.actions.values():
        lookup[action.id] = CATEGORIES.index(action.category)
    return lookup


def build_units(persons: PersonTable, vocab: Vocabulary) -> UnitTable:
    counts = np.diff(persons.action_offsets)
    owner = np.repeat(np.arange(len(persons), dtype=np.int64), counts)
    action = persons.action_ids
    category = category_lookup(vocab)[action]
    order = np.lexsort((action, category, owner))
    owner, category, action = owner[order], category[order], action[order]
    start = np.ones(len(owner), dtype=bool)
    if len(owner):
        start[1:] = (owner[1:] != owner[:-1]) | (category[1:] != category[:-1])
    heads = np.flatnonzero(start)
    # An answer's identity as a 128-bit set of action ids (two words), OR-ed over its rows.
    low = np.where(action < 64, np.left_shift(np.uint64(1), (action % 64).astype(np.uint64)), 0)
    high = np.where(action >= 64, np.left_shift(np.uint64(1), (action % 64).astype(np.uint64)), 0)
    words = np.stack([np.bitwise_or.reduceat(low.astype(np.uint64), heads) if len(heads) else low,
                      np.bitwise_or.reduceat(high.astype(np.uint64), heads) if len(heads) else high], 1)
    words = words.reshape(-1, 2)
    by_set = np.lexsort((words[:, 1], words[:, 0]))  # distinct sets numbered in (low, high) order
    new_set = np.ones(len(by_set), dtype=bool)
    new_set[1:] = np.any(words[by_set[1:]] != words[by_set[:-1]], axis=1)
    code = np.empty(len(by_set), dtype=np.int64)
    code[by_set] = np.cumsum(new_set) - 1
    distinct = words[by_set[new_set]].tolist()
    answers = [tuple(a for a in range(128) if w[a // 64] >> (a % 64) & 1) for w in distinct]
    return UnitTable(owner[heads], category[heads], code, answers)
