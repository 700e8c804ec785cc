"""Meaning of Order: first appears / last appears / in which frames, from presence tracks (pure).

Frames are shown in time order. A track can be asked about when the source says something about
every shown frame (a sample within the tolerance) and the object is present in some frames and
absent in others (constant presence makes "first" and "last" trivial). The object must also be
the only one the source sees in those frames, so "the person" names exactly one object.
Options are ordinals ("the second frame") or sets of ordinals ("the first and third frames");
wrong options never include the full set (the key never is) and are drawn uniformly. Every option
names only frames that are shown (a "fourth frame" among three would be a free elimination for a
model that counts its images), so first/last need N >= 4 (three other frames), "which" N >= 3
(five other proper subsets), and N = 2 gets no question (:func:`kinds_for`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from pipelines.core.presence import Track
from pipelines.core.rng import UnitRng
from pipelines.fragments.arrange import identity
from pipelines.fragments.phrasing import Phrasings
from pipelines.fragments.questions import Question, Sample, VideoDraws, mcq

KINDS = ("first", "last", "which")


def kinds_for(n: int) -> tuple[str, ...]:
    """The question kinds whose four options can all name frames among the ``n`` shown."""
    return KINDS if n >= 4 else ("which",) if n == 3 else ()


def presence_at(track: Track, times: Sequence[float], tolerance: float) -> tuple[bool, ...] | None:
    """The track's presence at every time, or None when any time has no sample near it."""
    seen = [track.present_at(t, tolerance) for t in times]
    return None if any(s is None for s in seen) else tuple(bool(s) for s in seen)


def usable_tracks(tracks: Sequence[Track], times: Sequence[float],
                  tolerance: float) -> tuple[list[tuple[Track, tuple[bool, ...]]], str]:
    """Tracks that can be asked about at ``times``, and the reason code when there are none."""
    known = [(t, p) for t in tracks if (p := presence_at(t, times, tolerance)) is not None]
    if not known:
        return [], "no_presence_at_frames"
    mixed = [(t, p) for t, p in known if any(p) and not all(p)]
    if not mixed:
        return [], "presence_constant"
    alone = [(t, p) for t, p in mixed
             if not any(any(q) for other, q in known if other.object_id != t.object_id)]
    return (alone, "") if alone else ([], "ambiguous_object")


def frames_text(positions: Sequence[int], phr: Phrasings) -> str:
    names = [phr.ordinal(k) for k in positions]
    if len(names) == 1:
        return phr.options["one_frame"].format(ordinal=names[0])
    joined = ", ".join(names[:-1]) + " and " + names[-1]
    return phr.options["several_frames"].format(ordinals=joined)


def _key_and_pool(kind: str, present: tuple[bool, ...]) -> tuple[tuple[int, ...], list[tuple[int, ...]]]:
    n = len(present)
    seen = tuple(k for k in identity(n) if present[k - 1])
    if kind == "first":
        key = (seen[0],)
    elif kind == "last":
        key = (seen[-1],)
    else:
        proper = [c for size in range(1, n) for c in itertools.combinations(identity(n), size)]
        return seen, [c for c in proper if c != seen]
    return key, [(k,) for k in identity(n) if (k,) != key]


def meaning_of_order(sample: Sample, track: Track, present: tuple[bool, ...], rng: UnitRng,
                     draws: VideoDraws, phr: Phrasings) -> Question:
    kinds = kinds_for(sample.n)
    if not kinds:
        raise ValueError(f"no four-option question about presence in {sample.n} frames")
    kind = rng.choice(kinds)
    key, pool = _key_and_pool(kind, present)
    others = [frames_text(c, phr) for c in rng.sample(pool, 3)]
    obj = f"the {track.label}" if track.label else "the object"
    template, text = phr.draw(rng, kind, object=obj, object_cap=obj[:1].upper() + obj[1:])
    options, answer = mcq(draws, rng, frames_text(key, phr), others)
    return Question("meaning_of_order", f"{kind}/{track.object_id}", sample.n, sample.frames, sample.times,
                    identity(sample.n), text, options, answer, template)
