"""The per-unit pass of a revos build: one pure function over three kinds of unit.

- a referring video (:class:`VideoUnit` or :class:`VideoReject` from the mask readers) -> referring
  segmentation for every kept expression, Pix*QA for every expression with masks;
- a FineVideo file (:class:`VideoMeta` / :class:`MetaReject`) -> temporal grounding;
- an AVA video (:class:`AvaVideo`) -> tracking and spatial grounding.
Each returns a :class:`UnitOutput` with rows per config and its own ledger counts; randomness is
``UnitRng(seed, "<record key>/<purpose>")``, so results do not depend on order or worker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pipelines.core.ava import AvaRow
from pipelines.core.finevideo import MetaReject, VideoMeta
from pipelines.core.rng import UnitRng
from pipelines.revos.bench import when_question
from pipelines.revos.config import RevosParams
from pipelines.revos.model import VideoReject, VideoUnit
from pipelines.revos.pix import Descriptions, offline_descriptions, pixhqa, pixrqa, pixtrqa
from pipelines.revos.tpo import referring_segmentation, spatial_grounding, temporal_grounding, tracking

CONFIGS = ("pixtrqa", "pixhqa", "pixrqa", "when_mcq", "temporal_grounding", "tracking", "spatial_grounding",
           "referring_segmentation")
STAGES = ("videos", "expressions", "pixtrqa", "when_mcq", "pixhqa_point", "pixhqa_period", "pixrqa",
          "finevideo_files", "temporal_grounding", "ava_rows", "tracking", "spatial_grounding")
Row = dict[str, Any]
PIX_TASKS = (("pixtrqa", "pixtrqa", pixtrqa), ("pixhqa_point", "pixhqa", partial(pixhqa, variant="point")),
             ("pixhqa_period", "pixhqa", partial(pixhqa, variant="period")), ("pixrqa", "pixrqa", pixrqa))


@dataclass(frozen=True)
class AvaVideo:
    video_id: str
    rows: tuple[AvaRow, ...]


@dataclass(frozen=True)
class RevosContext:
    params: RevosParams
    descriptions: Mapping[str, Descriptions] = field(default_factory=dict)  # expression key -> LLM text


@dataclass
class UnitOutput:
    key: str
    records: dict[str, list[Row]] = field(default_factory=lambda: {c: [] for c in CONFIGS})
    inputs: dict[str, int] = field(default_factory=dict)
    accepted: dict[str, int] = field(default_factory=dict)
    rejects: list[tuple[str, str, str, str]] = field(default_factory=list)  # stage, unit, reason, detail

    def count(self, stage: str, accepted: bool) -> None:
        self.inputs[stage] = self.inputs.get(stage, 0) + 1
        self.accepted[stage] = self.accepted.get(stage, 0) + int(accepted)

    def reject(self, stage: str, unit: str, reason: str, detail: str) -> None:
        self.count(stage, False)
        self.rejects.append((stage, unit, reason, detail))

    def take(self, stage: str, config: str, rows: list[Row], rejects: list[tuple[str, str, str]]) -> None:
        for _ in rows:
            self.count(stage, True)
        self.records[config].extend(rows)
        for unit, reason, detail in rejects:
            self.reject(stage, unit, reason, detail)


def unit_key(item: Any) -> str:
    if isinstance(item, VideoUnit | VideoReject):
        return f"masks/{item.key}"
    if isinstance(item, VideoMeta | MetaReject):
        return f"finevideo/{item.source}"
    return f"ava/{item.video_id}"


def process_unit(context: RevosContext, item: Any) -> UnitOutput:
    out = UnitOutput(unit_key(item))
    if isinstance(item, VideoReject):
        out.reject("videos", item.key, item.reason, item.detail)
        for exp_id in item.expression_ids:
            out.reject("expressions", f"{item.key}/{exp_id}", item.reason, "video rejected: " + item.detail)
    elif isinstance(item, VideoUnit):
        _referring_video(context, item, out)
    elif isinstance(item, MetaReject):
        out.reject("finevideo_files", item.source, item.reason, item.detail)
    elif isinstance(item, VideoMeta):
        out.count("finevideo_files", True)
        out.take("temporal_grounding", "temporal_grounding", *temporal_grounding(item, context.params))
    else:
        out.take("tracking", "tracking", *tracking(item.video_id, item.rows, context.params))
        out.take("spatial_grounding", "spatial_grounding",
                 *spatial_grounding(item.video_id, item.rows, context.params))
    return out


def _referring_video(context: RevosContext, video: VideoUnit, out: UnitOutput) -> None:
    params, tokens = context.params, context.params.tokens
    out.count("videos", True)
    for unit, reason, detail in video.rejects:
        out.reject("expressions", unit, reason, detail)
    for expression in video.expressions:
        key = video.expression_key(expression.exp_id)
        out.count("expressions", True)
        out.records["referring_segmentation"].append(referring_segmentation(video, expression, params))
        if not expression.has_masks:
            continue
        descriptions = context.descriptions.get(key) or offline_descriptions(expression)
        for stage, config, make in PIX_TASKS:
            result = make(video, expression, descriptions, tokens, UnitRng(params.seed, f"{key}/{stage}"))
            if isinstance(result, tuple):
                out.reject(stage, key, *result)
                continue
            out.count(stage, True)
            out.records[config].append(result)
            if stage == "pixtrqa":
                _when(params, video, key, result, out)


def _when(params: RevosParams, video: VideoUnit, key: str, pix: Row, out: UnitOutput) -> None:
    question = when_question(pix, video.times, UnitRng(params.seed, f"{key}/when_mcq"))
    if isinstance(question, tuple):
        out.reject("when_mcq", key, *question)
    else:
        out.count("when_mcq", True)
        out.records["when_mcq"].append(question)
