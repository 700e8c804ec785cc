"""Scene-order perturbations and where events land in a perturbed clip.

*reversed*: scenes in reverse order, each scene still playing forward. *shuffled*: a permutation
of whole scenes drawn from the video's own generator that is never the identity and, with three
or more scenes, never the reversal either (so the two perturbations differ); with two scenes the
only non-identity order is the reversal. Which one a video's preference pairs use is drawn per
video as well.
"""

from __future__ import annotations

from pipelines.core.rng import UnitRng
from pipelines.timewarp.events import Event
from pipelines.timewarp.trim import TrimmedVideo

GAP = ""  # a dropped activity's place in a play sequence (never named, never skipped over)

Order = tuple[int, ...]


def reversed_order(count: int) -> Order:
    return tuple(range(count - 1, -1, -1))


def shuffled_order(count: int, rng: UnitRng) -> Order:
    if count < 2:
        raise ValueError("a shuffle needs at least two scenes")
    identity, backwards = tuple(range(count)), reversed_order(count)
    if count == 2:
        return backwards
    while True:
        order = list(range(count))
        rng.shuffle(order)
        if tuple(order) not in (identity, backwards):
            return tuple(order)


def event_times(video: TrimmedVideo, order: Order, gaps: bool = False) -> list[tuple[float, Event]]:
    """(time in the rendered clip, event) for every event (and dropped activity when ``gaps``),
    sorted by that time."""
    offsets: dict[int, float] = {}
    position = 0.0
    for index in order:
        offsets[index] = position
        scene = video.scenes[index]
        position += scene.end - scene.start
    events = video.timeline if gaps else video.events
    timed = [(offsets[e.scene] + e.start - video.scenes[e.scene].start, e) for e in events]
    return sorted(timed, key=lambda pair: pair[0])


def event_sequence(video: TrimmedVideo, order: Order) -> list[str]:
    """Event descriptions in the order they are seen when scenes play in ``order``."""
    return [event.description for _, event in event_times(video, order)]


def play_sequence(video: TrimmedVideo, order: Order) -> list[str]:
    """Like :func:`event_sequence`, with :data:`GAP` where a dropped activity plays, so that
    questions about neighbours can tell a real neighbour from one that skips a dropped activity."""
    return [GAP if event.dropped else event.description for _, event in event_times(video, order, True)]
