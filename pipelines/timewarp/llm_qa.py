"""LLM back-end of temporal QA (``--llm openai``): the published approach with a validated,
structured exchange in two batches.

1. *generate*: the model sees the events in their true order and writes ``qa_per_video``
   questions with answers (``QASet``): the answers are the *chosen* side.
2. *answer*: the model sees the same events in the perturbed order and answers the same
   questions (``AnswerSet``): the answers are the *rejected* side.
Pairs whose answers agree are dropped (``order_insensitive``) by the shared ``units.add_pair``.
A failed request is never dropped silently: its questions are rejected with ``llm_<cause>`` and
the request is in ``llm_failed.jsonl``. Prompts live in ``templates/timewarp/llm_qa.yaml``.
"""

from __future__ import annotations

from functools import lru_cache

import yaml
from pydantic import BaseModel, Field

from pipelines.core.llm import ChatRequest, ChatResult, LLMClient
from pipelines.core.paths import TEMPLATES_DIR
from pipelines.timewarp.config import TimewarpParams
from pipelines.timewarp.perturb import event_sequence
from pipelines.timewarp.units import VideoOutput, add_pair


class QAItem(BaseModel):
    question: str = Field(min_length=5)
    answer: str = Field(min_length=1)


class QASet(BaseModel):
    items: list[QAItem] = Field(min_length=1)


class AnswerSet(BaseModel):
    answers: list[str] = Field(min_length=1)


@lru_cache(maxsize=1)
def prompts() -> dict[str, str]:
    return yaml.safe_load((TEMPLATES_DIR / "timewarp" / "llm_qa.yaml").read_text())


def _numbered(lines: list[str]) -> str:
    return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, start=1))


def generate_request(output: VideoOutput, count: int) -> ChatRequest:
    assert output.trimmed is not None
    text = prompts()["generate"].format(events=_numbered(event_sequence(output.trimmed,
                                                                        output.orders["normal"])),
                                        count=count)
    return ChatRequest(key=f"{output.video_id}/qa-generate", response_model=QASet,
                       messages=[{"role": "system", "content": prompts()["system"]},
                                 {"role": "user", "content": text}])


def answer_request(output: VideoOutput, questions: list[str]) -> ChatRequest:
    assert output.trimmed is not None
    order = output.orders[output.perturbation]
    text = prompts()["answer"].format(events=_numbered(event_sequence(output.trimmed, order)),
                                      questions=_numbered(questions))
    return ChatRequest(key=f"{output.video_id}/qa-answer", response_model=AnswerSet,
                       messages=[{"role": "system", "content": prompts()["system"]},
                                 {"role": "user", "content": text}])


def _fail(output: VideoOutput, count: int, result: ChatResult, first: int = 0) -> None:
    for number in range(first, first + count):
        output.rejects.append(("qa_pairs", f"{output.video_id}-qa{number}", f"llm_{result.cause}",
                               (result.error or "")[:200]))
    output.count("qa_pairs", count, 0)


def run_llm_qa(outputs: list[VideoOutput], params: TimewarpParams, client: LLMClient) -> None:
    """Fill the QA records of every kept video in ``outputs`` (in place)."""
    kept = []
    for output in outputs:
        if output.trimmed is None:
            continue
        if len(output.trimmed.events) < 2:
            output.count("qa_pairs", 1, 0)
            output.rejects.append(("qa_pairs", f"{output.video_id}-qa0", "too_few_events",
                                   f"{len(output.trimmed.events)} events"))
            continue
        kept.append(output)
    generated = client.run_batch([generate_request(o, params.qa_per_video) for o in kept],
                                 desc="timewarp: LLM questions")
    asked: list[tuple[VideoOutput, list[QAItem]]] = []
    for output, result in zip(kept, generated, strict=True):
        if not result.ok:
            _fail(output, params.qa_per_video, result)
            continue
        assert isinstance(result.parsed, QASet)
        asked.append((output, result.parsed.items[:params.qa_per_video]))
    answered = client.run_batch([answer_request(o, [i.question for i in items]) for o, items in asked],
                                desc="timewarp: LLM perturbed answers")
    for (output, items), result in zip(asked, answered, strict=True):
        if not result.ok:
            _fail(output, len(items), result)
            continue
        assert isinstance(result.parsed, AnswerSet)
        answers = result.parsed.answers
        accepted = 0
        for number, item in enumerate(items):
            if number >= len(answers):
                output.rejects.append(("qa_pairs", f"{output.video_id}-qa{number}",
                                       "llm_missing_answer", f"{len(answers)} answers"))
                continue
            accepted += add_pair(output, number, item.question, "llm", item.answer, answers[number])
        output.count("qa_pairs", len(items), accepted)
