"""Binary ordering probe: yes/no statements about the order of two events of one video.

Needs at least four timed events with distinct start times. The middle event is fixed and paired,
on each side, with one partner per band. Bands by *hops* (the published definition, default): the
events 1 hop (near), 2 hops (moderate) and the farthest >= 3 hops (far) away. Bands by *seconds*
(the time separations the published text gives for those bands): the nearest event whose start is
10-20 s (near), 20-30 s (moderate) or >= 30 s (far) from the middle event's; a side without such
an event has no statements for that band.
For an ordered pair (a before b) the four statements are: a before b (yes), a after b (no),
b after a (yes), b before a (no). Scoring (:func:`score_probe`): a sub-category (distance, side)
passes with at least 3 of its 4 statements right; a distance category with at least 5 of 8.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pipelines.timewarp.events import Event
from pipelines.timewarp.temporal_qa import phrase

DISTANCES = {1: "near", 2: "moderate"}
SECOND_BANDS = {"near": (10.0, 20.0), "moderate": (20.0, 30.0), "far": (30.0, float("inf"))}


@dataclass(frozen=True)
class ProbeStatement:
    distance: str
    side: str  # the partner is "before" or "after" the middle event
    hops: int
    gap_seconds: float
    event_a: str  # the earlier event
    event_b: str
    statement: str
    answer: str  # "yes" | "no"


def _sentence(first: str, relation: str, second: str) -> str:
    return f"{phrase(first)} happens {relation} {phrase(second)}."


def _hop_partners(distinct: list[Event], middle: int, step: int) -> list[tuple[str, int]]:
    reach = middle if step < 0 else len(distinct) - 1 - middle
    # "far" = the farthest event >= 3 hops away
    return [(DISTANCES.get(hops, "far"), reach if hops == 3 else hops)
            for hops in (1, 2, 3) if hops <= reach]


def _second_partners(distinct: list[Event], middle: int, step: int) -> list[tuple[str, int]]:
    found = []
    for band, (low, high) in SECOND_BANDS.items():
        hops = 1
        while 0 <= middle + step * hops < len(distinct):
            gap = abs(distinct[middle + step * hops].start - distinct[middle].start)
            if low <= gap < high:
                found.append((band, hops))
                break
            hops += 1
    return found


def probe_statements(events: list[Event], bands: str = "hops") -> list[ProbeStatement] | None:
    """Statements for one video (events in true order), or None if it has too few events
    (or, with ``bands="seconds"``, no partner in any band)."""
    distinct = sorted({e.start: e for e in events}.values(), key=lambda e: e.start)
    if len(distinct) < 4:
        return None
    middle = len(distinct) // 2
    partners = _hop_partners if bands == "hops" else _second_partners
    statements: list[ProbeStatement] = []
    for side, step in (("before", -1), ("after", 1)):
        for distance, actual in partners(distinct, middle, step):
            partner = distinct[middle + step * actual]
            a, b = (partner, distinct[middle]) if step < 0 else (distinct[middle], partner)
            gap = round(b.start - a.start, 3)
            for relation, x, y, truth in (("before", a, b, "yes"), ("after", a, b, "no"),
                                          ("after", b, a, "yes"), ("before", b, a, "no")):
                statements.append(ProbeStatement(distance, side, actual, gap, a.description,
                                                 b.description, _sentence(x.description, relation,
                                                                          y.description), truth))
    return statements or None


def score_probe(items: Iterable[tuple[str, str, str, bool]]) -> dict[str, Mapping[str, float]]:
    """Pass rates from (video_id, distance, side, correct) tuples, one per answered statement."""
    sub: dict[tuple[str, str, str], list[bool]] = defaultdict(list)
    for video, distance, side, correct in items:
        sub[(video, distance, side)].append(correct)
    sub_pass: dict[str, list[bool]] = defaultdict(list)
    category: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for (video, distance, _side), marks in sub.items():
        sub_pass[distance].append(sum(marks) >= 3)
        category[(video, distance)].extend(marks)
    cat_pass: dict[str, list[bool]] = defaultdict(list)
    for (_video, distance), marks in category.items():
        if len(marks) == 8:
            cat_pass[distance].append(sum(marks) >= 5)
    return {"subcategory_pass_rate": {d: sum(v) / len(v) for d, v in sub_pass.items()},
            "category_pass_rate": {d: sum(v) / len(v) for d, v in cat_pass.items()}}
