"""Trainer and evaluator formats of a revos build, all under ``<build>/exports/``.

``video`` paths are relative to the source dataset's root: ``JPEGImages/<video_id>`` (a frames
folder) for ReVOS / MeViS / Ref-YouTube-VOS, ``<video_id>.mp4`` for FineVideo, ``<video_id>`` for
AVA (its file extension varies). Line *i* of an export is row *i* of its config.

- ``llava/<config>.json``: LLaVA-style SFT ``{id, video, conversations}`` with the special tokens
  kept in the text; records with masks also carry ``masks`` (RLE), ``region_masks`` and
  ``seg_masks`` so a trainer can attach each token's mask target.
- ``llamafactory/revos_<config>.json`` (sharegpt, one ``<video>`` per record, ``videos: [video]``
  where a frames-folder video is a list of its frame files ``JPEGImages/<id>/<frame>.jpg``, the
  form LLaMA-Factory takes for frames, at most 32 spread evenly; ``media_dir`` is the source
  dataset's root) plus ``dataset_info.json``. AVA rows name the video by id only (its extension
  varies): give LLaMA-Factory files named so, or rewrite the paths.
- ``vlmevalkit/RevosWhen.tsv`` + ``revos_when_dataset.py`` and ``lmms_eval/`` (task YAML,
  ``utils.py``, JSONL) for the ``when_mcq`` benchmark; both score replies with
  ``pipelines.core.answers.parse_choice``.

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
from pipelines.revos.templates import FOLDER
from pipelines.revos.units import CONFIGS

Row = dict[str, Any]
SFT_CONFIGS = tuple(c for c in CONFIGS if c != "when_mcq")
TSV_COLUMNS = ("index", "id", "video", "question", "candidates", "answer", "category")
FACTORY_MAX_FRAMES = 32  # frames of one video in a LLaMA-Factory record (LLaVA-NeXT-Video's count)
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
                               {"from": "gpt", "value": r["answer"]}], "videos": [factory_video(r)]}
            for r in rows]


def factory_video(row: Row) -> str | list[str]:
    """LLaMA-Factory's form of a row's video: a frames-folder video as a list of its frame files
    (LLaMA-Factory reads a string as one video file, which a folder is not), else the path. It
    feeds every listed frame to the model (its frame cap applies to video files only), so a long
    video is listed by at most :data:`FACTORY_MAX_FRAMES` frames evenly spread over it, first and
    last included."""
    names = row.get("frames") or []
    if not names:
        return row["video"]
    if len(names) > FACTORY_MAX_FRAMES:
        last = len(names) - 1
        names = [names[round(i * last / (FACTORY_MAX_FRAMES - 1))] for i in range(FACTORY_MAX_FRAMES)]
    return [f"{row['video']}/{name}.jpg" for name in names]


def dataset_info() -> dict[str, Any]:
    return {f"revos_{c}": {"file_name": f"revos_{c}.json", "formatting": "sharegpt",
                           "columns": {"messages": "conversations", "videos": "videos"}} for c in SFT_CONFIGS}


def tsv_rows(rows: Sequence[Row], first: int = 0) -> Iterator[list[Any]]:
    """VLMEvalKit lines of ``when_mcq`` rows numbered from ``first``."""
    return ([first + i, r["id"], r["video"], r["question"], candidates_literal(r["options"]), r["answer"],
             r["dataset"]] for i, r in enumerate(rows))


class ExportStream:
    """Context manager: ``add(config, rows)`` any number of times (each config's rows in order);
    every export is complete when the block exits cleanly (core/exportfiles.py)."""

    def __init__(self, build_dir: Path) -> None:
        self.files = ExportFiles(build_dir / "exports")
        self.numbered = 0

    def __enter__(self) -> ExportStream:
        files = self.files.__enter__()
        files.text("llamafactory/dataset_info.json", json.dumps(dataset_info(), indent=2) + "\n")
        self.sft = {c: (files.json_list(f"llava/{c}.json"), files.json_list(f"llamafactory/revos_{c}.json"))
                    for c in SFT_CONFIGS}
        self.tsv = files.tsv("vlmevalkit/RevosWhen.tsv", TSV_COLUMNS)
        files.text("vlmevalkit/revos_when_dataset.py", with_embedded_parser(
            (FOLDER / "exports" / "vlmevalkit_dataset.py.txt").read_text()))
        self.lmms = files.jsonl("lmms_eval/revos_when.jsonl")
        env = Environment(loader=FileSystemLoader(FOLDER / "exports"), undefined=StrictUndefined,
                          keep_trailing_newline=True)
        files.text("lmms_eval/revos_when.yaml", env.get_template("lmms_eval_task.yaml.j2").render(
            task="revos_when", data_file="revos_when.jsonl"))
        files.text("lmms_eval/utils.py", with_embedded_parser(
            (FOLDER / "exports" / "lmms_eval_utils.py.txt").read_text()))
        return self

    def add(self, config: str, rows: Sequence[Row]) -> None:
        """Append ``rows`` of ``config`` to every export made from it."""
        if config in self.sft:
            llava, factory = self.sft[config]
            llava.add(llava_sft(rows))
            factory.add(llamafactory(rows))
            return
        self.tsv.writerows(tsv_rows(rows, self.numbered))
        self.numbered += len(rows)
        self.lmms.add({k: r[k] for k in LMMS_KEYS} for r in rows)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.files.__exit__(kind, error, trace)


def write_exports(build_dir: Path, records: Mapping[str, Sequence[Row]]) -> list[Path]:
    """Write every trainer and evaluator export of whole ``records``; returns the files written."""
    with ExportStream(build_dir) as exports:
        for config in CONFIGS:
            exports.add(config, records[config])
    return exports.files.files
