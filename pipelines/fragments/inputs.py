"""Inputs of a fragments build: the video folder, per-video action labels, effect annotations.

- Videos: every regular, non-hidden file of the folder is an input (so an audio file or a stray
  document is accounted as a rejected video, never silently skipped); the video id is the file
  name without its suffix. A second file with the same id is a row-level rejection.
- Labels: CSV ``video_id,label`` (header optional). Effects: CSV
  ``video_id,answer,wrong_1,wrong_2,wrong_3[,question]`` (header optional). A malformed row is a
  rejection with a reason; a missing or empty file stops with :class:`InputError`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from pipelines.core.ava import open_text
from pipelines.core.csvtext import read_rows
from pipelines.core.errors import InputError
from pipelines.core.validate import id_problem, require_folder
from pipelines.fragments.scene import Effect

RowRejects = list[tuple[str, str, str]]  # (unit key, reason, detail)


@dataclass(frozen=True)
class FragmentsInputs:
    videos: Path
    ava_csv: Path | None = None
    labels: Path | None = None
    effects: Path | None = None
    masks: Path | None = None  # a ReVOS / MeViS root: presence = non-empty mask on a frame

    def described(self) -> dict[str, Path | None]:
        return {"videos": self.videos, "ava_csv": self.ava_csv, "labels": self.labels,
                "effects": self.effects, "masks": self.masks}


@dataclass(frozen=True)
class VideoFile:
    video_id: str
    path: Path


def list_videos(folder: Path) -> tuple[list[VideoFile], RowRejects]:
    """Input files sorted by name, and the files rejected (an id that cannot name build files,
    :func:`~pipelines.core.validate.id_problem`; a duplicate id)."""
    require_folder(folder, "video folder not found")
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise InputError(folder, "no files in the video folder")
    videos: list[VideoFile] = []
    seen: dict[str, str] = {}
    rejects: RowRejects = []
    for path in files:
        video_id = path.stem
        if (problem := id_problem(video_id)) is not None:  # the id names media files and exports
            rejects.append((path.name, "bad_video_id", problem))
            continue
        if video_id in seen:
            rejects.append((path.name, "duplicate_video_id", f"{video_id} is also {seen[video_id]}"))
            continue
        seen[video_id] = path.name
        videos.append(VideoFile(video_id, path))
    return videos, rejects


def _rows(path: Path, header: tuple[str, ...]) -> list[tuple[int, list[str]]]:
    lines = read_rows(path, io.StringIO(open_text(path)))
    numbered = [(i, [f.strip() for f in row]) for i, row in enumerate(lines, start=1) if any(row)]
    if numbered and [f.lower() for f in numbered[0][1][:len(header)]] == list(header):
        numbered = numbered[1:]
    if not numbered:
        raise InputError(path, "no data rows (only a header)")
    return numbered


def read_labels(path: Path) -> tuple[dict[str, str], RowRejects]:
    labels: dict[str, str] = {}
    rejects: RowRejects = []
    for line, fields in _rows(path, ("video_id", "label")):
        key = f"{path.name}:{line}"
        if len(fields) != 2 or not all(fields):
            rejects.append((key, "bad_label_row", f"expected video_id,label; got {len(fields)} field(s)"))
        elif labels.get(fields[0], fields[1]) != fields[1]:
            rejects.append((key, "conflicting_label", f"{fields[0]} is already {labels[fields[0]]!r}"))
        else:
            labels[fields[0]] = fields[1]
    return labels, rejects


def read_effects(path: Path) -> tuple[dict[str, Effect], RowRejects]:
    effects: dict[str, Effect] = {}
    rejects: RowRejects = []
    for line, fields in _rows(path, ("video_id", "answer", "wrong_1")):
        key = f"{path.name}:{line}"
        if len(fields) not in (5, 6) or not all(fields[:5]):
            rejects.append((key, "bad_effect_row",
                            "expected video_id,answer,wrong_1,wrong_2,wrong_3[,question]"))
        elif len(set(fields[1:5])) != 4:
            rejects.append((key, "duplicate_effect_option", "answer and wrong options must differ"))
        elif fields[0] in effects:
            rejects.append((key, "duplicate_effect", f"{fields[0]} already has an effect"))
        else:
            effects[fields[0]] = Effect(fields[1], (fields[2], fields[3], fields[4]),
                                        fields[5] if len(fields) == 6 else "")
    return effects, rejects
