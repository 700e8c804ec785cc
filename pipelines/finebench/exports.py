"""Evaluator formats of a finebench build: VLMEvalKit video-MCQ TSV and an lmms-eval task.

``exports/vlmevalkit/FineBench_<config>.tsv`` — columns ``index, id, video, question,
candidates, answer, category, timestamp, frame_times, referring_phrase``; ``candidates`` is a
list literal (``["A. ...", ...]``) and ``video`` a video id resolved as ``<root>/<video>.mp4`` by
``finebench_dataset.py``, a VLMEvalKit dataset class written beside it.
``exports/lmms_eval/`` — ``finebench_<config>.yaml`` (``dataset_path: json``), ``utils.py`` with the
doc_to_* and process_results hooks, and ``finebench_<config>.jsonl``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipelines.core.atomic import write_text
from pipelines.core.evalformats import candidates_literal, export_templates, jsonl_text, tsv_text
from pipelines.core.paths import TEMPLATES_DIR

TSV_HEADER = ("index", "id", "video", "question", "candidates", "answer", "category", "timestamp",
              "frame_times", "referring_phrase")
JSONL_KEYS = ("id", "video_id", "timestamp", "question", "options", "answer", "category",
              "frame_times", "frame_keys", "referring_phrase", "box_hint")


def vlmevalkit_tsv(records: Sequence[dict[str, Any]]) -> str:
    return tsv_text(TSV_HEADER, (
        (index, r["id"], r["video_id"], r["question"], candidates_literal(r["options"]), r["answer"],
         r["category"], r["timestamp"], "[" + ", ".join(map(repr, r["frame_times"])) + "]",
         r["referring_phrase"]) for index, r in enumerate(records)))


def write_exports(build_dir: Path, configs: dict[str, Sequence[dict[str, Any]]]) -> list[Path]:
    env = export_templates()
    written: list[Path] = []
    lmms_dir = build_dir / "exports" / "lmms_eval"
    for config, records in configs.items():
        tsv = build_dir / "exports" / "vlmevalkit" / f"FineBench_{config}.tsv"
        write_text(tsv, vlmevalkit_tsv(records))
        rows = lmms_dir / f"finebench_{config}.jsonl"
        write_text(rows, jsonl_text({k: r[k] for k in JSONL_KEYS} for r in records))
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
