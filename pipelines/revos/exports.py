"""Trainer and evaluator formats of a revos build, all under ``<build>/exports/``.

``video`` paths are relative to the source dataset's root: ``JPEGImages/<video_id>`` (a frames
folder) for ReVOS / MeViS / Ref-YouTube-VOS, ``<video_id>.mp4`` for FineVideo, ``<video_id>`` for
AVA (its file extension varies). Line *i* of an export is row *i* of its config.

- ``llava/<config>.json``: LLaVA-style SFT ``{id, video, conversations}`` with the special tokens
  kept in the text; records with masks also carry ``masks`` (RLE), ``region_masks`` and
  ``seg_masks`` so a trainer can attach each token's mask target.
- ``llamafactory/revos_<config>.json`` (sharegpt, ``videos: [path]``, one ``<video>`` per record)
  plus ``dataset_info.json``.
- ``vlmevalkit/RevosWhen.tsv`` + ``revos_when_dataset.py`` and ``lmms_eval/`` (task YAML,
  ``utils.py``, JSONL) for the ``when_mcq`` benchmark; both score replies with
  ``pipelines.core.answers.parse_choice``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pipelines.core.atomic import write_text
from pipelines.core.evalformats import candidates_literal, jsonl_text, tsv_text
from pipelines.revos.templates import FOLDER
from pipelines.revos.units import CONFIGS

Row = dict[str, Any]
SFT_CONFIGS = tuple(c for c in CONFIGS if c != "when_mcq")
TSV_COLUMNS = ("index", "id", "video", "question", "candidates", "answer", "category")
LMMS_KEYS = ("id", "video_id", "video", "expression", "question", "options", "answer", "answer_text")


def _prompt(row: Row) -> str:
    return row.get("question") or row["prompt"]


def llava_sft(rows: Sequence[Row]) -> list[Row]:
    out = []
    for r in rows:
        record: Row = {"id": r["id"], "video": r["video"], "conversations": [
            {"from": "human", "value": "<video>\n" + _prompt(r)}, {"from": "gpt", "value": r["answer"]}]}
        for key in ("masks", "region_masks", "seg_masks"):
            if key in r:
                record[key] = r[key]
        out.append(record)
    return out


def llamafactory(rows: Sequence[Row]) -> list[Row]:
    return [{"conversations": [{"from": "human", "value": "<video>" + _prompt(r)},
                               {"from": "gpt", "value": r["answer"]}], "videos": [r["video"]]} for r in rows]


def dataset_info() -> dict[str, Any]:
    return {f"revos_{c}": {"file_name": f"revos_{c}.json", "formatting": "sharegpt",
                           "columns": {"messages": "conversations", "videos": "videos"}} for c in SFT_CONFIGS}


def json_list(rows: Sequence[Row]) -> str:
    """A JSON array with one record per line (valid JSON, diff-friendly)."""
    body = ",\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
    return "[\n" + body + ("\n" if rows else "") + "]\n"


def vlmevalkit_tsv(rows: Sequence[Row]) -> str:
    return tsv_text(TSV_COLUMNS, ([i, r["id"], r["video"], r["question"], candidates_literal(r["options"]),
                                   r["answer"], r["dataset"]] for i, r in enumerate(rows)))


def write_exports(build_dir: Path, records: Mapping[str, Sequence[Row]]) -> list[Path]:
    """Write every trainer and evaluator export; returns the files written."""
    out = build_dir / "exports"
    env = Environment(loader=FileSystemLoader(FOLDER / "exports"), undefined=StrictUndefined,
                      keep_trailing_newline=True)
    files: dict[Path, str] = {out / "llamafactory" / "dataset_info.json":
                              json.dumps(dataset_info(), indent=2) + "\n"}
    for config in SFT_CONFIGS:
        files[out / "llava" / f"{config}.json"] = json_list(llava_sft(records[config]))
        files[out / "llamafactory" / f"revos_{config}.json"] = json_list(llamafactory(records[config]))
    bench = records["when_mcq"]
    files[out / "vlmevalkit" / "RevosWhen.tsv"] = vlmevalkit_tsv(bench)
    files[out / "vlmevalkit" / "revos_when_dataset.py"] = (FOLDER / "exports" / "vlmevalkit_dataset.py.txt"
                                                           ).read_text()
    files[out / "lmms_eval" / "revos_when.jsonl"] = jsonl_text({k: r[k] for k in LMMS_KEYS} for r in bench)
    files[out / "lmms_eval" / "revos_when.yaml"] = env.get_template("lmms_eval_task.yaml.j2").render(
        task="revos_when", data_file="revos_when.jsonl")
    files[out / "lmms_eval" / "utils.py"] = (FOLDER / "exports" / "lmms_eval_utils.py.txt").read_text()
    for path, text in files.items():
        write_text(path, text)
    return list(files)
