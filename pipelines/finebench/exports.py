"""Evaluator formats of a finebench build: VLMEvalKit video-MCQ TSV and an lmms-eval task.

``exports/vlmevalkit/FineBench_<config>.tsv`` — columns ``index, id, video, question,
candidates, answer, category, timestamp, frame_times, referring_phrase``; ``candidates`` is a
Python list literal (``["A. ...", ...]``) and ``video`` a video id resolved as
``<root>/<video>.mp4`` by ``finebench_dataset.py``, a VLMEvalKit dataset class written beside it.
``exports/lmms_eval/`` — ``finebench_<config>.yaml`` (``dataset_path: json``), ``utils.py`` with the
doc_to_* and process_results hooks, and ``finebench_<config>.jsonl``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pipelines.core.atomic import write_text
from pipelines.core.paths import TEMPLATES_DIR

LETTERS = "ABCD"


def candidates_literal(options: Sequence[str]) -> str:
    """``["A. ...", "B. ...", ...]``: valid as JSON and as a Python literal."""
    if any('"' in o or "\\" in o or not o.isprintable() for o in options):
        return json.dumps([f"{LETTERS[i]}. {o}" for i, o in enumerate(options)], ensure_ascii=False)
    return "[" + ", ".join(f'"{LETTERS[i]}. {o}"' for i, o in enumerate(options)) + "]"


def vlmevalkit_tsv(records: Sequence[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(["index", "id", "video", "question", "candidates", "answer", "category",
                     "timestamp", "frame_times", "referring_phrase"])
    for index, r in enumerate(records):
        writer.writerow([index, r["id"], r["video_id"], r["question"], candidates_literal(r["options"]),
                         r["answer"], r["category"], r["timestamp"],
                         "[" + ", ".join(map(repr, r["frame_times"])) + "]",
                         r["referring_phrase"]])
    return buffer.getvalue()


def lmms_eval_rows(records: Sequence[dict[str, Any]]) -> str:
    keep = ("id", "video_id", "timestamp", "question", "options", "answer", "category",
            "frame_times", "frame_keys", "referring_phrase", "box_hint")
    return "".join(json.dumps({k: r[k] for k in keep}, ensure_ascii=False) + "\n" for r in records)


def write_exports(build_dir: Path, configs: dict[str, Sequence[dict[str, Any]]]) -> list[Path]:
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR / "exports"), undefined=StrictUndefined,
                      keep_trailing_newline=True)
    written: list[Path] = []
    lmms_dir = build_dir / "exports" / "lmms_eval"
    for config, records in configs.items():
        tsv = build_dir / "exports" / "vlmevalkit" / f"FineBench_{config}.tsv"
        write_text(tsv, vlmevalkit_tsv(records))
        rows = lmms_dir / f"finebench_{config}.jsonl"
        write_text(rows, lmms_eval_rows(records))
        task = lmms_dir / f"finebench_{config}.yaml"
        write_text(task, env.get_template("lmms_eval_task.yaml.j2").render(
            task=f"finebench_{config}", data_file=rows.name))
        written += [tsv, rows, task]
    for target, source in ((lmms_dir / "utils.py", "lmms_eval_finebench_utils.py.txt"),
                           (build_dir / "exports" / "vlmevalkit" / "finebench_dataset.py",
                            "vlmevalkit_finebench_dataset.py.txt")):
        write_text(target, (TEMPLATES_DIR / "exports" / source).read_text())
        written.append(target)
    return written
