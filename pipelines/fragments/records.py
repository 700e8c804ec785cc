"""Rows of the three configs, their typed columns, and the split by video (pure functions).

- ``bench_fragment`` (split ``test``): one row per fragment question of a benchmark video.
- ``bench_scene`` (split ``test``): one row per scene question (speed, action, effect).
- ``sft`` (split ``train``): one instruction record per question of a training video, with the
  frames in presented order (scene questions: the clip's frames, and the clip).
A video is in the benchmark or in the training data, never both: :func:`split_videos` ranks
videos by a keyed hash and puts the first ``round(share * n)`` in the benchmark. The build splits
videos with and without Meaning-of-Order questions separately, so both sides get some of each.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from datasets import Features, List, Value

from pipelines.core.evalformats import LETTERS
from pipelines.core.rng import derive_seed
from pipelines.fragments.questions import Question
from pipelines.fragments.scene import SceneQuestion

Row = dict[str, Any]
STR, INT, FLOAT = Value("string"), Value("int32"), Value("float32")
CONFIGS = ("sft", "bench_fragment", "bench_scene")
SPLITS = {"sft": "train", "bench_fragment": "test", "bench_scene": "test"}
ANSWER_HINT = "Answer with the option's letter."

FEATURES: dict[str, Features] = {
    "bench_fragment": Features({
        "id": STR, "video_id": STR, "task": STR, "subtask": STR, "n": INT, "n_frames": INT,
        "frames": List(STR), "frame_times": List(FLOAT), "time_order": List(INT), "question": STR,
        "options": List(STR), "answer": STR, "answer_text": STR, "template": STR}),
    "bench_scene": Features({
        "id": STR, "video_id": STR, "task": STR, "variant": STR, "video": STR, "frames": List(STR),
        "question": STR, "options": List(STR), "answer": STR, "answer_text": STR, "template": STR}),
    "sft": Features({
        "id": STR, "video_id": STR, "task": STR, "n": INT, "frames": List(STR), "video": STR,
        "prompt": STR, "response": STR, "answer": STR, "template": STR}),
}


def split_videos(seed: int, video_ids: Sequence[str], share: float) -> set[str]:
    """The benchmark videos: ``round(share * n)`` of ``video_ids``, by a keyed hash of each id."""
    ranked = sorted(video_ids, key=lambda v: (derive_seed(seed, f"{v}/split"), v))
    return set(ranked[:round(share * len(ranked))])


def fragment_row(video_id: str, q: Question) -> Row:
    suffix = f"/{q.subtask.split('/')[0]}" if q.task == "meaning_of_order" else ""
    return {"id": f"{video_id}/n{q.n}/{q.task}{suffix}", "video_id": video_id, "task": q.task,
            "subtask": q.subtask, "n": q.n, "n_frames": len(q.frames), "frames": list(q.frames),
            "frame_times": list(q.frame_times), "time_order": list(q.time_order), "question": q.question,
            "options": list(q.options), "answer": LETTERS[q.answer], "answer_text": q.options[q.answer],
            "template": q.template}


def scene_row(video_id: str, q: SceneQuestion) -> Row:
    suffix = f"/{q.variant}" if q.variant else ""
    return {"id": f"{video_id}/{q.task}{suffix}", "video_id": video_id, "task": q.task, "variant": q.variant,
            "video": q.video, "frames": list(q.frames), "question": q.question, "options": list(q.options),
            "answer": LETTERS[q.answer], "answer_text": q.options[q.answer], "template": q.template}


def prompt_text(question: str, options: Sequence[str]) -> str:
    lines = [question, *(f"{LETTERS[i]}. {o}" for i, o in enumerate(options)), ANSWER_HINT]
    return "\n".join(lines)


def sft_row(row: Row) -> Row:
    """The instruction record of a fragment or scene row (the key's letter and text as response)."""
    return {"id": row["id"], "video_id": row["video_id"], "task": row["task"], "n": row.get("n", 0),
            "frames": row["frames"], "video": row.get("video", ""),
            "prompt": prompt_text(row["question"], row["options"]),
            "response": f"{row['answer']}. {row['answer_text']}", "answer": row["answer"],
            "template": row["template"]}


def unit_rows(out: Any, in_bench: bool) -> dict[str, list[Row]]:
    """One video's rows per config (question order): its benchmark rows when ``in_bench``, else
    its instruction records. A build's rows are these, video after video (canonical order)."""
    fragments = [fragment_row(out.video_id, q) for q in out.fragments]
    scenes = [scene_row(out.video_id, q) for q in out.scenes]
    if in_bench:
        return {"bench_fragment": fragments, "bench_scene": scenes}
    return {"sft": [sft_row(r) for r in fragments + scenes]}
