"""Pixel + temporal referring QA (UFVideo-style PixTRQA / PixHQA / PixRQA) from one expression.

Pure functions of (video, expression, tokens, rng) that pick frames and masks; the text fields are
written by :func:`render` from a row's structure and the object descriptions (offline: the
expression text; the LLM post-pass re-renders with its descriptions). An expression's *objects* are
its referred objects (``object_1``, ``object_2``, ... in obj_id order); a frame is *common* when
every object has a non-empty mask there. Presence comes from :class:`MaskPresence` tracks.

- PixTRQA: the union of the objects' presence must be ONE contiguous run of frames, otherwise
  ``dispersed_presence``. Span = first..last frame of that run (seconds and time tokens). Region
  prompt = each object's mask on its first present frame; [SEG] = its masks over the span.
- PixHQA point: one common frame drawn with the unit's rng; [SEG] = the masks on that frame.
  PixHQA period: two distinct common frames drawn; [SEG] = non-empty masks within the period.
- PixRQA: prompt = masks on the first common frame; labels = non-empty masks on later frames
  (``no_later_frames`` when there are none).
A video of one frame has no time axis: ``single_frame``. No common frame: ``no_common_frame``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipelines.core.rng import UnitRng
from pipelines.revos.convention import Tokens, seconds, time_bin
from pipelines.revos.model import Expression, VideoUnit
from pipelines.revos.templates import pool

Row = dict[str, Any]


@dataclass(frozen=True)
class Descriptions:
    short: tuple[str, ...]  # one per object
    long: str
    source: str  # "expression_text" (offline default) or "llm:<model>"


def offline_descriptions(expression: Expression) -> Descriptions:
    """The expression text stands in for every description (labelled in the card)."""
    count = max(1, len(expression.masks))
    return Descriptions((expression.text,) * count, expression.text, "expression_text")


class MaskList:
    """The ``masks`` column of one record, filled as tokens reference masks."""

    def __init__(self, video: VideoUnit) -> None:
        self.video = video
        self.entries: list[Row] = []
        self._index: dict[tuple[int, int], int] = {}

    def add(self, obj: int, frame: int, expression: Expression) -> int:
        """Index of object ``obj``'s mask on ``frame`` (added once, however often referenced)."""
        if (obj, frame) in self._index:
            return self._index[(obj, frame)]
        rle = expression.masks[obj][frame]
        assert rle is not None
        self.entries.append({"object": expression.object_ids[obj], "frame": self.video.frames[frame],
                             "time": self.video.times[frame], "height": rle["size"][0],
                             "width": rle["size"][1], "counts": rle["counts"]})
        self._index[(obj, frame)] = len(self.entries) - 1
        return len(self.entries) - 1


def presence(video: VideoUnit, expression: Expression) -> list[tuple[bool, ...]]:
    """Per object, per frame of ``video``: a non-empty mask (see ``Expression.presence``)."""
    return list(expression.presence)


def _objects(descriptions: Descriptions, tokens: Tokens, count: int) -> str:
    return ", ".join(f"object_{i + 1} {tokens.region} ({descriptions.short[i]})" for i in range(count))


def _objects_seg(tokens: Tokens, count: int) -> str:
    return " and ".join(f"object_{i + 1} {tokens.seg}" for i in range(count))


def _timed(seconds_value: float, token: int, tokens: Tokens) -> str:
    return f"{seconds(seconds_value)} ({tokens.time_format.format(token)})"


def render(row: Row, descriptions: Descriptions, tokens: Tokens) -> Row:
    """``row`` with its text fields (question, answer, descriptions) written from its structure
    (template, objects, start/end and their time tokens) and ``descriptions``."""
    family, index = row["template_id"].split("/")
    count = len(row["objects"])
    start = _timed(row["start"], row["time_tokens"][0], tokens)
    end = _timed(row["end"], row["time_tokens"][1], tokens)
    texts = pool("pix_qa")
    question = texts[family][int(index)].format(objects=_objects(descriptions, tokens, count),
                                                time=start, start=start, end=end)
    answer = texts["answers"][row["task"]].format(objects_seg=_objects_seg(tokens, count),
                                                  be="is" if count == 1 else "are", start=start, end=end,
                                                  long=descriptions.long)
    return {**row, "question": question, "answer": answer, "short_descriptions": list(descriptions.short),
            "long_description": descriptions.long, "description_source": descriptions.source}


def _row(video: VideoUnit, expression: Expression, task: str, variant: str, family: str, rng: UnitRng,
         frames: tuple[int, int], masks: MaskList, regions: list[int], segs: list[list[int]],
         tokens: Tokens) -> Row:
    """A Pix*QA row (text rendered with the offline descriptions; ``render`` rewrites it)."""
    t0, t1 = video.times[0], video.times[-1]
    start, end = video.times[frames[0]], video.times[frames[1]]
    suffix = task if task != "pixhqa" else f"pixhqa_{variant}"
    row = {"id": f"{video.expression_key(expression.exp_id)}/{suffix}", "task": task,
           "dataset": video.dataset, "video_id": video.video_id, "video": f"JPEGImages/{video.video_id}",
           "frames": list(video.frames), "expression_id": expression.exp_id, "expression": expression.text,
           "objects": list(expression.object_ids), "variant": variant,
           "template_id": f"{family}/{rng.below(len(pool('pix_qa')[family]))}", "start": start, "end": end,
           "time_tokens": [time_bin(t, t0, t1, tokens.time_bins) for t in (start, end)],
           "masks": masks.entries, "region_masks": regions, "seg_masks": segs}
    return render(row, offline_descriptions(expression), tokens)


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for i, flag in enumerate(flags):
        if flag and (not runs or runs[-1][1] != i - 1):
            runs.append((i, i))
        elif flag:
            runs[-1] = (runs[-1][0], i)
    return runs


def _common(seen: list[tuple[bool, ...]]) -> list[int]:
    return [f for f, frame in enumerate(zip(*seen, strict=True)) if all(frame)]


def pixtrqa(video: VideoUnit, expression: Expression, tokens: Tokens, rng: UnitRng) -> Row | tuple[str, str]:
    if len(video.frames) < 2:
        return "single_frame", "one frame: no time axis"
    seen = presence(video, expression)
    runs = _runs([any(frame) for frame in zip(*seen, strict=True)])
    if len(runs) != 1:
        return "dispersed_presence", f"{len(runs)} separate runs of frames"
    first, last = runs[0]
    masks = MaskList(video)
    regions = [masks.add(i, seen[i].index(True), expression) for i in range(len(seen))]
    segs = [[masks.add(i, f, expression) for f in range(first, last + 1) if seen[i][f]]
            for i in range(len(seen))]
    return _row(video, expression, "pixtrqa", "span", "pixtrqa", rng, (first, last), masks, regions, segs,
                tokens)


def pixhqa(video: VideoUnit, expression: Expression, tokens: Tokens, rng: UnitRng,
           variant: str) -> Row | tuple[str, str]:
    """``variant`` "point" (one common frame) or "period" (two common frames as bounds)."""
    if len(video.frames) < 2:
        return "single_frame", "one frame: no time axis"
    seen = presence(video, expression)
    common = _common(seen)
    if len(common) < (1 if variant == "point" else 2):
        return "no_common_frame", f"{len(common)} frames show every object"
    lo, hi = (common[rng.below(len(common))],) * 2 if variant == "point" else sorted(rng.sample(common, 2))
    masks = MaskList(video)
    regions = [masks.add(i, lo, expression) for i in range(len(seen))]
    segs = [[masks.add(i, f, expression) for f in range(lo, hi + 1) if seen[i][f]]
            for i in range(len(seen))]
    return _row(video, expression, "pixhqa", variant, f"pixhqa_{variant}", rng, (lo, hi), masks, regions,
                segs, tokens)


def pixrqa(video: VideoUnit, expression: Expression, tokens: Tokens, rng: UnitRng) -> Row | tuple[str, str]:
    if len(video.frames) < 2:
        return "single_frame", "one frame: no time axis"
    seen = presence(video, expression)
    common = _common(seen)
    if not common:
        return "no_common_frame", "no frame shows every object"
    prompt = common[0]
    later = [f for f in range(prompt + 1, len(video.frames)) if any(s[f] for s in seen)]
    if not later:
        return "no_later_frames", f"nothing visible after frame {video.frames[prompt]}"
    masks = MaskList(video)
    regions = [masks.add(i, prompt, expression) for i in range(len(seen))]
    segs = [[masks.add(i, f, expression) for f in later if seen[i][f]] for i in range(len(seen))]
    return _row(video, expression, "pixrqa", "future", "pixrqa", rng, (prompt, later[-1]), masks, regions,
                segs, tokens)
