"""Object presence over time: one small interface shared by every recipe that asks "when is it seen".

A :class:`Track` is one object of one video (an AVA person_id, a ReVOS/MeViS object, ...) sampled
at known times: ``present[i]`` says whether the object is visible at ``times[i]`` seconds. Sources
differ only in where the samples come from (AVA keyframes at 1 Hz, one mask per video frame); the
questions built on top (first appears, last appears, in which frames) read tracks only.

Contract of a source (:class:`PresenceSource`): ``video_ids()`` lists the videos it knows, in a
stable order; ``tracks(video_id)`` returns that video's tracks in a stable order (by object id),
with ``times`` strictly ascending. A video the source does not know has no tracks.

Sources here: :class:`AvaPresence` (AVA person tracks, :func:`read_ava_presence`). Mask sources
live in their own module and implement the same protocol.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pipelines.core.ava import AvaRow, RowReject, read_annotations


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


AVA_KEYFRAMES = range(902, 1799)  # AVA v2.2 annotates movie seconds 902..1798 of every video


@dataclass(frozen=True)
class AvaPresence:
    """AVA person tracks as a :class:`PresenceSource`.

    AVA annotates every keyframe (one per second, movie seconds 902 to 1798: :data:`AVA_KEYFRAMES`);
    a ``person_id`` labelled at a keyframe is present there and absent at the other keyframes of
    the video. The samples of a video are those keyframes plus any other annotated timestamp.
    Times are ``timestamp - time_offset`` seconds (AVA timestamps count from the start of the
    movie; the usual 15-minute clips cut at 15:00 use ``time_offset=900``); samples before 0 s
    are dropped.
    """

    samples: Mapping[str, tuple[float, ...]]
    people: Mapping[str, Mapping[int, frozenset[float]]]

    def video_ids(self) -> Sequence[str]:
        return sorted(self.samples)

    def tracks(self, video_id: str) -> Sequence[Track]:
        times = self.samples.get(video_id, ())
        return [Track(video_id, str(person), times, tuple(t in seen for t in times), "person")
                for person, seen in sorted(self.people.get(video_id, {}).items())]


def ava_presence(rows: Iterable[AvaRow], time_offset: float = 0.0,
                 keyframes: Iterable[int] = AVA_KEYFRAMES) -> AvaPresence:
    """Build :class:`AvaPresence` from parsed AVA rows (several actions of one person at one
    keyframe count once); ``keyframes`` are the timestamps annotated in every video."""
    every = [k - time_offset for k in keyframes if k >= time_offset]
    samples: dict[str, set[float]] = defaultdict(set)
    people: dict[str, dict[int, set[float]]] = defaultdict(lambda: defaultdict(set))
    for row in rows:
        time = row.timestamp - time_offset
        if time < 0:
            continue
        if row.video_id not in samples:
            samples[row.video_id].update(every)
        samples[row.video_id].add(time)
        people[row.video_id][row.person_id].add(time)
    return AvaPresence({v: tuple(sorted(ts)) for v, ts in samples.items()},
                       {v: {p: frozenset(ts) for p, ts in by.items()} for v, by in people.items()})


def read_ava_presence(path: Path, time_offset: float = 0.0) -> tuple[AvaPresence, list[RowReject], int]:
    """Read an AVA v2.2 CSV as person tracks: (source, row rejections, data rows). Action ids are
    not checked against a label map (presence does not need them); file-level problems raise
    InputError as in :func:`pipelines.core.ava.read_annotations`."""
    rows, rejects, total = read_annotations(path, _ANY_ACTION)
    return ava_presence(rows, time_offset), rejects, total


class _AnyAction(set[int]):
    """Every action id (presence reads person ids only)."""

    def __contains__(self, item: object) -> bool:
        return isinstance(item, int)


_ANY_ACTION = _AnyAction()
