"""Read FineVideo metadata: a folder of per-video JSON files, or parquet shards with ``json`` (and
optionally ``mp4``) columns as published on the Hub.

Every file (or parquet row) is a unit: a file that cannot be parsed becomes a rejection
(``invalid_json``, ``no_metadata``) instead of stopping the run. Only a missing or unreadable
*input location* raises :class:`InputError`. Parsing keeps exactly what the recipe needs and
normalises timestamps (``HH:MM:SS.mmm`` -> seconds); missing values stay ``None`` and are judged
later by ``trim``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.core.errors import InputError
from pipelines.core.jsonfile import parse_json
from pipelines.core.validate import id_problem, read_bytes_checked, require_folder, require_regular_file

_TIMESTAMP = re.compile(r"^\s*(\d{1,7}):([0-5]?\d):([0-5]?\d(?:\.\d{1,9})?)\s*$")


def parse_timestamp(value: Any) -> float | None:
    """``"HH:MM:SS.mmm"`` -> seconds; anything else (None, malformed) -> None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return 0.0 if value == 0 else _positive(value)
    if not isinstance(value, str):
        return None
    match = _TIMESTAMP.match(value)
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


@dataclass(frozen=True, slots=True)
class Activity:
    description: str
    start: float | None
    end: float | None


@dataclass(frozen=True, slots=True)
class RawScene:
    scene_id: int | None
    title: str
    start: float | None
    end: float | None
    activities: tuple[Activity, ...]
    narrative: str


@dataclass(frozen=True, slots=True)
class VideoMeta:
    video_id: str
    source: str  # file name or "<shard>#<row>"
    duration: float | None
    fps: float | None
    title: str
    scenes: tuple[RawScene, ...]
    video_bytes: bytes | None = None


@dataclass(frozen=True, slots=True)
class MetaReject:
    video_id: str
    source: str
    reason: str
    detail: str


def _positive(value: Any) -> float | None:
    """A finite positive JSON number as float; anything else (bool, huge, inf, nan) -> None."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) and number > 0 else None


def _list(value: Any) -> list[Any]:
    """A JSON array as a list; any other type (string, number, object) counts as absent."""
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _scene(raw: Any) -> RawScene:
    raw = raw if isinstance(raw, dict) else {}
    stamps = raw.get("timestamps") if isinstance(raw.get("timestamps"), dict) else {}
    activities = []
    for act in _list(raw.get("activities")):
        if isinstance(act, dict) and _text(act.get("description")):
            span = act.get("timestamp") if isinstance(act.get("timestamp"), dict) else {}
            activities.append(Activity(_text(act["description"]),
                                       parse_timestamp(span.get("start_timestamp")),
                                       parse_timestamp(span.get("end_timestamp"))))
    narrative = raw.get("narrativeProgression")
    narrative_text = " ".join(_text(n.get("description")) for n in narrative if isinstance(n, dict)) \
        if isinstance(narrative, list) else _text(narrative)
    scene_id = raw.get("sceneId")
    return RawScene(scene_id if isinstance(scene_id, int) else None, _text(raw.get("title")),
                    parse_timestamp(stamps.get("start_timestamp")),
                    parse_timestamp(stamps.get("end_timestamp")), tuple(activities), narrative_text)


def parse_meta(video_id: str, source: str, data: Any, video_bytes: bytes | None = None
               ) -> VideoMeta | MetaReject:
    if not isinstance(data, dict):
        return MetaReject(video_id, source, "no_metadata", "top level is not an object")
    content = data.get("content_metadata")
    if not isinstance(content, dict):
        return MetaReject(video_id, source, "no_metadata", "content_metadata missing")
    duration = data.get("duration_seconds")
    fps = content.get("fps")
    return VideoMeta(
        video_id=video_id, source=source,
        duration=_positive(duration), fps=_positive(fps),
        title=_text(content.get("title")),
        scenes=tuple(_scene(s) for s in _list(content.get("scenes"))),
        video_bytes=video_bytes)


def _video_id(stem: str, data: Any) -> str:
    if isinstance(data, dict):
        name = data.get("original_video_filename") or data.get("original_json_filename")
        if isinstance(name, str) and name.strip():
            return Path(name.strip()).stem
    return stem


def _checked(meta: VideoMeta | MetaReject, seen: dict[str, str]) -> VideoMeta | MetaReject:
    """Reject ids that cannot name media files and ids already used by an earlier unit."""
    if isinstance(meta, MetaReject):
        return meta
    if (problem := id_problem(meta.video_id)) is not None:
        return MetaReject(meta.video_id, meta.source, "unsafe_video_id", problem)
    if meta.video_id in seen:
        return MetaReject(meta.video_id, meta.source, "duplicate_video_id",
                          f"same video id as {seen[meta.video_id]}")
    seen[meta.video_id] = meta.source
    return meta


def read_folder(folder: Path) -> Iterator[VideoMeta | MetaReject]:
    """One unit per ``*.json`` file, in sorted file-name order. A path that is no readable
    regular file (directory, FIFO, symlink loop, permission) stops the run with one line."""
    files = sorted(folder.glob("*.json"))
    if not files:
        raise InputError(folder, "no *.json metadata files")
    for path in files:
        try:
            data = parse_json(read_bytes_checked(path).decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            yield MetaReject(path.stem, path.name, "invalid_json", str(exc)[:120])
            continue
        yield parse_meta(_video_id(path.stem, data), path.name, data)


def read_parquet(paths: list[Path], with_video: bool) -> Iterator[VideoMeta | MetaReject]:
    """Rows of FineVideo parquet shards (``json`` column, ``mp4`` bytes when ``with_video``)."""
    import pyarrow.parquet as pq

    for path in paths:
        require_regular_file(path)
        try:
            handle = pq.ParquetFile(path)
        except Exception as exc:  # any reader failure means the file is unusable
            raise InputError(path, f"not a readable parquet file ({type(exc).__name__})") from None
        columns = [c for c in ("json", "mp4") if c in handle.schema_arrow.names]
        if "json" not in columns:
            raise InputError(path, "parquet file has no 'json' column")
        row = 0
        for batch in handle.iter_batches(columns=columns if with_video else ["json"], batch_size=64):
            for item in batch.to_pylist():
                source = f"{path.name}#{row}"
                row += 1
                data = item["json"]
                if isinstance(data, str | bytes):
                    try:
                        data = parse_json(data)
                    except json.JSONDecodeError as exc:
                        yield MetaReject(source, source, "invalid_json", str(exc)[:120])
                        continue
                video_id = _video_id(f"{path.stem}_{row - 1:06d}", data)
                yield parse_meta(video_id, source, data, item.get("mp4") if with_video else None)


def read_metadata(location: Path, with_video: bool = False) -> Iterator[VideoMeta | MetaReject]:
    """A folder of JSON files, a folder of parquet shards, or one parquet file; every unit's id
    checked (``unsafe_video_id``, ``duplicate_video_id``)."""
    if not location.is_dir():
        require_regular_file(location)
        if location.suffix != ".parquet":
            raise InputError(location, "expected a folder of JSON files or parquet shards")
        units = read_parquet([location], with_video)
    else:
        require_folder(location)
        shards = sorted(location.glob("*.parquet"))
        units = read_parquet(shards, with_video) if shards else read_folder(location)
    seen: dict[str, str] = {}
    return (_checked(meta, seen) for meta in units)
