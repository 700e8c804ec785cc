"""``when_mcq``: the QA benchmark part of revos, a 4-way "when is it visible?" question per PixTRQA span.

Options are spans of the SAME number of frames as the true run (so length gives nothing away),
taken at other positions of the video; a distractor overlaps the truth by temporal IoU at most
``MAX_IOU`` and no two options read the same. The three distractors and the answer's position
are drawn with the record's UnitRng. Fewer than three distractors: ``no_distractors``.
"""

from __future__ import annotations

from typing import Any

from pipelines.core.rng import UnitRng
from pipelines.revos.convention import seconds

LETTERS = "ABCD"
MAX_IOU = 0.34


def span_text(start: float, end: float) -> str:
    return f"from {seconds(start)} to {seconds(end)}"


def iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else float(a == b)


def when_question(pix: dict[str, Any], times: tuple[float, ...], rng: UnitRng
                  ) -> dict[str, Any] | tuple[str, str]:
    truth = (pix["start"], pix["end"])
    first, last = times.index(truth[0]), times.index(truth[1])
    width = last - first
    answer_text = span_text(*truth)
    seen = {answer_text}
    candidates = []
    for i in range(len(times) - width):
        span = (times[i], times[i + width])
        text = span_text(*span)
        if text not in seen and iou(span, truth) <= MAX_IOU:
            seen.add(text)
            candidates.append(text)
    if len(candidates) < 3:
        return "no_distractors", f"{len(candidates)} spans of {width + 1} frames overlap the truth little"
    options = [answer_text, *rng.sample(candidates, 3)]
    rng.shuffle(options)
    return {"id": pix["id"].removesuffix("/pixtrqa") + "/when", "dataset": pix["dataset"],
            "video_id": pix["video_id"], "video": pix["video"], "frames": pix["frames"],
            "expression": pix["expression"],
            "question": f'When is "{pix["expression"]}" visible in the video?', "options": options,
            "answer": LETTERS[options.index(answer_text)], "answer_text": answer_text,
            "start": truth[0], "end": truth[1]}
