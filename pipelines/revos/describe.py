"""Object descriptions through the shared LLM client (``--llm openai``; offline needs none of this).

One structured request per expression with masks: the frames where an object is visible (at most
``describe_frames``, evenly spread, when the source's frames were given) and each object's boxes
per frame (from its masks). The answer (:class:`ObjectTexts`) must give one short description per
object; an answer of the wrong shape or a failed request falls back to the expression text for
that expression (counted in the report, and failures are in ``llm_failed.jsonl``). Answers are
cached by the client, so a re-run sends nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from pipelines.core.llm import ChatRequest, LLMClient, LLMConfig, system_message, user_message
from pipelines.core.masks import box
from pipelines.revos.config import RevosParams
from pipelines.revos.convention import box_text, seconds
from pipelines.revos.model import Expression, VideoUnit
from pipelines.revos.pix import Descriptions
from pipelines.revos.templates import pool


class ObjectTexts(BaseModel):
    short: list[str] = Field(min_length=1, description="one ~10-word description per object, in order")
    long: str = Field(min_length=1, description="all objects, their actions and relations over time")


def _visible_frames(expression: Expression, limit: int) -> list[int]:
    frames = [f for f, shown in enumerate(zip(*expression.presence, strict=True)) if any(shown)]
    step = max(1, len(frames) // limit)
    return frames[::step][:limit]


def request(video: VideoUnit, expression: Expression, params: RevosParams) -> ChatRequest:
    frames = _visible_frames(expression, params.describe_frames)
    lines = []
    for i, masks in enumerate(expression.masks):
        boxes = [f"{seconds(video.times[f])} {box_text(b)}" for f in frames
                 if masks[f] is not None and (b := box(masks[f])) is not None]
        lines.append(f"object_{i + 1}: " + ("; ".join(boxes) or "not visible on these frames"))
    texts = pool("describe")
    images = [Path(video.frame_dir) / f"{video.frames[f]}.jpg" for f in frames] if video.frame_dir else []
    prompt = texts["user"].format(objects="\n".join(lines), expression=expression.text)
    return ChatRequest(key=video.expression_key(expression.exp_id), response_model=ObjectTexts,
                       messages=[system_message(texts["system"]), user_message(prompt, images)])


def describe_all(units: Sequence[Any], params: RevosParams, llm: LLMConfig, build_dir: Path
                 ) -> tuple[dict[str, Descriptions], dict[str, Any]]:
    """Descriptions by expression key, and the LLM section of the manifest."""
    wanted = [(u, e) for u in units if isinstance(u, VideoUnit) for e in u.expressions if e.has_masks]
    config = llm.model_copy(update={"failed_path": build_dir / "llm_failed.jsonl"})
    out: dict[str, Descriptions] = {}
    wrong_shape = 0
    with LLMClient(config) as client:
        results = client.run_batch([request(u, e, params) for u, e in wanted], desc="revos: descriptions")
        for (video, expression), result in zip(wanted, results, strict=True):
            parsed = result.parsed if result.ok else None
            if not isinstance(parsed, ObjectTexts):
                continue
            if len(parsed.short) != len(expression.masks):
                wrong_shape += 1
                continue
            out[video.expression_key(expression.exp_id)] = Descriptions(
                tuple(" ".join(s.split()) for s in parsed.short), " ".join(parsed.long.split()),
                f"llm:{config.model}")
        report = {"backend": params.llm, "config": config.for_manifest(), "stats": client.stats.to_dict(),
                  "requests": len(wanted), "described": len(out), "wrong_shape": wrong_shape,
                  "fell_back_to_expression_text": len(wanted) - len(out)}
    return out, report
