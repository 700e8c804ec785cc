"""Frames for finebench records when videos are given (``--videos DIR``).

Every distinct (video, time) needed by any record's ``frame_times`` is extracted exactly once, to
``media/frames/<video_id>/t<seconds, 3 decimals, zero-padded>.jpg`` (deterministic names), and
each record's ``frame_keys`` lists those paths (relative to the build folder) in frame-time order.
Work unit = one video (:func:`frame_jobs`, run by the recipe's ``frames`` pass); a video that is
missing or unreadable is rejected in the ``frames`` stage (its questions stay, with empty
``frame_keys``). Report sample cards get a copy of the target frame
with every annotated person boxed and the target in red, labelled with its referring phrase.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipelines.core.errors import InputError
from pipelines.core.outputcheck import media_output, write_fault
from pipelines.core.validate import require_folder
from pipelines.core.video import draw_box, draw_boxes, extract_frames, find_video, missing_video_detail
from pipelines.finebench.config import FrameWindow

RED = (40, 40, 230)  # BGR


def frame_name(time: float) -> str:
    return f"t{time:010.3f}.jpg"


def frame_key(video_id: str, time: float) -> str:
    return f"media/frames/{video_id}/{frame_name(time)}"


@dataclass(frozen=True)
class FrameJob:
    video_id: str
    source: Path | None
    times: tuple[float, ...]
    out_dir: Path


def extract_job(_context: None, job: FrameJob) -> tuple[str, str, str]:
    """(video_id, reason, detail); reason is empty when every frame was written."""
    if job.source is None:
        return job.video_id, "video_missing", missing_video_detail(job.video_id)
    with media_output(job.out_dir):  # a full or read-only output stops the build
        try:
            extract_frames(job.source, list(job.times), job.out_dir,
                           name_fn=lambda _i, t: frame_name(t), fmt="jpg")
        except InputError as exc:
            if write_fault(job.out_dir, exc) is not None:
                raise
            return job.video_id, "video_unreadable", exc.one_line()
    return job.video_id, "", ""


def frame_jobs(build_dir: Path, table: pa.Table, videos: Path, window: FrameWindow) -> list[FrameJob]:
    """One job per video of ``table``, sorted by video id: every distinct frame time its rows need.

    Frame times are recomputed in float64 from each row's timestamp with ``window`` (the table
    stores them as float32)."""
    require_folder(videos, "videos folder not found")
    rows = zip(table.column("video_id").to_pylist(), table.column("timestamp").to_pylist(), strict=True)
    needed: dict[str, set[float]] = defaultdict(set)
    for video_id, timestamp in set(rows):
        needed[video_id].update(window.times(float(timestamp)))
    return [FrameJob(v, find_video(videos, v), tuple(sorted(t for t in needed[v] if t >= 0)),
                     build_dir / "media" / "frames" / v) for v in sorted(needed)]


def with_frame_keys(table: pa.Table, done: set[str], window: FrameWindow) -> pa.Table:
    """``table`` with ``frame_keys`` filled for the rows of videos whose frames were all written."""
    rows = zip(table.column("video_id").to_pylist(), table.column("timestamp").to_pylist(), strict=True)
    keys = [[frame_key(v, t) for t in window.times(float(ts))] if v in done else [] for v, ts in rows]
    index = table.schema.get_field_index("frame_keys")
    return table.set_column(index, table.schema.field(index), pa.array(keys, pa.list_(pa.string())))


def draw_sample(build_dir: Path, sample: dict[str, Any]) -> str | None:
    """Target frame of a sample with all persons boxed (target red); path relative to report/."""
    if not sample["frame_keys"]:
        return None
    target = build_dir / frame_key(sample["video_id"], float(sample["timestamp"]))
    if not target.exists():
        return None
    out = build_dir / "report" / "frames" / f"{sample['id']}.jpg"
    out.parent.mkdir(parents=True, exist_ok=True)
    others = [(tuple(b), None) for b in sample["all_boxes"] if list(b) != list(sample["bbox"])]
    base = target
    if others:
        base = out.with_name(f".{out.stem}.others.jpg")
        draw_boxes(target, others, base)
    draw_box(base, tuple(sample["bbox"]), out, label=sample["referring_phrase"], color=RED)
    if base != target:
        base.unlink()
    return f"frames/{out.name}"
