"""Readers for AVA v2.2 files: annotation CSV, label map (pbtxt), excluded timestamps.

File-level problems (missing file, empty file, wrong column count on the first row, unreadable
label map) raise :class:`InputError` — one line naming file, line and problem. Row-level problems
never raise: the row is returned as a rejection with a reason code. BOM and CRLF are accepted.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from pipelines.core.csvtext import csv_problem, read_rows, split_line
from pipelines.core.errors import InputError
from pipelines.core.validate import INT32_MAX, read_text_checked

CSV_COLUMNS = ("video_id", "timestamp", "x1", "y1", "x2", "y2", "action_id", "person_id")
CATEGORY_OF_LABEL_TYPE = {"PERSON_MOVEMENT": "person_movement",
                          "OBJECT_MANIPULATION": "object_manipulation",
                          "PERSON_INTERACTION": "person_interaction"}
# Safe file names: no leading '.' (hidden media is not published, '..' escapes), at most 128 chars.
_VIDEO_ID = re.compile(r"^[A-Za-z0-9_\-][A-Za-z0-9_\-.]{0,127}$")


class AvaRow(NamedTuple):
    video_id: str
    timestamp: int
    box: tuple[float, float, float, float]
    action_id: int
    person_id: int
    line: int


@dataclass(frozen=True, slots=True)
class RowReject:
    line: int
    reason: str
    detail: str
    video_id: str | None = None
    timestamp: int | None = None


@dataclass(frozen=True)
class Label:
    id: int
    name: str
    category: str | None


def open_text(path: Path) -> str:
    """The file's text (UTF-8, BOM removed); missing, unreadable, non-regular (directory, FIFO,
    symlink loop) or empty files raise."""
    text = read_text_checked(path)
    if not text.strip():
        raise InputError(path, "empty file")
    return text


def read_label_map(path: Path) -> dict[int, Label]:
    """Parse ``label {name label_id label_type}`` or ``item {name id}`` blocks."""
    text = open_text(path)
    labels: dict[int, Label] = {}
    for match in re.finditer(r"(label|item)\s*\{(.*?)\}", text, re.S):
        body = match.group(2)
        line = text.count("\n", 0, match.start()) + 1
        name = re.search(r'name:\s*"([^"]*)"', body)
        ident = re.search(r"\b(?:label_id|id):\s*(\d+)", body)
        kind = re.search(r"label_type:\s*([A-Z_]+)", body)
        if not name or not ident:
            raise InputError(path, "label block without name or id", line=line)
        category = None
        if kind:
            category = CATEGORY_OF_LABEL_TYPE.get(kind.group(1))
            if category is None:
                raise InputError(path, f"unknown label_type {kind.group(1)}", line=line)
        label_id = int(ident.group(1))
        if label_id in labels:
            raise InputError(path, f"duplicate label id {label_id}", line=line)
        labels[label_id] = Label(label_id, name.group(1), category)
    if not labels:
        raise InputError(path, "no 'label { ... }' or 'item { ... }' blocks found")
    return labels


def read_excluded(path: Path | None) -> set[tuple[str, int]]:
    """``video_id,timestamp`` rows; any malformed row stops the run (it is a small config file)."""
    if path is None:
        return set()
    excluded: set[tuple[str, int]] = set()
    for number, fields in enumerate(read_rows(path, open_text(path).splitlines()), start=1):
        if not fields or not "".join(fields).strip():
            continue
        if len(fields) != 2 or not _is_uint(fields[1].strip()) or not _VIDEO_ID.match(fields[0].strip()) \
                or int(fields[1]) > INT32_MAX:
            raise InputError(path, f"expected 'video_id,timestamp', got {','.join(fields)[:60]!r}",
                             line=number)
        excluded.add((fields[0].strip(), int(fields[1])))
    return excluded


def _is_uint(text: str) -> bool:
    """ASCII digits only (``str.isdigit`` also accepts characters such as "²" that int() refuses)."""
    return text.isascii() and text.isdigit()


def _is_header(fields: list[str]) -> bool:
    return [f.strip().lower() for f in fields] == list(CSV_COLUMNS)


def parse_row(fields: list[str], line: int, known_actions: set[int]) -> AvaRow | RowReject:
    """Validate one CSV row; a problem gives a :class:`RowReject` with a reason code."""
    if len(fields) != 8:
        return RowReject(line, "wrong_field_count", f"{len(fields)} fields, expected 8")
    video_id = fields[0].strip()
    if not _VIDEO_ID.match(video_id):
        return RowReject(line, "bad_video_id", f"{fields[0][:40]!r} (allowed: letters, digits, _ - ., "
                                               "not starting with '.', at most 128 characters)")
    stamp = fields[1].strip()
    if not _is_uint(stamp):
        return RowReject(line, "bad_timestamp", repr(stamp[:20]), video_id)
    if len(stamp) > 10 or int(stamp) > INT32_MAX:
        return RowReject(line, "timestamp_out_of_range", f"{stamp[:20]} exceeds {INT32_MAX}", video_id)
    timestamp = int(stamp)
    try:
        x1, y1, x2, y2 = (float(v) for v in fields[2:6])
    except ValueError:
        return RowReject(line, "bad_box", "non-numeric box " + ",".join(fields[2:6])[:60], video_id,
                         timestamp)
    if not all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in (x1, y1, x2, y2)):
        return RowReject(line, "box_out_of_range", f"{x1},{y1},{x2},{y2}", video_id, timestamp)
    if x1 >= x2 or y1 >= y2:
        return RowReject(line, "box_degenerate", f"x1={x1} x2={x2} y1={y1} y2={y2}", video_id,
                         timestamp)
    action, person = fields[6].strip(), fields[7].strip()
    if not _is_uint(action) or len(action) > 10:
        return RowReject(line, "bad_action_id", repr(action[:20]), video_id, timestamp)
    if int(action) not in known_actions:
        return RowReject(line, "unknown_action", f"action id {action}", video_id, timestamp)
    if not _is_uint(person):
        return RowReject(line, "bad_person_id", repr(person[:20]), video_id, timestamp)
    if len(person) > 10 or int(person) > INT32_MAX:
        return RowReject(line, "person_id_out_of_range", f"{person[:20]} exceeds {INT32_MAX}", video_id,
                         timestamp)
    return AvaRow(video_id, timestamp, (x1, y1, x2, y2), int(action), int(person), line)


def no_rows_error(path: Path) -> InputError:
    return InputError(path, "no annotation rows (only a header)")


def check_first_line(path: Path, line: str, number: int = 1) -> bool:
    """True when the first non-blank line is the header; a data line must have 8 fields."""
    fields = split_line(line)
    if fields is None:
        raise InputError(path, csv_problem(line), line=number)
    if _is_header(fields):
        return True
    if len(fields) != 8:
        raise InputError(path, f"expected 8 comma-separated columns ({', '.join(CSV_COLUMNS)}),"
                         f" found {len(fields)}", line=number)
    return False


def read_annotations(path: Path, known_actions: set[int]) -> tuple[list[AvaRow], list[RowReject], int]:
    """Read the annotation CSV row by row. Returns (valid rows, row rejections, number of data rows).

    This is the reference reader, used for irregular files; :mod:`ava_columns` is the fast
    column-wise reader built on :func:`parse_row` (same results)."""
    rows: list[AvaRow] = []
    rejects: list[RowReject] = []
    first = True
    total = 0
    for number, line in enumerate(open_text(path).splitlines(), start=1):
        if not line or line.isspace():
            continue
        if first:
            first = False
            if check_first_line(path, line, number):
                continue
        total += 1
        fields = split_line(line)
        parsed = (RowReject(number, "malformed_csv", csv_problem(line)) if fields is None
                  else parse_row(fields, number, known_actions))
        (rejects if isinstance(parsed, RowReject) else rows).append(parsed)
    if total == 0:
        raise no_rows_error(path)
    return rows, rejects, total
