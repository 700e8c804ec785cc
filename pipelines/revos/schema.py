"""Typed columns and splits of the revos configs (one config per task).

Masks stay COCO RLE in a ``masks`` list column (``counts`` text + ``height``/``width``, plus the
object, frame name and time they belong to); ``region_masks`` / ``seg_masks`` index into it, per
``<region>`` / ``[SEG]`` token in order. Rows of a frames-folder source (ReVOS, MeViS,
Ref-YouTube-VOS) list the video's frame names in ``frames`` (files ``<video>/<name>.jpg``, in time
order), so a trainer that takes a video as its frame files (LLaMA-Factory) can be given them.
Times and boxes are float64 so targets round-trip exactly.
"""

from __future__ import annotations

from datasets import Features, List, Value

STR, INT, F64 = Value("string"), Value("int32"), Value("float64")
MASK = {"object": STR, "frame": STR, "time": F64, "height": INT, "width": INT, "counts": STR}
BOX = List(F64, length=4)


def _strings(*names: str) -> dict[str, Value]:
    return dict.fromkeys(names, STR)


_PIX = Features({**_strings("id", "task", "dataset", "video_id", "video", "expression_id", "expression"),
                 "frames": List(STR), "objects": List(STR), "short_descriptions": List(STR),
                 **_strings("long_description", "description_source", "variant", "template_id",
                            "question", "answer"),
                 "start": F64, "end": F64, "time_tokens": List(INT), "masks": List(MASK),
                 "region_masks": List(INT), "seg_masks": List(List(INT))})
_TPO = _strings("id", "task", "source", "video_id", "video", "template_id", "prompt", "answer")

FEATURES: dict[str, Features] = {
    "pixtrqa": _PIX, "pixhqa": _PIX, "pixrqa": _PIX,
    "temporal_grounding": Features({**_TPO, "query": STR, "start": F64, "end": F64}),
    "tracking": Features({**_TPO, "person_id": INT, "init_time": F64, "init_box": BOX,
                          "track_times": List(F64), "track_boxes": List(BOX)}),
    "spatial_grounding": Features({**_TPO, "phrase": STR, "person_id": INT, "time": F64, "box": BOX,
                                   "persons_in_frame": INT}),
    "referring_segmentation": Features({**_TPO, "frames": List(STR), "expression_id": STR, "expression": STR,
                                        "objects": List(STR), "type_id": INT, "mask_source": STR,
                                        "mask_ref": STR, "masks": List(MASK), "seg_masks": List(List(INT))}),
}
FEATURES["when_mcq"] = Features({**_strings("id", "dataset", "video_id", "video"), "frames": List(STR),
                                 **_strings("expression", "question"),
                                 "options": List(STR, length=4), **_strings("answer", "answer_text"),
                                 "start": F64, "end": F64})
SPLITS = {**dict.fromkeys(FEATURES, "train"), "when_mcq": "test"}
