"""Group validated AVA rows into keyframes of persons (video, timestamp -> persons with actions).

Rules that keep every question verifiable:
- rows at an excluded (video, timestamp) are rejected (``excluded_timestamp``);
- an exact repeat of (video, timestamp, person, action) is rejected (``duplicate_row``);
- a keyframe that also had a malformed row is rejected whole (``keyframe_has_bad_row``): the bad
  row may have carried an action or a person we cannot see, which could make a distractor true or
  a referring phrase point at the wrong person;
- a person with two different boxes at one keyframe rejects that keyframe
  (``inconsistent_person_box``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from pipelines.finebench.ava import AvaRow, RowReject

Box = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class Person:
    person_id: int
    box: Box
    action_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Keyframe:
    video_id: str
    timestamp: int
    persons: tuple[Person, ...]


def group_keyframes(rows: list[AvaRow], row_rejects: list[RowReject],
                    excluded: set[tuple[str, int]]) -> tuple[dict[str, list[Keyframe]], list[RowReject]]:
    """Return keyframes per video (videos and timestamps sorted) and the extra row rejections."""
    tainted: dict[tuple[str, int], int] = {}
    for bad in row_rejects:
        if bad.video_id is not None and bad.timestamp is not None:
            tainted.setdefault((bad.video_id, bad.timestamp), bad.line)
    extra: list[RowReject] = []
    seen: set[tuple[str, int, int, int]] = set()
    grouped: dict[tuple[str, int], list[AvaRow]] = defaultdict(list)
    for row in rows:
        key = (row.video_id, row.timestamp)
        if key in excluded:
            extra.append(RowReject(row.line, "excluded_timestamp", f"{row.video_id},{row.timestamp}"))
            continue
        ident = (row.video_id, row.timestamp, row.person_id, row.action_id)
        if ident in seen:
            extra.append(RowReject(row.line, "duplicate_row", "repeat of an earlier row"))
            continue
        seen.add(ident)
        grouped[key].append(row)

    videos: dict[str, list[Keyframe]] = defaultdict(list)
    for key in sorted(grouped):
        members = grouped[key]
        if key in tainted:
            extra.extend(RowReject(r.line, "keyframe_has_bad_row", f"bad row at line {tainted[key]}")
                         for r in members)
            continue
        boxes: dict[int, Box] = {}
        actions: dict[int, set[int]] = defaultdict(set)
        consistent = True
        for row in members:
            if boxes.setdefault(row.person_id, row.box) != row.box:
                consistent = False
            actions[row.person_id].add(row.action_id)
        if not consistent:
            extra.extend(RowReject(r.line, "inconsistent_person_box", "person has two boxes")
                         for r in members)
            continue
        persons = tuple(Person(pid, boxes[pid], tuple(sorted(actions[pid]))) for pid in sorted(boxes))
        videos[key[0]].append(Keyframe(key[0], key[1], persons))
    return dict(videos), extra
