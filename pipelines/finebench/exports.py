"""Evaluator formats of a finebench build: VLMEvalKit video-MCQ TSV and an lmms-eval task.

``exports/vlmevalkit/FineBench_<config>.tsv`` — columns ``index, id, video, question,
candidates, answer, category, timestamp, frame_times, referring_phrase``; ``candidates`` is a
list literal (``["A. ...", ...]``) and ``video`` a video id resolved as ``<root>/<video>`` plus one
of the toolkit's video suffixes by ``finebench_dataset.py``, a VLMEvalKit dataset class written
beside it, which shows each question exactly its ``frame_times`` frames.
``exports/lmms_eval/`` — ``finebench_<config>.yaml`` (``dataset_path: json``; one
``accuracy_<category>`` metric per category of the build besides ``accuracy``), ``utils.py`` with the
doc_to_* and process_results hooks (the same frames as the VLMEvalKit class, as images), and
``finebench_<config>.jsonl``. Both scorers embed :mod:`pipelines.core.answers` and
:mod:`pipelines.core.evalframes` verbatim (:func:`pipelines.core.evalformats.render_export`).

Contract: rows keep the order of their config table (line *i* is row *i*; TSV ``index`` is *i*).
The bytes are exactly those of the per-record writers in :mod:`pipelines.core.evalformats`
(``csv`` TSV with :func:`candidates_literal`; ``json.dumps(..., ensure_ascii=False)`` of the
:data:`JSONL_KEYS` per line), with ``frame_times`` written as the float64 times
``frames.times(float(timestamp))`` the generator computed, not the table's float32 column.
The files are built column-wise from the ``pyarrow.Table``, :data:`CHUNK_ROWS` rows at a time
(pyarrow kernels per column, one concatenation per line; the next chunk is built while the last
is written). Python runs once per distinct timestamp of a config and per distinct value needing escapes.
Null values are refused (``ValueError``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.core.atomic import write_text
from pipelines.core.evalcolumns import (
    candidates,
    escaped_items,
    json_string,
    json_string_list,
    json_string_lists,
    jsonl_lines,
    map_unique,
    tsv_lines,
    write_line_files,
)
from pipelines.core.evalformats import render_export
from pipelines.finebench.config import FrameWindow

TSV_HEADER = ("index", "id", "video", "question", "candidates", "answer", "category", "timestamp",
              "frame_times", "referring_phrase")
JSONL_KEYS = ("id", "video_id", "timestamp", "question", "options", "answer", "category",
              "frame_times", "frame_keys", "referring_phrase", "box_hint")
READ_COLUMNS = [k for k in JSONL_KEYS if k != "frame_times"]  # the table columns either file reads
# Rows per text batch: bounds memory and keeps 32-bit string offsets safe. A batch's lines (~4 MB
# of JSONL) stay below the sizes Arrow's allocator returns to the system on release: at 32,768
# rows (~17 MB) every batch faulted in fresh pages (~0.15 s more system time a build, measured).
CHUNK_ROWS = 8_192


def _line_chunks(table: pa.Table, frames: FrameWindow) -> Iterator[tuple[pa.Array, pa.Array]]:
    """(TSV lines, JSONL lines) per :data:`CHUNK_ROWS` rows: each chunk's columns are made
    contiguous once and its options JSON-escaped once for both files."""
    tsv_times = frame_times_text(table, frames, _repr_list)
    json_times = frame_times_text(table, frames, json.dumps)
    for start in range(0, table.num_rows, CHUNK_ROWS):
        part = table.select(READ_COLUMNS).slice(start, CHUNK_ROWS).combine_chunks()
        escaped = escaped_items(part["options"])
        yield (tsv_lines_of(part, tsv_times.slice(start, CHUNK_ROWS), start, escaped),
               jsonl_lines_of(part, json_times.slice(start, CHUNK_ROWS), escaped))


def frame_times_text(table: pa.Table, frames: FrameWindow, text: Callable[[list[float]], str]) -> pa.Array:
    """``text`` of the generator's float64 frame times of every row, computed once per distinct
    timestamp of the whole table (not per chunk)."""
    return map_unique(table["timestamp"], lambda t: text(frames.times(float(t))))


def _repr_list(times: list[float]) -> str:
    return "[" + ", ".join(map(repr, times)) + "]"


def _check_nulls(config: str, table: pa.Table) -> None:
    for name in READ_COLUMNS:
        column = table[name]
        if column.null_count or (name in ("options", "frame_keys") and pc.list_flatten(column).null_count):
            raise ValueError(f"finebench exports: config {config!r} has nulls in {name!r}")


def tsv_lines_of(table: pa.Table, frame_times: pa.Array, start: int = 0,
                 escaped: list[pa.Array] | None = None) -> pa.Array:
    """The VLMEvalKit TSV rows of ``table`` (``index`` counts from ``start``), header excluded;
    ``frame_times``: :func:`frame_times_text` of these rows with ``repr`` lists; ``escaped``: the
    options' :func:`escaped_items` when already made."""
    index = pa.array(np.arange(start, start + table.num_rows)).cast(pa.string())
    return tsv_lines([index, table["id"], table["video_id"], table["question"],
                      candidates(table["options"], escaped), table["answer"], table["category"],
                      table["timestamp"].cast(pa.string()), frame_times, table["referring_phrase"]])


def jsonl_lines_of(table: pa.Table, frame_times: pa.Array, escaped: list[pa.Array] | None = None
                   ) -> pa.Array:
    """The lmms-eval JSONL lines of ``table``; ``frame_times``: :func:`frame_times_text` of these
    rows with ``json.dumps``; ``escaped``: the options' :func:`escaped_items` when already made."""
    keys = table["frame_keys"]
    any_keys = bool(pc.max(pc.list_value_length(keys)).as_py())
    values = {name: json_string(table[name]) for name in
              ("id", "video_id", "question", "answer", "category", "referring_phrase", "box_hint")}
    values |= {"timestamp": table["timestamp"].cast(pa.string()),
               "options": json_string_list(table["options"], escaped),
               "frame_times": frame_times,
               "frame_keys": json_string_lists(keys) if any_keys else "[]"}
    return jsonl_lines({key: values[key] for key in JSONL_KEYS})


def write_exports(build_dir: Path, configs: dict[str, pa.Table], frames: FrameWindow) -> list[Path]:
    """Write every evaluator export of ``configs`` (name -> table with the ``MCQ_FEATURES``
    columns); ``frames`` is the build's ``params.frames``. Returns the files written."""
    written: list[Path] = []
    lmms_dir = build_dir / "exports" / "lmms_eval"
    for config, table in configs.items():
        _check_nulls(config, table)
        tsv = build_dir / "exports" / "vlmevalkit" / f"FineBench_{config}.tsv"
        rows = lmms_dir / f"finebench_{config}.jsonl"
        write_line_files([tsv, rows], _line_chunks(table, frames), ["\t".join(TSV_HEADER) + "\n", ""])
        task = lmms_dir / f"finebench_{config}.yaml"
        write_text(task, render_export("lmms_eval_finebench_task.yaml.j2", task=f"finebench_{config}",
                                       data_attribute=f"FINEBENCH_{config.upper()}_JSONL",
                                       metrics=category_metrics(table)))
        written += [tsv, rows, task]
    for target, source in ((lmms_dir / "utils.py", "lmms_eval_finebench_utils.py.j2"),
                           (build_dir / "exports" / "vlmevalkit" / "finebench_dataset.py",
                            "vlmevalkit_finebench_dataset.py.j2")):
        write_text(target, render_export(source, configs=list(configs)))
        written.append(target)
    return written


def category_metrics(table: pa.Table) -> list[str]:
    """``accuracy`` then ``accuracy_<category>`` for each category in the table (sorted)."""
    return ["accuracy", *(f"accuracy_{c}" for c in sorted(pc.unique(table["category"]).to_pylist()))]
