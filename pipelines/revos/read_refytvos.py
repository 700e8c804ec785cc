"""Ref-YouTube-VOS reader: ``meta_expressions.json`` (+ ``Annotations/<video>/<frame>.png``).

``location`` is the meta file itself or a folder holding ``meta_expressions.json``; annotations are
read from ``Annotations/`` beside the meta file when that folder exists. Each annotation PNG is a
palette image whose pixel value is the object id (0 = background); an object's mask on a frame
is ``png == obj_id``, encoded to RLE with pycocotools.

Without annotations, or for expressions without ``obj_id`` (the public valid/test meta file has
none), the expression is kept for the text side with ``masks == ()``. Rejections per expression:
``empty_expression``, ``bad_ids``, ``unknown_object_id`` (the id never appears in the video's
PNGs, so it has no mask anywhere); per video: ``missing_frames`` (a frame's PNG is absent or unreadable) and
the meta checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from pipelines.core.errors import InputError
from pipelines.core.masks import encode
from pipelines.revos.meta import RawVideo, expression_text, id_list, iter_videos
from pipelines.revos.model import Expression, RejectTuple, VideoReject, VideoUnit

DATASET = "refytvos"


def _meta_path(location: Path) -> Path:
    if location.is_dir():
        location = location / "meta_expressions.json"
    if not location.exists() and not location.is_symlink():
        raise InputError(location, "file not found (expected Ref-YouTube-VOS meta_expressions.json)")
    return location  # a directory, pipe or unreadable file is refused, in one line, when it is read


def _palette_frames(folder: Path, frames: tuple[str, ...]) -> list[np.ndarray] | str:
    """The video's label images, or the name of the first missing/unreadable one."""
    out: list[np.ndarray] = []
    for frame in frames:
        path = folder / f"{frame}.png"
        try:
            with Image.open(path) as image:
                out.append(np.asarray(image if image.mode in ("P", "L") else image.convert("L")))
        except (OSError, ValueError):
            return f"{folder.name}/{frame}.png"
    return out


def _expression(exp_id: str, raw: object, labels: list[np.ndarray] | None
                ) -> Expression | tuple[str, str]:
    text = expression_text(raw)
    if not text:
        return "empty_expression", "no 'exp' text"
    objects = id_list(raw.get("obj_id")) if isinstance(raw, dict) else ()
    if objects is None:
        return "bad_ids", f"obj_id={raw.get('obj_id')!r}"[:120]  # type: ignore[union-attr]
    if labels is None or not objects:
        return Expression(exp_id, text, tuple(str(o) for o in objects))
    per_object = []
    for obj in objects:
        planes = [label == obj for label in labels]
        if not any(plane.any() for plane in planes):
            present = sorted({int(v) for label in labels for v in np.unique(label)} - {0})
            return "unknown_object_id", f"obj_id {obj} not in the PNGs (ids {present[:10]})"
        per_object.append(tuple(encode(plane) if plane.any() else None for plane in planes))
    return Expression(exp_id, text, tuple(str(o) for o in objects), tuple(per_object))


def read_refytvos(location: Path, fps: float) -> Iterator[VideoUnit | VideoReject]:
    meta = _meta_path(location)
    annotations = meta.parent / "Annotations"
    images = meta.parent / "JPEGImages"
    for video in iter_videos(meta, DATASET, "", fps):
        if isinstance(video, VideoReject):
            yield video
            continue
        yield from _video(video, annotations if annotations.is_dir() else None,
                          images / video.video_id if images.is_dir() else None)


def _video(video: RawVideo, annotations: Path | None, frame_dir: Path | None
           ) -> Iterator[VideoUnit | VideoReject]:
    labels: list[np.ndarray] | None = None
    wants_masks = any(isinstance(r, dict) and r.get("obj_id") is not None
                      for r in video.expressions.values())
    if annotations is not None and wants_masks:
        loaded = _palette_frames(annotations / video.video_id, video.frames)
        if isinstance(loaded, str):
            yield VideoReject(DATASET, "", video.video_id, "missing_frames", loaded,
                              tuple(video.expressions))
            return
        labels = loaded
    kept: list[Expression] = []
    rejects: list[RejectTuple] = []
    for exp_id, raw in video.expressions.items():
        result = _expression(exp_id, raw, labels)
        if isinstance(result, Expression):
            kept.append(result)
        else:
            rejects.append((f"{DATASET}/{video.video_id}/{exp_id}", *result))
    size = (int(labels[0].shape[0]), int(labels[0].shape[1])) if labels else None
    yield VideoUnit(DATASET, "", video.video_id, video.frames, video.times, tuple(kept),
                    tuple(rejects), str(frame_dir) if frame_dir is not None else None, size)
