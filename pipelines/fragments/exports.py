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
Every file is written as a stream (:class:`ExportStream`, fed unit by unit in a build);
:func:`write_exports` feeds it whole record lists.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pipelines.core.evalformats import candidates_literal, with_embedded_parser
from pipelines.core.exportfiles import ExportFiles
from pipelines.fragments.phrasing import FOLDER

Row = dict[str, Any]
EXPORT_TEMPLATES = FOLDER / "exports"
FRAGMENT_TSV = ("index", "id", "video_id", "image_path", "question", "candidates", "answer", "category", "n")
SCENE_TSV = ("index", "id", "video_id", "video", "question", "candidates", "answer", "category", "variant")
LMMS_KEYS = {"bench_fragment": ("id", "video_id", "task", "n", "frames", "question", "options", "answer"),
             "bench_scene": ("id", "video_id", "task", "variant", "video", "question", "options", "answer")}
DATASET_INFO = {"fragments_sft": {"file_name": "fragments_sft.json", "formatting": "sharegpt",
                                  "columns": {"messages": "conversations", "images": "images"}}}


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


def fragment_tsv_rows(rows: Sequence[Row], first: int = 0) -> Iterator[list[Any]]:
    """TSV lines of ``bench_fragment`` rows numbered from ``first``."""
    return ([first + i, r["id"], r["video_id"], json.dumps(r["frames"]), r["question"],
             candidates_literal(r["options"]), r["answer"], r["task"], r["n"]] for i, r in enumerate(rows))


def scene_tsv_rows(rows: Sequence[Row], first: int = 0) -> Iterator[list[Any]]:
    """TSV lines of ``bench_scene`` rows numbered from ``first``."""
    return ([first + i, r["id"], r["video_id"], r["video"].removesuffix(".mp4"), r["question"],
             candidates_literal(r["options"]), r["answer"], r["task"], r["variant"]]
            for i, r in enumerate(rows))


BENCH = {"bench_fragment": ("fragment", FRAGMENT_TSV, fragment_tsv_rows, "fragments_frames_to_visual"),
         "bench_scene": ("scene", SCENE_TSV, scene_tsv_rows, "fragments_video_to_visual")}


class ExportStream:
    """Context manager: ``add(config, rows)`` any number of times (each config's rows in order);
    every export is complete when the block exits cleanly (core/exportfiles.py)."""

    def __init__(self, build_dir: Path) -> None:
        self.files = ExportFiles(build_dir / "exports")
        self.numbers = dict.fromkeys(BENCH, 0)

    def __enter__(self) -> ExportStream:
        files = self.files.__enter__()
        self.llava = files.json_list("llava/sft.json")
        self.llamafactory = files.json_list("llamafactory/fragments_sft.json")
        files.text("llamafactory/dataset_info.json", json.dumps(DATASET_INFO, indent=2) + "\n")
        self.trl = files.jsonl("trl/sft.jsonl")
        self.tsv = {c: files.tsv(f"vlmevalkit/Fragments_{name}.tsv", header)
                    for c, (name, header, _, _) in BENCH.items()}
        files.text("vlmevalkit/fragments_dataset.py",
                   with_embedded_parser((EXPORT_TEMPLATES / "vlmevalkit_dataset.py.txt").read_text()))
        files.text("lmms_eval/utils.py",
                   with_embedded_parser((EXPORT_TEMPLATES / "lmms_eval_utils.py.txt").read_text()))
        env = Environment(loader=FileSystemLoader(EXPORT_TEMPLATES), undefined=StrictUndefined,
                          keep_trailing_newline=True)
        self.lmms = {}
        for config, (name, _, _, visual) in BENCH.items():
            data = f"fragments_{name}.jsonl"
            self.lmms[config] = files.jsonl(f"lmms_eval/{data}")
            files.text(f"lmms_eval/fragments_{name}.yaml", env.get_template("lmms_eval_task.yaml.j2").render(
                task=data.removesuffix(".jsonl"), data_file=data, visual=visual))
        return self

    def add(self, config: str, rows: Sequence[Row]) -> None:
        """Append ``rows`` of ``config`` to every export made from it."""
        if config == "sft":
            self.llava.add(llava_sft(rows))
            self.llamafactory.add(llamafactory_sft(rows))
            self.trl.add(trl_sft(rows))
            return
        _, _, lines, _ = BENCH[config]
        self.tsv[config].writerows(lines(rows, self.numbers[config]))
        self.numbers[config] += len(rows)
        self.lmms[config].add({k: r[k] for k in LMMS_KEYS[config]} for r in rows)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.files.__exit__(kind, error, trace)


def write_exports(build_dir: Path, records: Mapping[str, Sequence[Row]]) -> list[Path]:
    """Write every trainer and evaluator export of whole ``records``; returns the files written."""
    with ExportStream(build_dir) as exports:
        for config, rows in records.items():
            exports.add(config, rows)
    return exports.files.files
