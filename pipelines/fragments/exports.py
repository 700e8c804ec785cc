"""Trainer and evaluator formats of a fragments build, under ``<build>/exports/``.

Paths are relative to the build folder. Line *i* of an export is row *i* of its config.
- ``llava/sft.json``: LLaVA-style SFT. Fragment records carry ``image`` (frames in presented
  order) and one ``<image>`` tag per frame; scene records carry ``video`` and one ``<video>`` tag.
- ``llamafactory/fragments_sft.json`` + ``dataset_info.json``: sharegpt with an ``images`` list
  (scene records: the clip's frames) and exactly one ``<image>`` tag per image.
- ``trl/sft.jsonl``: conversational ``messages`` with one ``{"type": "image"}`` part per frame,
  plus ``images``.
- ``vlmevalkit/Fragments_{fragment,scene}.tsv`` + ``fragments_dataset.py``; ``lmms_eval/`` task
  YAMLs, ``utils.py`` and JSONL. Both score replies with ``pipelines.core.answers.parse_choice``.
Question texts never contain a media placeholder (they come from our templates and options).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pipelines.core.atomic import write_text
from pipelines.core.evalformats import candidates_literal, jsonl_text, tsv_text
from pipelines.fragments.phrasing import FOLDER

Row = dict[str, Any]
EXPORT_TEMPLATES = FOLDER / "exports"
FRAGMENT_TSV = ("index", "id", "video_id", "image_path", "question", "candidates", "answer", "category", "n")
SCENE_TSV = ("index", "id", "video_id", "video", "question", "candidates", "answer", "category", "variant")
LMMS_KEYS = {"bench_fragment": ("id", "video_id", "task", "n", "frames", "question", "options", "answer"),
             "bench_scene": ("id", "video_id", "task", "variant", "video", "question", "options", "answer")}
DATASET_INFO = {"fragments_sft": {"file_name": "fragments_sft.json", "formatting": "sharegpt",
                                  "columns": {"messages": "conversations", "images": "images"}}}


def json_list(rows: Sequence[Row]) -> str:
    """A JSON array with one record per line."""
    body = ",\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
    return "[\n" + body + ("\n" if rows else "") + "]\n"


def llava_sft(rows: Sequence[Row]) -> list[Row]:
    out = []
    for r in rows:
        record: Row = {"id": r["id"]}
        if r["video"] and r["n"] == 0:
            record["video"], tags = r["video"], "<video>\n"
        else:
            record["image"], tags = list(r["frames"]), "<image>\n" * len(r["frames"])
        record["conversations"] = [{"from": "human", "value": tags + r["prompt"]},
                                   {"from": "gpt", "value": r["response"]}]
        out.append(record)
    return out


def llamafactory_sft(rows: Sequence[Row]) -> list[Row]:
    return [{"conversations": [{"from": "human", "value": "<image>" * len(r["frames"]) + r["prompt"]},
                               {"from": "gpt", "value": r["response"]}],
             "images": list(r["frames"])} for r in rows]


def trl_sft(rows: Sequence[Row]) -> list[Row]:
    return [{"messages": [
        {"role": "user", "content": [*({"type": "image"} for _ in r["frames"]),
                                     {"type": "text", "text": r["prompt"]}]},
        {"role": "assistant", "content": [{"type": "text", "text": r["response"]}]}],
        "images": list(r["frames"])} for r in rows]


def fragment_tsv(rows: Sequence[Row]) -> str:
    return tsv_text(FRAGMENT_TSV, ([i, r["id"], r["video_id"], json.dumps(r["frames"]), r["question"],
                                    candidates_literal(r["options"]), r["answer"], r["task"], r["n"]]
                                   for i, r in enumerate(rows)))


def scene_tsv(rows: Sequence[Row]) -> str:
    return tsv_text(SCENE_TSV, ([i, r["id"], r["video_id"], r["video"].removesuffix(".mp4"), r["question"],
                                 candidates_literal(r["options"]), r["answer"], r["task"], r["variant"]]
                                for i, r in enumerate(rows)))


def write_exports(build_dir: Path, records: Mapping[str, Sequence[Row]]) -> list[Path]:
    """Write every trainer and evaluator export; returns the files written."""
    out = build_dir / "exports"
    env = Environment(loader=FileSystemLoader(EXPORT_TEMPLATES), undefined=StrictUndefined,
                      keep_trailing_newline=True)
    sft = records["sft"]
    files: dict[Path, str] = {
        out / "llava" / "sft.json": json_list(llava_sft(sft)),
        out / "llamafactory" / "fragments_sft.json": json_list(llamafactory_sft(sft)),
        out / "llamafactory" / "dataset_info.json": json.dumps(DATASET_INFO, indent=2) + "\n",
        out / "trl" / "sft.jsonl": jsonl_text(trl_sft(sft)),
        out / "vlmevalkit" / "Fragments_fragment.tsv": fragment_tsv(records["bench_fragment"]),
        out / "vlmevalkit" / "Fragments_scene.tsv": scene_tsv(records["bench_scene"]),
        out / "vlmevalkit" / "fragments_dataset.py":
            (EXPORT_TEMPLATES / "vlmevalkit_dataset.py.txt").read_text(),
        out / "lmms_eval" / "utils.py": (EXPORT_TEMPLATES / "lmms_eval_utils.py.txt").read_text(),
    }
    for config, visual in (("bench_fragment", "fragments_frames_to_visual"),
                           ("bench_scene", "fragments_video_to_visual")):
        data = f"fragments_{config.removeprefix('bench_')}.jsonl"
        files[out / "lmms_eval" / data] = jsonl_text({k: r[k] for k in LMMS_KEYS[config]}
                                                     for r in records[config])
        files[out / "lmms_eval" / data.replace(".jsonl", ".yaml")] = env.get_template(
            "lmms_eval_task.yaml.j2").render(task=data.removesuffix(".jsonl"), data_file=data, visual=visual)
    for path, text in files.items():
        write_text(path, text)
    return list(files)
