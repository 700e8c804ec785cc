"""Column-wise reading of the AVA annotation CSV (the fast path for large files).

Contract: :func:`read_annotation_columns` returns exactly what :func:`ava.read_annotations` would
(same accepted rows, same rejections with the same line numbers and reasons, same file-level
errors), as columns instead of one object per row.

How: a *regular* file (no quotes, no blank lines, no line separators other than ``\\n`` / ``\\r\\n``,
8 fields on every line) is parsed by Arrow's CSV reader into string columns, which are checked
with vectorised regular expressions and range tests. Rows passing every check are the clean
common case; every other row goes through :func:`ava.parse_row`, the detailed per-row validator,
so the rejection reasons are the scalar reader's. An irregular file is read by the scalar reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pipelines.core import ava
from pipelines.core.ava import CSV_COLUMNS, AvaRow, RowReject

# Anything the csv module or str.splitlines would treat differently from a plain split on "\n" and ",".
_IRREGULAR = ('"', "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\n\n")
_UINT = r"^[0-9]{1,9}$"
_DECIMAL = r"^[0-9]{0,9}\.?[0-9]{1,17}$|^[0-9]{1,9}\.$"
_VIDEO = r"^[A-Za-z0-9_\-][A-Za-z0-9_\-.]{0,127}$"  # ava._VIDEO_ID: safe file names


@dataclass(frozen=True)
class AvaColumns:
    """Valid annotation rows as columns (file order). ``video`` indexes ``video_ids`` (sorted)."""

    video_ids: list[str]
    video: np.ndarray  # int64
    timestamp: np.ndarray  # int64
    box: np.ndarray  # float64, (n, 4): x1, y1, x2, y2
    action: np.ndarray  # int64
    person: np.ndarray  # int64
    line: np.ndarray  # int64, 1-based line in the file

    def __len__(self) -> int:
        return len(self.line)


def columns_from_rows(rows: list[AvaRow]) -> AvaColumns:
    video_ids = sorted({r.video_id for r in rows})
    code = {v: i for i, v in enumerate(video_ids)}
    return AvaColumns(video_ids, np.array([code[r.video_id] for r in rows], dtype=np.int64),
                      np.array([r.timestamp for r in rows], dtype=np.int64),
                      np.array([r.box for r in rows], dtype=np.float64).reshape(-1, 4),
                      np.array([r.action_id for r in rows], dtype=np.int64),
                      np.array([r.person_id for r in rows], dtype=np.int64),
                      np.array([r.line for r in rows], dtype=np.int64))


def _matches(column: pa.Array, pattern: str) -> np.ndarray:
    return pc.match_substring_regex(column, pattern).to_numpy(zero_copy_only=False)


def _as_numbers(column: pa.Array, ok: np.ndarray, kind: pa.DataType) -> np.ndarray:
    """Cast the rows where ``ok`` holds (they match a numeric pattern); others become 0."""
    safe = pc.if_else(pa.array(ok), column, "0")
    return pc.cast(safe, kind).to_numpy(zero_copy_only=False)


def _numbers(column: pa.Array, pattern: str, kind: pa.DataType) -> tuple[np.ndarray, np.ndarray]:
    """(rows matching ``pattern``, their values as ``kind`` with 0 elsewhere), checked and cast once
    per distinct text: AVA's numeric columns repeat few texts (about a thousand box coordinates
    with three decimals, a few hundred timestamps), so this is a hash per row, not a regex."""
    encoded = pc.dictionary_encode(column)
    codes = encoded.indices.to_numpy()
    valid = _matches(encoded.dictionary, pattern)
    return valid[codes], _as_numbers(encoded.dictionary, valid, kind)[codes]


def _arrow_table(text: str, skip_header: bool) -> pa.Table | None:
    """String columns of a regular file, or None when some line does not have 8 fields."""
    bad_rows: list[int] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad_rows.append(row.number)
        return "skip"

    table = pacsv.read_csv(
        pa.py_buffer(text.encode()),
        read_options=pacsv.ReadOptions(column_names=list(CSV_COLUMNS), skip_rows=int(skip_header),
                                       use_threads=False, block_size=1 << 26),
        parse_options=pacsv.ParseOptions(quote_char=False, escape_char=False, ignore_empty_lines=False,
                                         invalid_row_handler=on_invalid),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(CSV_COLUMNS, pa.string()),
                                             strings_can_be_null=False, check_utf8=False))
    return None if bad_rows else table.combine_chunks()


def read_annotation_columns(path: Path, known_actions: set[int]
                            ) -> tuple[AvaColumns, list[RowReject], int]:
    """Read the annotation CSV. Returns (valid rows as columns, row rejections, number of data rows)."""
    text = ava.open_text(path).replace("\r\n", "\n")
    first = text.split("\n", 1)[0]
    table = None
    if first.strip() and not any(mark in text for mark in _IRREGULAR):
        header = ava.check_first_line(path, first)
        data_lines = text.count("\n") + (not text.endswith("\n")) - header
        table = _arrow_table(text, header)
    if table is None or table.num_rows != data_lines:
        rows, rejects, total = ava.read_annotations(path, known_actions)
        return columns_from_rows(rows), rejects, total
    if data_lines == 0:
        raise ava.no_rows_error(path)
    cols = {name: table.column(name).chunk(0) if table.column(name).num_chunks
            else pa.array([], pa.string()) for name in CSV_COLUMNS}
    encoded = pc.dictionary_encode(cols["video_id"])
    names = encoded.dictionary.to_pylist()
    ok = np.array(_matches(encoded.dictionary, _VIDEO), dtype=bool)[encoded.indices.to_numpy()]
    uints = {}
    for name in ("timestamp", "action_id", "person_id"):
        valid, uints[name] = _numbers(cols[name], _UINT, pa.int64())
        ok &= valid
    box = np.empty((len(ok), 4))
    for i, name in enumerate(("x1", "y1", "x2", "y2")):
        valid, box[:, i] = _numbers(cols[name], _DECIMAL, pa.float64())
        ok &= valid
    lookup = np.zeros(max(max(known_actions, default=0), 0) + 1, dtype=bool)
    lookup[list(known_actions)] = True
    action = uints["action_id"]
    ok &= (box[:, 0] >= 0) & (box[:, 0] < box[:, 2]) & (box[:, 2] <= 1)
    ok &= (box[:, 1] >= 0) & (box[:, 1] < box[:, 3]) & (box[:, 3] <= 1)
    ok &= np.where(action < len(lookup), lookup[np.minimum(action, len(lookup) - 1)], False)
    line = np.arange(1 + header, 1 + header + len(ok), dtype=np.int64)

    rejects: list[RowReject] = []
    extra: list[AvaRow] = []
    for index in np.flatnonzero(~ok).tolist():
        parsed = ava.parse_row([cols[c][index].as_py() for c in CSV_COLUMNS], int(line[index]),
                               known_actions)
        (rejects if isinstance(parsed, RowReject) else extra).append(parsed)
    clean = columns_from_rows(extra)
    codes = encoded.indices.to_numpy()
    video_ids = sorted({names[i] for i in np.unique(codes[ok]).tolist()} | set(clean.video_ids))
    position = {v: i for i, v in enumerate(video_ids)}
    remap = np.array([position.get(v, -1) for v in names], dtype=np.int64)
    extra_remap = np.array([position[v] for v in clean.video_ids], dtype=np.int64)
    video = remap[codes] if len(names) else np.zeros(len(ok), np.int64)
    merged = AvaColumns(
        video_ids,
        np.concatenate([video[ok], extra_remap[clean.video] if len(clean) else clean.video]),
        np.concatenate([uints["timestamp"][ok], clean.timestamp]),
        np.concatenate([box[ok], clean.box]),
        np.concatenate([action[ok], clean.action]),
        np.concatenate([uints["person_id"][ok], clean.person]),
        np.concatenate([line[ok], clean.line]))
    return merged, rejects, len(ok)
