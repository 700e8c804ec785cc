"""TimeWar benchmark questions: four options that are all events of the same video, so none can
be ruled out from the text; only the order seen in the video decides.

Each question exists twice: for the normal clip and for the shuffled clip, with the same question
and options; the shuffled version's answer is re-derived from the shuffled order. Only questions
whose answer *differs* between the two clips are kept, so a model must look at its own clip (this
also enables paired text/video/group scoring). The options always contain both answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.core.rng import UnitRng
from pipelines.timewarp.perturb import GAP
from pipelines.timewarp.temporal_qa import phrase

LETTERS = "ABCD"


@dataclass(frozen=True)
class TimeWarQuestion:
    kind: str
    question: str
    options: tuple[str, ...]  # event descriptions, in A-D order
    normal_answer: str
    shuffled_answer: str


def _target(kind: str, anchor: str | None, sequence: list[str]) -> str | None:
    """The answering event, or None (no neighbour, or the neighbour is a dropped activity)."""
    if kind == "first":
        found = sequence[0]
    elif kind == "last":
        found = sequence[-1]
    else:
        position = sequence.index(anchor) + (1 if kind == "after" else -1)
        found = sequence[position] if 0 <= position < len(sequence) else GAP
    return None if found == GAP else found


QUESTION_TEXT = {
    "first": "Which of these happens first in the video?",
    "last": "Which of these happens last in the video?",
    "after": "Which of these happens right after {anchor}?",
    "before": "Which of these happens right before {anchor}?",
}


def timewar_questions(normal: list[str], shuffled: list[str], rng: UnitRng, count: int,
                      slots: list[int]) -> list[TimeWarQuestion]:
    """Up to ``count`` order-sensitive questions; ``slots[i]`` is the letter index of question i's
    normal answer (the caller's balanced schedule). Sequences may hold gaps (``perturb.GAP``)."""
    events = [e for e in normal if e != GAP]
    candidates: list[tuple[str, str | None]] = [("first", None), ("last", None)]
    candidates += [(kind, event) for event in events for kind in ("after", "before")]
    rng.shuffle(candidates)
    questions: list[TimeWarQuestion] = []
    for kind, anchor in candidates:
        if len(questions) == count:
            break
        right, right_shuffled = _target(kind, anchor, normal), _target(kind, anchor, shuffled)
        if right is None or right_shuffled is None or right == right_shuffled:
            continue
        others = [e for e in events if e not in (anchor, right, right_shuffled)]
        if len(others) < 2:
            continue
        fillers = rng.sample(others, 2)
        rest = [right_shuffled, *fillers]
        rng.shuffle(rest)
        options = list(rest)
        options.insert(slots[len(questions)], right)
        text = QUESTION_TEXT[kind].format(anchor=phrase(anchor) if anchor else "")
        questions.append(TimeWarQuestion(kind, text, tuple(options), right, right_shuffled))
    return questions
