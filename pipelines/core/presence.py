"""Object presence over time: one small interface shared by every recipe that asks "when is it seen".

A :class:`Track` is one object of one video (an AVA person_id, a ReVOS/MeViS object, ...) sampled
at known times: ``present[i]`` says whether the object is visible at ``times[i]`` seconds. Sources
differ only in where the samples come from (AVA keyframes at 1 Hz, one mask per video frame); the
questions built on top (first appears, last appears, in which frames) read tracks only.

Contract of a source (:class:`PresenceSource`): ``video_ids()`` lists the videos it knows, in a
stable order; ``tracks(video_id)`` returns that video's tracks in a stable order (by object id),
with ``times`` strictly ascending. A video the source does not know has no tracks.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Track:
    """One object's sampled presence in one video (``times`` strictly ascending, seconds)."""

    video_id: str
    object_id: str
    times: tuple[float, ...]
    present: tuple[bool, ...]
    label: str = ""

    def __post_init__(self) -> None:
        if len(self.times) != len(self.present):
            raise ValueError("times and present must have the same length")
        if any(b <= a for a, b in zip(self.times, self.times[1:], strict=False)):
            raise ValueError("times must be strictly ascending")

    def present_at(self, time: float, tolerance: float) -> bool | None:
        """Presence at the sample nearest ``time``; ``None`` when no sample lies within
        ``tolerance`` seconds (the source says nothing about that moment)."""
        if not self.times:
            return None
        at = bisect.bisect_left(self.times, time)
        nearest = min((i for i in (at - 1, at) if 0 <= i < len(self.times)),
                      key=lambda i: abs(self.times[i] - time))
        if abs(self.times[nearest] - time) > tolerance:
            return None
        return self.present[nearest]

    def spans(self) -> list[tuple[float, float]]:
        """Contiguous runs of presence as (first, last) sample times, in time order."""
        runs: list[tuple[float, float]] = []
        start: float | None = None
        for index, (time, seen) in enumerate(zip(self.times, self.present, strict=True)):
            if seen and start is None:
                start = time
            if start is not None and (not seen or index == len(self.times) - 1):
                runs.append((start, time if seen else self.times[index - 1]))
                start = None
        return runs


class PresenceSource(Protocol):
    """Where tracks come from (AVA person tracks, segmentation masks, ...)."""

    def video_ids(self) -> Sequence[str]: ...

    def tracks(self, video_id: str) -> Sequence[Track]: ...
