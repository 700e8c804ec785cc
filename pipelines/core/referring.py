"""Spatial referring phrases: name one person among those annotated at a keyframe.

Rule (finebench.md, rule 4): persons are ordered left to right by box centre x.
1 person -> "the person"; 2 -> "the person on the left" / "the person on the right";
n >= 3 -> "the leftmost person", "the second person from the left", ..., "the rightmost person",
and "the person in the center" for the middle of an odd count.
A phrase must point at exactly one person: if the target's centre is closer than
``min_center_gap`` (fraction of the frame width) to a neighbour's, the order is not reliable by
eye and the unit is rejected (``ambiguous_reference``) rather than guessed. Likewise when the
target's box and a neighbour's overlap horizontally by more than ``max_overlap`` of the narrower
box (one nests in the other, or they mostly cover the same columns): left and right are then a
matter of millimetres, whatever the centres say.
:func:`resolve_phrase` inverts the rule; tests use it to check every stored phrase.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

Box = tuple[float, float, float, float]


class PersonColumns(Protocol):
    timestamp: np.ndarray
    box: np.ndarray

ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
            "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
            "seventeenth", "eighteenth", "nineteenth", "twentieth")
DEFAULT_MIN_CENTER_GAP = 0.03
DEFAULT_MAX_OVERLAP = 0.8


def horizontal_overlap(a: Box, b: Box) -> float:
    """Shared width of two boxes over the narrower width (1.0 when one nests in the other)."""
    shared = min(a[2], b[2]) - max(a[0], b[0])
    narrower = min(a[2] - a[0], b[2] - b[0])
    return max(shared, 0.0) / narrower if narrower > 0 else 1.0


def center_x(box: Box) -> float:
    return (box[0] + box[2]) / 2.0


def phrase_for_rank(rank: int, count: int) -> str:
    """Phrase for the person at 1-based ``rank`` from the left among ``count`` persons."""
    if not 1 <= rank <= count:
        raise ValueError(f"rank {rank} outside 1..{count}")
    if count == 1:
        return "the person"
    if count == 2:
        return "the person on the left" if rank == 1 else "the person on the right"
    if rank == 1:
        return "the leftmost person"
    if rank == count:
        return "the rightmost person"
    if count % 2 == 1 and rank == (count + 1) // 2:
        return "the person in the center"
    return f"the {ORDINALS[rank - 1]} person from the left"


def resolve_phrase(phrase: str, count: int) -> int:
    """The 1-based rank from the left that ``phrase`` designates among ``count`` persons."""
    for rank in range(1, count + 1):
        if phrase_for_rank(rank, count) == phrase:
            return rank
    raise ValueError(f"phrase {phrase!r} designates nobody among {count} persons")


def rank_people(boxes: Sequence[Box], min_center_gap: float = DEFAULT_MIN_CENTER_GAP,
                max_overlap: float = DEFAULT_MAX_OVERLAP) -> list[tuple[int, bool]]:
    """For each box (input order): its 1-based rank from the left and whether it is unambiguous
    (no neighbour's centre within ``min_center_gap``, no box overlapping it horizontally by more
    than ``max_overlap``)."""
    centers = [center_x(b) for b in boxes]
    order = sorted(range(len(boxes)), key=lambda i: (centers[i], i))
    result: list[tuple[int, bool]] = [(0, False)] * len(boxes)
    for position, index in enumerate(order):
        clear = True
        if position > 0 and centers[index] - centers[order[position - 1]] < min_center_gap:
            clear = False
        if position + 1 < len(order) and centers[order[position + 1]] - centers[index] < min_center_gap:
            clear = False
        if any(horizontal_overlap(boxes[index], boxes[other]) > max_overlap
               for other in range(len(boxes)) if other != index):
            clear = False
        result[index] = (position + 1, clear)
    return result


def rank_people_columns(persons: PersonColumns, min_center_gap: float = DEFAULT_MIN_CENTER_GAP,
                        max_overlap: float = DEFAULT_MAX_OVERLAP
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`rank_people` for every keyframe of a person table at once.

    ``persons`` has rows sorted by (timestamp, person id); returns per row its rank from the left,
    whether it is unambiguous, and the number of persons at its keyframe.
    """
    stamps = persons.timestamp
    n = len(stamps)
    first = np.ones(n, dtype=bool)
    first[1:] = stamps[1:] != stamps[:-1]
    frame = np.cumsum(first) - 1
    starts = np.flatnonzero(first)
    counts = np.diff(np.append(starts, n))[frame]
    centers = (persons.box[:, 0] + persons.box[:, 2]) / 2.0
    order = np.lexsort((np.arange(n), centers, frame))
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = np.arange(n) - starts[frame[order]] + 1
    ordered, same = centers[order], frame[order][1:] == frame[order][:-1]
    close = same & (ordered[1:] - ordered[:-1] < min_center_gap)
    unclear = np.zeros(n, dtype=bool)
    unclear[1:] |= close
    unclear[:-1] |= close
    clear = np.empty(n, dtype=bool)
    clear[order] = ~unclear
    clear &= ~overlapping_columns(persons, max_overlap)
    return ranks, clear, counts


def overlapping_columns(persons: PersonColumns, max_overlap: float = DEFAULT_MAX_OVERLAP) -> np.ndarray:
    """Per row: whether another person at its keyframe overlaps it horizontally by more than
    ``max_overlap`` (:func:`horizontal_overlap`). Rows sorted by timestamp; pairs are compared
    ``k`` rows apart for every ``k`` below the largest keyframe's size (array work per ``k``)."""
    stamps, box = persons.timestamp, persons.box
    n = len(stamps)
    found = np.zeros(n, dtype=bool)
    if n < 2:
        return found
    starts = np.flatnonzero(np.r_[True, stamps[1:] != stamps[:-1]])
    largest = int(np.diff(np.append(starts, n)).max())
    width = box[:, 2] - box[:, 0]
    for k in range(1, largest):
        left, right = np.arange(n - k), np.arange(k, n)
        same = stamps[left] == stamps[right]
        shared = np.minimum(box[left, 2], box[right, 2]) - np.maximum(box[left, 0], box[right, 0])
        narrower = np.minimum(width[left], width[right])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(narrower > 0, np.maximum(shared, 0.0) / narrower, 1.0)
        hit = same & (ratio > max_overlap)
        found[left[hit]] = True
        found[right[hit]] = True
    return found
