"""The per-unit pass of a revos build: one pure function over three kinds of unit.

- a referring video (:class:`VideoUnit` or :class:`VideoReject` from the mask readers) -> referring
  segmentation for every kept expression, Pix*QA (and when_mcq) for every expression with masks;
- a FineVideo file (:class:`VideoMeta` / :class:`MetaReject`) -> temporal grounding;
- an AVA video (:class:`AvaVideo`) -> tracking and spatial grounding.
Each returns a :class:`UnitResult`: its :class:`Tally` and, as payload, its rows per config.
Randomness is ``UnitRng(seed, "<record key>/<purpose>")``, so results do not depend on order or
worker. Stage inputs: ``pixtrqa``/``pixhqa_*``/``pixrqa`` take every kept expression with masks,
``when_mcq`` every emitted PixTRQA row.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from pipelines.core.ava import AvaRow
from pipelines.core.finevideo import MetaReject, VideoMeta
from pipelines.core.recipe import UnitResult
from pipelines.core.rng import UnitRng
from pipelines.core.tally import Tally
from pipelines.revos.bench import when_question
from pipelines.revos.config import RevosParams
from pipelines.revos.model import VideoReject, VideoUnit
from pipelines.revos.pix import pixhqa, pixrqa, pixtrqa
from pipelines.revos.tpo import referring_segmentation, spatial_grounding, temporal_grounding, tracking

CONFIGS = ("pixtrqa", "pixhqa", "pixrqa", "when_mcq", "temporal_grounding", "tracking",
           "spatial_grounding", "referring_segmentation")
STAGES = ("videos", "expressions", "pixtrqa", "when_mcq", "pixhqa_point", "pixhqa_period", "pixrqa",
          "finevideo_files", "temporal_grounding", "ava_rows", "tracking", "spatial_grounding")
Row = dict[str, Any]
Records = dict[str, list[Row]]
PIX_TASKS = (("pixtrqa", "pixtrqa", pixtrqa), ("pixhqa_point", "pixhqa", partial(pixhqa, variant="point")),
             ("pixhqa_period", "pixhqa", partial(pixhqa, variant="period")), ("pixrqa", "pixrqa", pixrqa))


@dataclass(frozen=True)
class AvaVideo:
    video_id: str
    rows: tuple[AvaRow, ...]


def unit_key(item: Any) -> str:
    if isinstance(item, VideoUnit | VideoReject):
        return f"masks/{item.key}"
    if isinstance(item, VideoMeta | MetaReject):
        return f"finevideo/{item.source}"
    return f"ava/{item.video_id}"


def _reject(tally: Tally, stage: str, unit: str, reason: str, detail: str) -> None:
    tally.count(stage, 1, 0)
    tally.reject(stage, unit, reason, detail)


def _take(tally: Tally, records: Records, stage: str, config: str,
          result: tuple[list[Row], list[tuple[str, str, str]]]) -> None:
    rows, rejects = result
    tally.count(stage, len(rows) + len(rejects), len(rows))
    tally.reject_many(stage, rejects)
    records[config].extend(rows)


def process_unit(params: RevosParams, item: Any) -> UnitResult:
    tally = Tally()
    records: Records = {c: [] for c in CONFIGS}
    if isinstance(item, VideoReject):
        _reject(tally, "videos", item.key, item.reason, item.detail)
        for exp_id in item.expression_ids:
            _reject(tally, "expressions", f"{item.key}/{exp_id}", item.reason,
                    "video rejected: " + item.detail)
    elif isinstance(item, VideoUnit):
        _referring_video(params, item, tally, records)
    elif isinstance(item, MetaReject):
        _reject(tally, "finevideo_files", item.source, item.reason, item.detail)
    elif isinstance(item, VideoMeta):
        tally.count("finevideo_files", 1, 1)
        _take(tally, records, "temporal_grounding", "temporal_grounding", temporal_grounding(item, params))
    else:
        _take(tally, records, "tracking", "tracking", tracking(item.video_id, item.rows, params))
        _take(tally, records, "spatial_grounding", "spatial_grounding",
              spatial_grounding(item.video_id, item.rows, params))
    return UnitResult(unit_key(item), tally, payload=records)


def _referring_video(params: RevosParams, video: VideoUnit, tally: Tally, records: Records) -> None:
    tally.count("videos", 1, 1)
    for unit, reason, detail in video.rejects:
        _reject(tally, "expressions", unit, reason, detail)
    for expression in video.expressions:
        key = video.expression_key(expression.exp_id)
        tally.count("expressions", 1, 1)
        records["referring_segmentation"].append(referring_segmentation(video, expression, params))
        if not expression.has_masks:
            continue
        for stage, config, make in PIX_TASKS:
            result = make(video, expression, params.tokens, UnitRng(params.seed, f"{key}/{stage}"))
            if isinstance(result, tuple):
                _reject(tally, stage, key, *result)
                continue
            tally.count(stage, 1, 1)
            records[config].append(result)
            if stage == "pixtrqa":
                question = when_question(result, video.times, UnitRng(params.seed, f"{key}/when_mcq"))
                if isinstance(question, tuple):
                    _reject(tally, "when_mcq", key, *question)
                else:
                    tally.count("when_mcq", 1, 1)
                    records["when_mcq"].append(question)
