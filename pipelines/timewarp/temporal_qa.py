"""Temporal questions with a chosen answer (true order) and a rejected answer (perturbed order).

Offline back-end: exact by construction. Questions are built from the video's event sequence
(see ``trim``): what happens right after / right before an event, what happens first / last, and
which of two events happens first. The chosen answer is read off the true order, the rejected
answer off the perturbed order with the *same* question. When both answers are equal the question
did not depend on order and the pair is dropped (``order_insensitive``).

Answers name one event in its own words ("The cook dices an onion."), never wrapped in a template
sentence. Sequences may hold gaps (``perturb.GAP``: a dropped activity plays there); a question
whose answer would be a gap, or would skip over one, has no answer (``None``) and is not asked.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.core.rng import UnitRng
from pipelines.timewarp.perturb import GAP

NOTHING_AFTER = "Nothing; that is the last thing shown."
NOTHING_BEFORE = "Nothing; that is the first thing shown."


@dataclass(frozen=True)
class TemporalQuestion:
    kind: str
    question: str
    anchors: tuple[str, ...]  # the events the question names


def phrase(description: str) -> str:
    """An event description quoted for use inside a sentence. Quoting (rather than lower-casing
    the first letter) keeps names and acronyms intact: 'right after "Grayson starts running"'."""
    return '"' + description.strip().rstrip(".").replace('"', "'") + '"'


def _sentence(event: str) -> str | None:
    return None if event == GAP else f"{event.rstrip('.')}."


def answer(question: TemporalQuestion, sequence: list[str]) -> str | None:
    """The answer to ``question`` when events (and gaps) are seen in ``sequence``; None when the
    answer is a gap."""
    if question.kind == "first":
        return _sentence(sequence[0])
    if question.kind == "last":
        return _sentence(sequence[-1])
    if question.kind == "which_first":
        a, b = question.anchors
        return _sentence(a if sequence.index(a) < sequence.index(b) else b)
    position = sequence.index(question.anchors[0])
    step = 1 if question.kind == "after" else -1
    neighbour = position + step
    if not 0 <= neighbour < len(sequence):
        return NOTHING_AFTER if step == 1 else NOTHING_BEFORE
    return _sentence(sequence[neighbour])


def is_nothing(text: str) -> bool:
    return text in (NOTHING_AFTER, NOTHING_BEFORE)


def candidate_questions(sequence: list[str], rng: UnitRng) -> list[TemporalQuestion]:
    """Every question about a video whose true play order is ``sequence``, in a random order
    (the caller takes the first ones it can answer)."""
    sequence = [e for e in sequence if e != GAP]
    pool: list[TemporalQuestion] = [
        TemporalQuestion("first", "What happens first in the video?", ()),
        TemporalQuestion("last", "What happens at the end of the video?", ()),
    ]
    for event in sequence:
        pool.append(TemporalQuestion("after", f"What happens right after {phrase(event)}?", (event,)))
        pool.append(TemporalQuestion("before", f"What happens right before {phrase(event)}?", (event,)))
    for i, a in enumerate(sequence):
        for b in sequence[i + 1:]:
            pair = (a, b) if rng.below(2) else (b, a)
            pool.append(TemporalQuestion(
                "which_first", f"Which happens first: {phrase(pair[0])} or {phrase(pair[1])}?", pair))
    return rng.sample(pool, len(pool))
