"""The ``meta_expressions*.json`` layer common to ReVOS, MeViS and Ref-YouTube-VOS.

``{"videos": {video_id: {"frames": [name, ...], "expressions": {exp_id: {"exp": text, "obj_id":
..., "anno_id": [...], "type_id": int}}}}}``. A file that is not JSON or has no ``videos`` object
raises :class:`InputError` naming the file and the key; a malformed video entry becomes a
:class:`VideoReject` (``bad_video_entry``, ``no_frames``, ``unordered_frames``), never a crash.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.core.errors import InputError
from pipelines.core.jsonfile import load_json_file as load_json
from pipelines.core.masks import frame_times
from pipelines.revos.model import VideoReject


@dataclass(frozen=True)
class RawVideo:
    video_id: str
    frames: tuple[str, ...]
    times: tuple[float, ...]
    expressions: dict[str, Any]  # exp_id -> raw entry (checked per expression later)


def iter_videos(path: Path, dataset: str, split: str, fps: float) -> Iterator[RawVideo | VideoReject]:
    """Videos of one meta file in sorted id order (stable whatever the file's key order)."""
    data = load_json(path)
    videos = data.get("videos") if isinstance(data, dict) else None
    if not isinstance(videos, dict):
        raise InputError(path, "expected an object with a 'videos' object", key="videos")
    for video_id in sorted(videos):
        entry = videos[video_id]
        expressions = entry.get("expressions") if isinstance(entry, dict) else None
        exp_ids = tuple(sorted(expressions, key=_exp_order)) if isinstance(expressions, dict) else ()

        def refuse(reason: str, detail: str, vid: str = video_id, ids: tuple[str, ...] = exp_ids
                   ) -> VideoReject:
            return VideoReject(dataset, split, vid, reason, detail, ids)

        if not isinstance(expressions, dict):
            yield refuse("bad_video_entry", "no 'expressions' object")
            continue
        frames = entry.get("frames")
        if not isinstance(frames, list) or not all(isinstance(f, str) and f for f in frames):
            yield refuse("bad_video_entry", "'frames' is not a list of names")
            continue
        if not frames:
            yield refuse("no_frames", "empty 'frames' list")
            continue
        times = frame_times(frames, fps)
        if times is None:
            yield refuse("unordered_frames", "frame numbers are not strictly increasing")
            continue
        yield RawVideo(video_id, tuple(frames), times, {k: expressions[k] for k in exp_ids})


def _exp_order(exp_id: str) -> tuple[int, int | str]:
    return (0, int(exp_id)) if exp_id.isdigit() else (1, exp_id)


def expression_text(raw: Any) -> str:
    """The expression text, whitespace-normalised ('' when missing)."""
    text = raw.get("exp") if isinstance(raw, dict) else None
    return " ".join(text.split()) if isinstance(text, str) else ""


def id_list(value: Any) -> tuple[int, ...] | None:
    """``obj_id`` / ``anno_id`` as a tuple of ints (one int or a list); None when malformed."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    out: list[int] = []
    for item in items:
        if isinstance(item, bool):
            return None
        if isinstance(item, int):
            out.append(item)
        elif isinstance(item, str) and item.isdigit():
            out.append(int(item))
        else:
            return None
    return tuple(out)
