"""The input files of a finebench build."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FinebenchInputs:
    annotations: Path
    labels: Path
    excluded: Path | None = None
    videos: Path | None = None  # folder of <video_id>.mp4/.mkv/.webm/.mov/.avi: frames are extracted
