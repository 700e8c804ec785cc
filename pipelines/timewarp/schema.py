"""Typed columns and splits of the timewarp configs."""

from __future__ import annotations

from datasets import Features, List, Value

STR, INT, FLOAT, BOOL = Value("string"), Value("int32"), Value("float32"), Value("bool")


def _strings(*names: str) -> dict[str, Value]:
    return dict.fromkeys(names, STR)


FEATURES: dict[str, Features] = {
    "sft": Features(_strings("id", "video_id", "video", "task", "prompt", "response")),
    "dpo": Features({**_strings("id", "video_id", "video", "perturbation", "perturbed_video",
                                "question_kind", "prompt", "chosen", "rejected"),
                     "scene_order": List(INT)}),
    "kto": Features({**_strings("id", "pair_id", "video_id", "video", "video_variant", "question_kind",
                                "prompt", "completion"), "label": BOOL}),
    "implicit": Features({**_strings("id", "video_id", "video", "prompt", "chosen", "rejected",
                                     "dispreferred_kind", "theme", "backend"), "for_training": BOOL}),
    "ordering_probe": Features({**_strings("id", "video_id", "video", "distance", "side"), "hops": INT,
                                "gap_seconds": FLOAT,
                                **_strings("event_a", "event_b", "statement", "answer")}),
}
_TIMEWAR = Features({**_strings("id", "pair_id", "video_id", "video", "variant", "question_kind",
                                "question"),
                     "options": List(STR, length=4), **_strings("answer", "answer_text"),
                     "scene_order": List(INT)})
FEATURES["timewar_normal"] = _TIMEWAR
FEATURES["timewar_shuffled"] = _TIMEWAR

SPLITS = {"sft": "train", "dpo": "train", "kto": "train", "implicit": "train",
          "timewar_normal": "test", "timewar_shuffled": "test", "ordering_probe": "test"}
