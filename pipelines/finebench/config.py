"""Parameters of a finebench build (everything that changes the output bytes)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from pipelines.core.config import StrictModel


class FrameWindow(StrictModel):
    """Which frame times each question needs, around the target keyframe ``t`` (seconds).

    ``window``: ``num_frames`` frames ``stride`` apart with the target in the middle (for an even
    count the extra frame is after the target). ``streaming``: the target is the last frame.
    """

    mode: Literal["window", "streaming"] = Field(
        "window", description="target frame in the middle (window) or last (streaming)")
    num_frames: int = Field(5, ge=1, le=64, description="frames per question")
    stride: float = Field(1.0, gt=0, le=30, description="seconds between frames")

    def times(self, target: float) -> list[float]:
        if self.mode == "streaming":
            return [target - (self.num_frames - 1 - i) * self.stride for i in range(self.num_frames)]
        before = (self.num_frames - 1) // 2
        return [target + (i - before) * self.stride for i in range(self.num_frames)]


class FinebenchParams(StrictModel):
    seed: int = Field(0, ge=0, description="random seed")
    similarity_map: str = Field("curated", pattern=r"^[a-z0-9_]+$",
                                description="similarity_maps/ava_<name>.yaml")
    min_center_gap: float = Field(0.03, ge=0.0, le=0.5,
                                  description="persons whose box centres are closer than this "
                                              "(fraction of width) are not ordered; unit rejected")
    max_horizontal_overlap: float = Field(0.8, ge=0.0, le=1.0,
                                          description="a target whose box shares more than this "
                                                      "fraction of the narrower width with a "
                                                      "neighbour's is not named; unit rejected")
    option_mode: Literal["cross", "per_category"] = Field(
        "cross", description="cross: one true action and three false ones from any category (two and "
                             "'none of these' in the --none-option family), keys and wrong options "
                             "balanced (crossplan.py); per_category: the published form, four options "
                             "of the unit's category")
    max_key_ratio: float = Field(0.25, gt=0.0, le=1.0,
                                 description="cross mode: an action may be the key in at most this "
                                             "share of the questions that show it (0.25 = chance)")
    fallback_key_ratio: float = Field(0.27, ge=0.0, le=1.0,
                                      description="cross mode: when fewer than 60% of the units are "
                                                  "kept at max_key_ratio, plan again at this ratio and "
                                                  "use it if its text-only check stays <= 29% "
                                                  "(keyratio.py; needs --blind-sample > 0; 0 = never)")
    share_slack: float = Field(0.03, ge=0.0, le=0.2,
                               description="cross mode: a category's share of the kept questions "
                                           "may differ from its share of the units by this much")
    none_option: bool = Field(True, description="cross mode: a family of questions whose fourth option "
                                                 "is \"none of these\", the key in a quarter of them "
                                                 "(capped units kept with three false actions; "
                                                 "noneplan.py); excludes --not-form")
    not_form: bool = Field(False, description="cross mode: units whose key is capped may be asked "
                                              "\"which one is {person} NOT doing?\" (three true "
                                              "actions, one false key; notplan.py)")
    not_donors: float = Field(1.0, ge=0.0, le=1.0,
                              description="NOT form: chance that a kept unit whose person shows three "
                                          "non-pose actions is asked in the NOT form (it can then "
                                          "host a pose as the key)")
    pose_pairs: bool = Field(True, description="cross mode: a movement question shows another pose as "
                                                "wrong only as often as other questions show both "
                                                "(posepairs.py)")
    tier_a_boost: float = Field(3.0, gt=0, description="per_category mode: weight multiplier for "
                                                       "curated similar actions")
    max_answer_share: float = Field(0.25, gt=0, le=1.0,
                                    description="per_category mode: cap on any one answer's share "
                                                "of its category (1 = no cap); see balance.py")
    blind_sample: int = Field(20_000, ge=0,
                              description="questions the core blind model is trained and tested on "
                                          "(a keyed sample when there are more; 0 = not computed)")
    frames: FrameWindow = FrameWindow()
    subset_fraction: float = Field(0.10, gt=0, le=1.0, description="share of videos in the subset config")
    rows_per_shard: int = Field(100_000, ge=1, description="rows per parquet shard")

    @model_validator(mode="after")
    def _one_rescue_form(self) -> FinebenchParams:
        """Capped units are rescued by one form: "none of these" or NOT, not both."""
        if self.none_option and self.not_form:
            raise ValueError("none_option and not_form cannot both be on: choose --no-none-option "
                             "to use the NOT form")
        return self
