"""Parameters of a fragments build (everything that changes the output bytes)."""

from __future__ import annotations

from pydantic import Field, field_validator

from pipelines.core.config import StrictModel


class FragmentsParams(StrictModel):
    seed: int = Field(0, ge=0)
    frame_counts: tuple[int, ...] = Field((2, 3, 4, 5, 6), description="N values, e.g. 2,3,4,5,6")
    min_gap_seconds: float = Field(0.5, gt=0, description="least time between two sampled frames")
    difference_floor: float = Field(0.03, gt=0, lt=1,
                                    description="least frame_difference between any two sampled frames")
    candidates: int = Field(40, ge=6, le=400, description="candidate times decoded per video")
    edge_seconds: float = Field(0.2, ge=0, description="candidates avoid this much at both ends")
    frame_width: int = Field(336, ge=16, le=4096, description="width of the question frames in px")
    presence_tolerance: float = Field(0.25, gt=0, description="seconds: a frame takes the presence of a "
                                      "sample at most this far from it (a frame with none is not asked)")
    ava_time_offset: float = Field(900.0, description="AVA timestamp of the first frame of each video")
    mask_fps: float = Field(30.0, gt=0, description="frame rate that --masks frame numbers count in "
                                                     "(ReVOS / MeViS name frames by source index)")
    speed_seconds: float = Field(4.0, gt=0, description="length of every speed render")
    scene_seconds: float = Field(30.0, gt=0, description="action/effect clip: first seconds of the video")
    scene_frames: int = Field(8, ge=2, le=64, description="frames per scene clip for image trainers")
    bench_share: float = Field(0.5, ge=0, le=1, description="share of videos in the benchmark split")
    rows_per_shard: int = Field(100_000, ge=1)

    @field_validator("frame_counts", mode="before")
    @classmethod
    def _listed(cls, value: object) -> object:
        """``"2,3,4"`` (the command line's form) -> (2, 3, 4)."""
        if isinstance(value, str):
            try:
                return tuple(int(x) for x in value.split(","))
            except ValueError:
                raise ValueError("frame_counts: expected comma-separated numbers, e.g. 2,3,4") from None
        return value

    @field_validator("frame_counts")
    @classmethod
    def _counts(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(n < 2 or n > 9 for n in value) or len(set(value)) != len(value):
            raise ValueError("frame_counts must be distinct values in 2..9")
        return tuple(sorted(value))
