"""Parameters of a timewarp build (everything that changes the output bytes)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pipelines.core.config import StrictModel


class TimewarpParams(StrictModel):
    seed: int = Field(0, ge=0, description="random seed")
    cap_seconds: float = Field(105.0, gt=0, description="keep leading scenes that end by this time")
    min_scene_seconds: float = Field(1.0, gt=0,
                                     description="a scene shorter than this once tiled ends the kept run")
    qa_per_video: int = Field(3, ge=1, le=20, description="temporal questions per video")
    mcq_per_video: int = Field(3, ge=1, le=20, description="TimeWar questions per video")
    llm: Literal["offline", "openai"] = "offline"
    frames_fps: float = Field(2.0, gt=0, le=30, description="trainer frame folders: frames per second")
    frames_width: int = Field(336, ge=16, le=4096, description="trainer frame folders: width in px")
    rows_per_shard: int = Field(100_000, ge=1, description="rows per parquet shard")
