"""Parameters of a revos build (everything that changes the output bytes)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pipelines.core.config import StrictModel
from pipelines.core.referring import DEFAULT_MIN_CENTER_GAP
from pipelines.revos.convention import Tokens


class RevosParams(StrictModel):
    seed: int = Field(0, ge=0, description="seed of every per-record draw")
    frame_fps: float = Field(30.0, gt=0, description="frame names are frame numbers at this rate")
    tokens: Tokens = Field(default_factory=Tokens)
    track_keyframes: int = Field(8, ge=2, le=100, description="tracking: keyframes per record, the first "
                                                              "one being the prompt")
    max_track_gap: float = Field(1.0, gt=0, description="tracking: a longer gap between keyframes of "
                                                        "one person_id splits the track")
    min_center_gap: float = Field(DEFAULT_MIN_CENTER_GAP, ge=0, lt=1, description="spatial grounding: "
                                  "persons whose box centres are closer (frame widths) are ambiguous")
    trivial_scene_share: float = Field(0.95, gt=0, le=1, description="temporal grounding: drop scenes "
                                                                     "covering this share of the video")
    llm: Literal["offline", "openai"] = Field("offline", description="object descriptions: offline = "
                                                                      "the expression text")
    describe_frames: int = Field(6, ge=1, le=32, description="frames sent per description request")
    rows_per_shard: int = Field(100_000, ge=1, description="rows per parquet shard")
