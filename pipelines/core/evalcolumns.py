"""Column-wise (pyarrow) forms of :mod:`pipelines.core.evalformats`, for large exports.

They write the same bytes from pyarrow string columns (no nulls; callers check) with a handful
of C++ kernel calls per column: a field is a list of *pieces* (string
columns and literals, concatenated row-wise by :func:`concat`); :func:`json_string`,
:func:`json_string_list`, :func:`candidates` and :func:`tsv_field` make the pieces of one field;
:func:`json_strings`, :func:`json_string_lists`, :func:`candidates_literals` and :func:`tsv_fields`
are the same as whole columns; :func:`map_unique` renders once per distinct value;
:func:`tsv_lines` / :func:`jsonl_lines` build whole lines and :func:`write_lines` writes them.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.core.atomic import atomic_open, write_sliced
from pipelines.core.evalformats import LETTERS, tsv_text

Piece = pa.Array | str  # a string column, or a literal shared by every row
Field = Piece | Sequence[Piece]  # the pieces of one field, concatenated row-wise


def _array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _pieces(field: Field) -> list[Piece]:
    return [field] if isinstance(field, (str, pa.Array, pa.ChunkedArray)) else list(field)


def concat(pieces: Sequence[Piece]) -> pa.Array:
    """Row-wise concatenation of string columns and literals in one kernel call (at least one column)."""
    merged: list[Piece] = []
    for piece in pieces:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        elif not (isinstance(piece, str) and piece == ""):
            merged.append(piece if isinstance(piece, str) else _array(piece))
    if all(isinstance(piece, str) for piece in merged):
        raise ValueError("concat needs at least one column")
    if len(merged) == 1:
        return merged[0]
    return pc.binary_join_element_wise(*merged, "")


def string_data(values: pa.Array) -> pa.Buffer:
    """The bytes of a string array's values laid end to end (no copy)."""
    if values.null_count:
        raise ValueError("string_data: null values have no text")
    data = values.buffers()[2]
    if len(values) == 0 or data is None:
        return pa.py_buffer(b"")
    bounds = _offsets(values)
    return data.slice(int(bounds[0]), int(bounds[-1] - bounds[0]))


def _offsets(values: pa.Array) -> np.ndarray:
    dtype = np.int64 if pa.types.is_large_string(values.type) else np.int32
    return np.frombuffer(values.buffers()[1], dtype=dtype)[values.offset:values.offset + len(values) + 1]


def rows_with_bytes(values: pa.Array, special: bytes, below: int = 0) -> np.ndarray:
    """Boolean mask of the rows holding a byte of ``special`` or a byte ``< below``.

    A numpy scan of the data buffer (UTF-8 multi-byte sequences never contain ASCII bytes).
    """
    found = np.zeros(len(values), dtype=bool)
    data = np.frombuffer(string_data(values), dtype=np.uint8)
    hits = data < below
    for byte in special:
        hits |= data == byte
    positions = np.flatnonzero(hits)
    if len(positions):
        offsets = _offsets(values)
        found[np.searchsorted(offsets, positions + offsets[0], side="right") - 1] = True
    return found


def replace_rows(values: pa.Array, mask: np.ndarray, render: Callable[[str], str]) -> pa.Array:
    """``values`` with each row of ``mask`` replaced by ``render(value)``, called once per distinct
    value (meant for the rare rows that need it)."""
    if not mask.any():
        return values
    rare = values.filter(pa.array(mask))
    distinct = pc.unique(rare)
    rendered = pa.array([render(v) for v in distinct.to_pylist()], values.type)
    return pc.replace_with_mask(values, pa.array(mask), rendered.take(pc.index_in(rare, value_set=distinct)))


def map_unique(values: pa.Array | pa.ChunkedArray, render: Callable[[Any], str]) -> pa.Array:
    """``render(v)`` for each value, calling ``render`` once per distinct value."""
    values = _array(values)
    distinct = pc.unique(values)
    texts = pa.array([render(v) for v in distinct.to_pylist()], pa.string())
    return texts.take(pc.index_in(values, value_set=distinct))


def json_escaped(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``json.dumps(v, ensure_ascii=False)`` of each string without its enclosing quotes.

    Only values holding ``"``, ``\\`` or a control character change (``json`` escapes each distinct
    one); the column is returned as is when none does.
    """
    values = _array(values)
    return replace_rows(values, rows_with_bytes(values, b'"\\', below=0x20),
                        lambda v: json.dumps(v, ensure_ascii=False)[1:-1])


def json_string(values: pa.Array | pa.ChunkedArray) -> list[Piece]:
    """Pieces of ``json.dumps(v, ensure_ascii=False)`` for each string."""
    return ['"', json_escaped(values), '"']


def json_strings(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``json.dumps(v, ensure_ascii=False)`` of each string."""
    return concat(json_string(values))


def _items(lists: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    lists = _array(lists)
    return [pc.list_element(lists, i) for i in range(lists.type.list_size)]


def escaped_items(lists: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    """:func:`json_escaped` of each item column of a fixed_size_list<string> column (both
    :func:`json_string_list` and :func:`candidates` take them, so a caller writing both escapes once)."""
    return [json_escaped(item) for item in _items(lists)]


def json_string_list(lists: pa.Array | pa.ChunkedArray, escaped: Sequence[pa.Array] | None = None
                     ) -> list[Piece]:
    """Pieces of ``json.dumps(list_of_strings, ensure_ascii=False)`` of a fixed_size_list column
    (``escaped``: its :func:`escaped_items`, when already made)."""
    pieces: list[Piece] = ["["]
    for i, item in enumerate(escaped_items(lists) if escaped is None else escaped):
        pieces += [", " if i else "", '"', item, '"']
    return [*pieces, "]"]


def json_string_lists(lists: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``json.dumps(list_of_strings, ensure_ascii=False)`` of each row of any list<string> column."""
    lists = pc.cast(_array(lists), pa.list_(pa.string()))
    items = pa.ListArray.from_arrays(lists.offsets, json_strings(lists.values))
    return concat(["[", pc.binary_join(items, ", "), "]"])


def candidates(options: pa.Array | pa.ChunkedArray, escaped: Sequence[pa.Array] | None = None) -> list[Piece]:
    """Pieces of :func:`candidates_literal` for each row of a fixed_size_list<string> column
    (``escaped``: its :func:`escaped_items`, when already made).

    Both of its forms are ``["A. <o1>", "B. <o2>", ...]`` with each option JSON-escaped: the plain
    form is taken only when no option holds anything ``json`` would escape.
    """
    pieces: list[Piece] = ["["]
    for i, item in enumerate(escaped_items(options) if escaped is None else escaped):
        pieces += [", " if i else "", f'"{LETTERS[i]}. ', item, '"']
    return [*pieces, "]"]


def candidates_literals(options: pa.Array | pa.ChunkedArray) -> pa.Array:
    """:func:`candidates_literal` of each row of a fixed_size_list<string> column."""
    return concat(candidates(options))


def _csv_special() -> bytes:
    """The characters that make :func:`tsv_text` quote a field, probed from this Python's ``csv``
    (3.11: tab, ``"`` and ``\\n`` -- not ``\\r``)."""
    return bytes(c for c in range(128) if tsv_text([f"a{chr(c)}b"], []) != f"a{chr(c)}b\n")


_CSV_SPECIAL = _csv_special()


def _double_quotes(values: pa.Array) -> pa.Array:
    mask = rows_with_bytes(values, b'"')
    if not mask.any():
        return values
    doubled = pc.replace_substring(values.filter(pa.array(mask)), '"', '""')
    return pc.replace_with_mask(values, pa.array(mask), doubled)


def tsv_field(field: Field) -> list[Piece]:
    """Pieces of the field as :func:`tsv_text` writes it: wrapped in quotes, inner ``"`` doubled,
    when ``csv`` would quote it. A field whose literal pieces hold such a character is always
    quoted (piece by piece, no copy of the whole field)."""
    pieces = _pieces(field)
    if any(isinstance(p, str) and set(p.encode()) & set(_CSV_SPECIAL) for p in pieces):
        return ['"', *(p.replace('"', '""') if isinstance(p, str) else _double_quotes(_array(p))
                       for p in pieces), '"']
    values = concat(pieces)
    mask = rows_with_bytes(values, _CSV_SPECIAL)
    if not mask.any():
        return [values]
    quoted = concat(['"', pc.replace_substring(values.filter(pa.array(mask)), '"', '""'), '"'])
    return [pc.replace_with_mask(values, pa.array(mask), quoted)]


def tsv_fields(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Each string as :func:`tsv_text` writes it as a field."""
    return concat(tsv_field(_array(values)))


def tsv_lines(fields: Sequence[Field]) -> pa.Array:
    """One :func:`tsv_text` row per row of ``fields`` (each a column or pieces), ``\\n``-terminated."""
    pieces: list[Piece] = []
    for i, field in enumerate(fields):
        pieces += ["\t" if i else "", *tsv_field(field)]
    return concat([*pieces, "\n"])


def jsonl_lines(columns: Mapping[str, Field]) -> pa.Array:
    """One :func:`jsonl_text` line per row: ``columns`` maps each key to its value's JSON text (a
    column or pieces, e.g. :func:`json_string`)."""
    pieces: list[Piece] = []
    for i, (key, value) in enumerate(columns.items()):
        pieces += [("{" if i == 0 else ", ") + json.dumps(key) + ": ", *_pieces(value)]
    return concat([*pieces, "}\n"])


def write_lines(path: Path, chunks: Iterable[pa.Array], header: str = "") -> None:
    """Atomically write ``header`` then the values of each string array back to back (each value is
    a whole line, newline included).

    One writer thread writes chunk *k* while the caller's iterator computes chunk *k + 1* (pyarrow
    kernels and file writes both release the GIL); at most two chunks are held at once.
    """
    write_line_files([path], ((lines,) for lines in chunks), [header])


def write_line_files(paths: Sequence[Path], chunks: Iterable[Sequence[pa.Array]],
                     headers: Sequence[str]) -> None:
    """:func:`write_lines` for several files filled in one pass: each chunk holds one string array
    per file (so the caller builds the files' lines of the same rows together, sharing pieces)."""
    with contextlib.ExitStack() as files, ThreadPoolExecutor(1) as writer:
        handles = [files.enter_context(atomic_open(path, "wb")) for path in paths]

        def write(blocks: Sequence[bytes | pa.Buffer]) -> None:
            for handle, block in zip(handles, blocks, strict=True):
                write_sliced(handle, block)

        pending = writer.submit(write, [header.encode() for header in headers])
        for lines in chunks:
            data = [string_data(part) for part in lines]
            pending.result()
            pending = writer.submit(write, data)
        pending.result()
