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
    # (video, ts) -> person -> [box, actions, lines]; one pass, no per-row objects beyond the row
    grouped: dict[tuple[str, int], dict[int, list]] = {}
    inconsistent: set[tuple[str, int]] = set()
    for row in rows:
        key = (row.video_id, row.timestamp)
        if excluded and key in excluded:
            extra.append(RowReject(row.line, "excluded_timestamp", f"{row.video_id},{row.timestamp}"))
            continue
        people = grouped.get(key)
        if people is None:
            people = grouped[key] = {}
        entry = people.get(row.person_id)
        if entry is None:
            people[row.person_id] = [row.box, [row.action_id], [row.line]]
            continue
        if row.action_id in entry[1]:
            extra.append(RowReject(row.line, "duplicate_row", "repeat of an earlier row"))
            continue
        if entry[0] != row.box:
            inconsistent.add(key)
        entry[1].append(row.action_id)
        entry[2].append(row.line)

    videos: dict[str, list[Keyframe]] = {}
    for key in sorted(grouped):
        people = grouped[key]
        if key in tainted or key in inconsistent:
            reason, detail = (("keyframe_has_bad_row", f"bad row at line {tainted[key]}") if key in tainted
                              else ("inconsistent_person_box", "a person has two boxes"))
            extra.extend(RowReject(line, reason, detail) for entry in people.values() for line in entry[2])
            continue
        persons = tuple(Person(pid, people[pid][0], tuple(sorted(people[pid][1]))) for pid in sorted(people))
        videos.setdefault(key[0], []).append(Keyframe(key[0], key[1], persons))
    return videos, extra
