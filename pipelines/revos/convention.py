"""The one text convention of revos answers, and the relative time tokens.

- Times: seconds with one decimal and an ``s`` (``12.3s``); a span is ``12.3s to 15.0s``.
- Boxes: ``[x1, y1, x2, y2]`` normalised to 0..1 with three decimals (``[0.125, 0.300, 0.500, 0.910]``);
  a track is boxes joined by ``; `` each prefixed by its time (``1.0s [..]; 2.0s [..]``).
- Masks never appear as text: a segmentation token (default ``[SEG]``) stands for one object's
  masks, and the record's ``seg_masks`` column lists, per token in order, the indices of those
  masks in its ``masks`` column. A region token (default ``<region>``) in a question is the visual
  prompt; ``region_masks`` gives its mask index, per token in order.
- Time tokens: a time ``t`` in a video spanning ``[t0, t1]`` is bin ``round((t - t0) / (t1 - t0) *
  (bins - 1))`` of ``bins`` (default 100, ``<TEMP-00>`` .. ``<TEMP-99>``); :func:`token_time` maps a
  bin back, within half a bin of the original time.
The raw targets are always stored in typed columns next to the text.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field, field_validator

from pipelines.core.config import StrictModel

Box = Sequence[float]


class Tokens(StrictModel):
    """Special tokens (configurable: models differ in what they reserve)."""

    region: str = Field("<region>", min_length=1, description="token standing for an object's mask prompt")
    seg: str = Field("[SEG]", min_length=1, description="token standing for an object's mask targets")
    time_format: str = Field("<TEMP-{:02d}>", description="str.format pattern of one time bin")
    time_bins: int = Field(100, ge=2, le=10_000, description="relative time tokens over a video")

    @field_validator("time_format")
    @classmethod
    def _formats_a_bin(cls, value: str) -> str:
        try:
            value.format(0)
        except (IndexError, KeyError, ValueError) as exc:
            raise ValueError(f"not a str.format pattern of one integer ({exc})") from None
        return value


def seconds(t: float) -> str:
    return f"{t:.1f}s"


def box_text(box: Box) -> str:
    return "[" + ", ".join(f"{v:.3f}" for v in box) + "]"


def track_text(times: Sequence[float], boxes: Sequence[Box]) -> str:
    return "; ".join(f"{seconds(t)} {box_text(b)}" for t, b in zip(times, boxes, strict=True))


def time_bin(t: float, t0: float, t1: float, bins: int) -> int:
    if t1 <= t0:
        return 0
    return min(bins - 1, max(0, round((t - t0) / (t1 - t0) * (bins - 1))))


def token_time(index: int, t0: float, t1: float, bins: int) -> float:
    return t0 + (t1 - t0) * index / (bins - 1)


def timed(t: float, t0: float, t1: float, tokens: Tokens) -> str:
    """``1.2s (<TEMP-12>)``: the time in seconds followed by its token."""
    return f"{seconds(t)} ({tokens.time_format.format(time_bin(t, t0, t1, tokens.time_bins))})"
