"""Find a recipe's source video by id in a user's folder (``<folder>/<video_id>.<suffix>``)."""

from __future__ import annotations

from pathlib import Path

VIDEO_SUFFIXES = (".mp4", ".mkv", ".webm", ".mov", ".avi")


def find_video(folder: Path, video_id: str) -> Path | None:
    """The first ``<video_id><suffix>`` file in ``folder`` (suffixes in ``VIDEO_SUFFIXES`` order)."""
    for suffix in VIDEO_SUFFIXES:
        candidate = folder / f"{video_id}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def missing_video_detail(video_id: str) -> str:
    """Rejection detail for a video that :func:`find_video` did not find."""
    return f"no {video_id}{{{','.join(VIDEO_SUFFIXES)}}}"
