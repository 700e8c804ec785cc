"""Temporal questions with a chosen answer (true order) and a rejected answer (perturbed order).

Offline back-end: exact by construction. Questions are built from the video's event sequence
(see ``trim``): what happens right after / right before an event, what happens first / last, and
which of two events happens first. The chosen answer is read off the true order, the rejected
answer off the perturbed order with the *same* question. When both answers are equal the question
did not depend on order and the pair is dropped (``order_insensitive``).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.core.rng import UnitRng


@dataclass(frozen=True)
class TemporalQuestion:
    kind: str
    question: str
    anchors: tuple[str, ...]  # the events the question names


def phrase(description: str) -> str:
    """An event description quoted for use inside a sentence. Quoting (rather than lower-casing
    the first letter) keeps names and acronyms intact: 'right after "Grayson starts running"'."""
    return '"' + description.strip().rstrip(".").replace('"', "'") + '"'


def answer(question: TemporalQuestion, sequence: list[str]) -> str:
    """The answer to ``question`` when events are seen in ``sequence``."""
    if question.kind == "first":
        return f"{sequence[0].rstrip('.')}."
    if question.kind == "last":
        return f"{sequence[-1].rstrip('.')}."
    if question.kind == "which_first":
        a, b = question.anchors
        first = a if sequence.index(a) < sequence.index(b) else b
        return f"{first.rstrip('.')} happens first."
    position = sequence.index(question.anchors[0])
    step = 1 if question.kind == "after" else -1
    neighbour = position + step
    if not 0 <= neighbour < len(sequence):
        return ("Nothing; that is the last thing shown." if step == 1
                else "Nothing; that is the first thing shown.")
    return f"{sequence[neighbour].rstrip('.')}."


def candidate_questions(sequence: list[str], rng: UnitRng, count: int) -> list[TemporalQuestion]:
    """``count`` distinct questions about a video whose true event order is ``sequence``."""
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
    return rng.sample(pool, min(count, len(pool)))
