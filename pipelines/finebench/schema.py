"""Typed columns of the finebench configs (``mcq`` and ``subset`` share one schema)."""

from __future__ import annotations

from datasets import Features, List, Value

MCQ_FEATURES = Features({
    "id": Value("string"),
    "video_id": Value("string"),
    "timestamp": Value("int32"),
    "person_id": Value("int32"),
    "bbox": List(Value("float32"), length=4),
    "num_persons": Value("int32"),
    "person_rank": Value("int32"),
    "referring_phrase": Value("string"),
    "category": Value("string"),
    "action_ids": List(Value("int32")),
    "action_names": List(Value("string")),
    "is_compound": Value("bool"),
    "template_id": Value("string"),
    "question": Value("string"),
    "options": List(Value("string"), length=4),
    "answer": Value("string"),
    "answer_text": Value("string"),
    "distractor_tiers": List(Value("string"), length=3),
    "box_hint": Value("string"),
    "frame_times": List(Value("float32")),
    "frame_keys": List(Value("string")),
    "in_subset": Value("bool"),
})
