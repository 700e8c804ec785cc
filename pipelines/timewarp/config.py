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
    nothing_max_share: float = Field(0.10, ge=0, le=1, description=(
        "most a 'Nothing; that is the first/last thing shown.' answer may be, as a share of pairs"))
    probe_bands: Literal["hops", "seconds"] = Field("hops", description=(
        "ordering probe bands: by hops (published) or by time separation 10-20 s, 20-30 s, >=30 s"))
    implicit_for_training: bool = Field(False, description=(
        "offline implicit stand-in pairs go to trainer exports (a text-only model separates them)"))
    llm: Literal["offline", "openai"] = "offline"
    frames_fps: float = Field(2.0, gt=0, le=30, description="trainer frame folders: frames per second")
    frames_width: int = Field(336, ge=16, le=4096, description="trainer frame folders: width in px")
    rows_per_shard: int = Field(100_000, ge=1, description="rows per parquet shard")
