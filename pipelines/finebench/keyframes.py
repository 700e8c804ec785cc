"""Group validated AVA rows into persons at keyframes (column-wise, one sort).

Rules that keep every question verifiable:
- rows at an excluded (video, timestamp) are rejected (``excluded_timestamp``);
- an exact repeat of (video, timestamp, person, action) is rejected (``duplicate_row``); the
  earliest line is kept;
- a keyframe that also had a malformed row is rejected whole (``keyframe_has_bad_row``): the bad
  row may have carried an action or a person we cannot see, which could make a distractor true or
  a referring phrase point at the wrong person;
- a person with two different boxes at one keyframe rejects that keyframe
  (``inconsistent_person_box``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.core.ava import RowReject
from pipelines.core.ava_columns import AvaColumns

Box = tuple[float, float, float, float]
_TS_SPAN = np.int64(1 << 31)  # timestamps have at most 9 digits


@dataclass(frozen=True)
class PersonTable:
    """Accepted persons, one row per (video, timestamp, person id), sorted in that order.

    ``video`` indexes ``video_ids`` (sorted); person ``i`` has the sorted action ids
    ``action_ids[action_offsets[i]:action_offsets[i + 1]]``.
    """

    video_ids: list[str]
    video: np.ndarray
    timestamp: np.ndarray
    person_id: np.ndarray
    box: np.ndarray  # (n, 4) float64
    action_offsets: np.ndarray  # (n + 1,)
    action_ids: np.ndarray

    def __len__(self) -> int:
        return len(self.video)

    def video_ranges(self) -> list[tuple[str, int, int]]:
        """(video id, first person row, end row) of every video with persons, in id order."""
        if not len(self):
            return []  # every row was rejected or excluded
        starts = np.flatnonzero(np.r_[True, self.video[1:] != self.video[:-1]]).tolist()
        ends = [*starts[1:], len(self)]
        return [(self.video_ids[int(self.video[s])], s, e) for s, e in zip(starts, ends, strict=True)]


def _run_starts(*keys: np.ndarray) -> np.ndarray:
    """True where any key differs from the previous row (rows already sorted by the keys)."""
    if not len(keys[0]):
        return np.zeros(0, dtype=bool)
    change = np.zeros(len(keys[0]), dtype=bool)
    change[0] = True
    for key in keys:
        change[1:] |= key[1:] != key[:-1]
    return change


def group_keyframes(rows: AvaColumns, row_rejects: list[RowReject], excluded: set[tuple[str, int]]
                    ) -> tuple[PersonTable, list[RowReject]]:
    """Persons of the accepted keyframes and the extra row rejections (see the module rules)."""
    code = {v: i for i, v in enumerate(rows.video_ids)}
    frame_key = rows.video * _TS_SPAN + rows.timestamp
    extra: list[RowReject] = []
    excluded_keys = [code[v] * _TS_SPAN + t for v, t in excluded if v in code]
    is_excluded = np.isin(frame_key, excluded_keys)
    for index in np.flatnonzero(is_excluded).tolist():
        extra.append(RowReject(int(rows.line[index]), "excluded_timestamp",
                               f"{rows.video_ids[rows.video[index]]},{rows.timestamp[index]}"))

    keep = np.flatnonzero(~is_excluded)
    order = keep[np.lexsort((rows.line[keep], rows.action[keep], rows.person[keep], frame_key[keep]))]
    key, person, action = frame_key[order], rows.person[order], rows.action[order]
    repeat = ~_run_starts(key, person, action)
    extra += [RowReject(int(line), "duplicate_row", "repeat of an earlier row")
              for line in rows.line[order[repeat]].tolist()]
    order, key, person, action = order[~repeat], key[~repeat], person[~repeat], action[~repeat]
    box = rows.box[order]

    person_start = _run_starts(key, person)
    group = np.cumsum(person_start) - 1
    first_box = box[np.flatnonzero(person_start)][group]
    odd_box = np.any(box != first_box, axis=1)
    tainted: dict[int, int] = {}
    for bad in sorted(row_rejects, key=lambda r: r.line):
        if bad.video_id in code and bad.timestamp is not None:
            tainted.setdefault(code[bad.video_id] * int(_TS_SPAN) + bad.timestamp, bad.line)
    bad_frames = set(key[odd_box].tolist()) | set(tainted)
    dropped = np.isin(key, list(bad_frames))
    for index in np.flatnonzero(dropped).tolist():
        frame = int(key[index])
        reason, detail = (("keyframe_has_bad_row", f"bad row at line {tainted[frame]}") if frame in tainted
                          else ("inconsistent_person_box", "a person has two boxes"))
        extra.append(RowReject(int(rows.line[order[index]]), reason, detail))

    order, person_start = order[~dropped], person_start[~dropped]
    heads = np.flatnonzero(person_start)
    persons = PersonTable(rows.video_ids, rows.video[order[heads]], rows.timestamp[order[heads]],
                          rows.person[order[heads]], rows.box[order[heads]],
                          np.append(heads, len(order)).astype(np.int64), rows.action[order])
    return persons, extra
