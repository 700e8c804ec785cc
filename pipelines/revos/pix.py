"""Pixel + temporal referring QA (UFVideo-style PixTRQA / PixHQA / PixRQA) from one expression.

Pure functions of (video, expression, descriptions, tokens, rng). An expression's *objects* are
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
from pipelines.revos.convention import Tokens, time_bin, timed
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


def _base(video: VideoUnit, expression: Expression, task: str, descriptions: Descriptions) -> Row:
    return {"id": f"{video.expression_key(expression.exp_id)}/{task}", "task": task,
            "dataset": video.dataset, "video_id": video.video_id, "video": f"JPEGImages/{video.video_id}",
            "expression_id": expression.exp_id, "expression": expression.text,
            "objects": list(expression.object_ids), "short_descriptions": list(descriptions.short),
            "long_description": descriptions.long, "description_source": descriptions.source}


def pixtrqa(video: VideoUnit, expression: Expression, descriptions: Descriptions, tokens: Tokens,
            rng: UnitRng) -> Row | tuple[str, str]:
    seen = presence(video, expression)
    union = [any(frame) for frame in zip(*seen, strict=True)]
    if len(video.frames) < 2:
        return "single_frame", "one frame: no time axis"
    runs = _runs(union)
    if len(runs) != 1:
        return "dispersed_presence", f"{len(runs)} separate runs of frames"
    first, last = runs[0]
    masks = MaskList(video)
    regions = [masks.add(i, seen[i].index(True), expression) for i in range(len(seen))]
    segs = [[masks.add(i, f, expression) for f in range(first, last + 1) if seen[i][f]]
            for i in range(len(seen))]
    t0, t1 = video.times[0], video.times[-1]
    start, end = video.times[first], video.times[last]
    texts = pool("pix_qa")
    template = rng.below(len(texts["pixtrqa"]))
    question = texts["pixtrqa"][template].format(objects=_objects(descriptions, tokens, len(seen)))
    answer = texts["answers"]["pixtrqa"].format(
        objects_seg=_objects_seg(tokens, len(seen)), be="is" if len(seen) == 1 else "are",
        start=timed(start, t0, t1, tokens), end=timed(end, t0, t1, tokens), long=descriptions.long)
    bins = tokens.time_bins
    return {**_base(video, expression, "pixtrqa", descriptions), "variant": "span",
            "template_id": f"pixtrqa/{template}", "question": question, "answer": answer,
            "start": start, "end": end, "time_tokens": [time_bin(start, t0, t1, bins),
                                                        time_bin(end, t0, t1, bins)],
            "masks": masks.entries, "region_masks": regions, "seg_masks": segs}


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


def pixhqa(video: VideoUnit, expression: Expression, descriptions: Descriptions, tokens: Tokens,
           rng: UnitRng, variant: str) -> Row | tuple[str, str]:
    """``variant`` "point" (one common frame) or "period" (two common frames as bounds)."""
    seen = presence(video, expression)
    common = _common(seen)
    if len(video.frames) < 2:
        return "single_frame", "one frame: no time axis"
    if len(common) < (1 if variant == "point" else 2):
        return "no_common_frame", f"{len(common)} frames show every object"
    lo, hi = (common[rng.below(len(common))],) * 2 if variant == "point" else sorted(rng.sample(common, 2))
    t0, t1 = video.times[0], video.times[-1]
    masks = MaskList(video)
    regions = [masks.add(i, lo, expression) for i in range(len(seen))]
    segs = [[masks.add(i, f, expression) for f in range(lo, hi + 1) if seen[i][f]]
            for i in range(len(seen))]
    texts = pool("pix_qa")[f"pixhqa_{variant}"]
    template = rng.below(len(texts))
    question = texts[template].format(objects=_objects(descriptions, tokens, len(seen)),
                                      time=timed(video.times[lo], t0, t1, tokens),
                                      start=timed(video.times[lo], t0, t1, tokens),
                                      end=timed(video.times[hi], t0, t1, tokens))
    answer = pool("pix_qa")["answers"]["pixhqa"].format(long=descriptions.long,
                                                         objects_seg=_objects_seg(tokens, len(seen)))
    bins = tokens.time_bins
    key = video.expression_key(expression.exp_id)
    return {**_base(video, expression, "pixhqa", descriptions), "id": f"{key}/pixhqa_{variant}",
            "variant": variant,
            "template_id": f"pixhqa_{variant}/{template}", "question": question, "answer": answer,
            "start": video.times[lo], "end": video.times[hi],
            "time_tokens": [time_bin(video.times[lo], t0, t1, bins), time_bin(video.times[hi], t0, t1, bins)],
            "masks": masks.entries, "region_masks": regions, "seg_masks": segs}


def pixrqa(video: VideoUnit, expression: Expression, descriptions: Descriptions, tokens: Tokens,
           rng: UnitRng) -> Row | tuple[str, str]:
    seen = presence(video, expression)
    common = _common(seen)
    if len(video.frames) < 2:
        return "single_frame", "one frame: no time axis"
    if not common:
        return "no_common_frame", "no frame shows every object"
    prompt = common[0]
    later = [f for f in range(prompt + 1, len(video.frames)) if any(s[f] for s in seen)]
    if not later:
        return "no_later_frames", f"nothing visible after frame {video.frames[prompt]}"
    t0, t1 = video.times[0], video.times[-1]
    masks = MaskList(video)
    regions = [masks.add(i, prompt, expression) for i in range(len(seen))]
    segs = [[masks.add(i, f, expression) for f in later if seen[i][f]] for i in range(len(seen))]
    texts = pool("pix_qa")["pixrqa"]
    template = rng.below(len(texts))
    question = texts[template].format(objects=_objects(descriptions, tokens, len(seen)),
                                      time=timed(video.times[prompt], t0, t1, tokens))
    answer = pool("pix_qa")["answers"]["pixrqa"].format(long=descriptions.long,
                                                         objects_seg=_objects_seg(tokens, len(seen)))
    bins = tokens.time_bins
    return {**_base(video, expression, "pixrqa", descriptions), "variant": "future",
            "template_id": f"pixrqa/{template}", "question": question, "answer": answer,
            "start": video.times[prompt], "end": video.times[later[-1]],
            "time_tokens": [time_bin(video.times[prompt], t0, t1, bins),
                            time_bin(video.times[later[-1]], t0, t1, bins)],
            "masks": masks.entries, "region_masks": regions, "seg_masks": segs}

