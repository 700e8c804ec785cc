"""Trainer and evaluator formats of a timewarp build, all under ``<build>/exports/``.

Paths inside exports are relative to the build folder (``media/<video_id>/<variant>.mp4``; frame
folders ``media/<video_id>/<variant>_frames/`` with ``c01_0001.jpeg``... in numeric order). Rows
keep the order of their config, so line *i* of an export is row *i* of the config.

- ``llava_hound/dpo.jsonl``: ``{id, video, prompt, answer, chosen, chosen_score, rejected,
  rejected_score}``; ``video`` is the normal clip's frame folder, ``answer == chosen``, scores are
  the constants :data:`CHOSEN_SCORE` / :data:`REJECTED_SCORE` (consistent / inconsistent with the
  true scene order).
- ``llava/sft.json``: ``[{id, video, conversations: [human "<video>\\n...", gpt]}]``.
- ``trl/dpo.jsonl`` / ``trl/kto.jsonl``: TRL conversational vision format; the clip is its frame
  list in ``images`` with one ``{"type": "image"}`` part per frame (no frames rendered -> no image
  parts and ``images: []``).
- ``llamafactory/``: sharegpt ``timewarp_{sft,dpo,kto}.json`` with ``videos: [path]`` and exactly one
  ``<video>`` tag per record, plus ``dataset_info.json``.
- ``vlmevalkit/TimeWar_{normal,shuffled}.tsv`` + ``timewar_dataset.py``; ``lmms_eval/`` task YAMLs,
  ``utils.py`` and JSONL (see :func:`write_evaluator_exports`).

Free text never contains a media placeholder: ``<video>``/``<image>`` inside captions are written
without angle brackets, so placeholder counts always equal the media counts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pipelines.core.atomic import write_text
from pipelines.core.evalformats import candidates_literal, export_templates, jsonl_text, tsv_text
from pipelines.core.paths import TEMPLATES_DIR

Row = dict[str, Any]
CHOSEN_SCORE, REJECTED_SCORE = 1.0, 0.0
TIMEWAR_VARIANTS = ("normal", "shuffled")
TSV_COLUMNS = ("index", "id", "video", "question", "candidates", "answer", "category", "pair_id")
LMMS_KEYS = ("id", "pair_id", "video_id", "video", "variant", "question_kind", "question", "options",
             "answer", "answer_text")
_PLACEHOLDER = re.compile(r"<(video|image)>", re.IGNORECASE)
_DIGITS = re.compile(r"(\d+)")


def plain(text: str) -> str:
    """``text`` with media placeholders defused (``<video>`` -> ``video``)."""
    return _PLACEHOLDER.sub(r"\1", text)


def frame_folder(video: str) -> str:
    """``media/<id>/<variant>.mp4`` -> ``media/<id>/<variant>_frames``."""
    return video.removesuffix(".mp4") + "_frames"


def _numeric_key(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in _DIGITS.split(name)]


class Frames:
    """Frame lists of a build's clips; empty for every clip when no media was rendered."""

    def __init__(self, build_dir: Path) -> None:
        self.build_dir = build_dir
        self.rendered = (build_dir / "media").exists()
        self._cache: dict[str, list[str]] = {}

    def __call__(self, video: str) -> list[str]:
        """Paths (relative to the build folder) of ``video``'s frames, in numeric order."""
        folder = frame_folder(video)
        if folder not in self._cache:
            path = self.build_dir / folder
            names = ([p.name for p in path.iterdir() if p.is_file() and not p.name.startswith(".")]
                     if self.rendered and path.is_dir() else [])
            self._cache[folder] = [f"{folder}/{n}" for n in sorted(names, key=_numeric_key)]
        return self._cache[folder]


def _user(text: str, images: int) -> dict[str, Any]:
    return {"role": "user", "content": [*({"type": "image"} for _ in range(images)),
                                        {"type": "text", "text": plain(text)}]}


def _assistant(text: str) -> list[dict[str, Any]]:
    return [{"role": "assistant", "content": [{"type": "text", "text": plain(text)}]}]


def llava_hound_dpo(dpo: Sequence[Row]) -> list[Row]:
    return [{"id": r["id"], "video": frame_folder(r["video"]), "prompt": plain(r["prompt"]),
             "answer": plain(r["chosen"]), "chosen": plain(r["chosen"]), "chosen_score": CHOSEN_SCORE,
             "rejected": plain(r["rejected"]), "rejected_score": REJECTED_SCORE} for r in dpo]


def llava_sft(sft: Sequence[Row]) -> list[Row]:
    return [{"id": r["id"], "video": r["video"], "conversations": [
        {"from": "human", "value": "<video>\n" + plain(r["prompt"])},
        {"from": "gpt", "value": plain(r["response"])}]} for r in sft]


def trl_dpo(dpo: Sequence[Row], frames: Frames) -> list[Row]:
    out = []
    for r in dpo:
        images = frames(r["video"])
        out.append({"prompt": [_user(r["prompt"], len(images))], "chosen": _assistant(r["chosen"]),
                    "rejected": _assistant(r["rejected"]), "images": images})
    return out


def trl_kto(kto: Sequence[Row], frames: Frames) -> list[Row]:
    out = []
    for r in kto:
        images = frames(r["video"])
        out.append({"prompt": [_user(r["prompt"], len(images))], "completion": _assistant(r["completion"]),
                    "label": bool(r["label"]), "images": images})
    return out


def _human(prompt: str) -> dict[str, str]:
    return {"from": "human", "value": "<video>" + plain(prompt)}


def _gpt(text: str) -> dict[str, str]:
    return {"from": "gpt", "value": plain(text)}


def llamafactory(records: Mapping[str, Sequence[Row]]) -> dict[str, list[Row]]:
    """LLaMA-Factory sharegpt files by dataset name (one ``<video>`` and one path per record)."""
    return {
        "timewarp_sft": [{"conversations": [_human(r["prompt"]), _gpt(r["response"])],
                          "videos": [r["video"]]} for r in records["sft"]],
        "timewarp_dpo": [{"conversations": [_human(r["prompt"])], "chosen": _gpt(r["chosen"]),
                          "rejected": _gpt(r["rejected"]), "videos": [r["video"]]} for r in records["dpo"]],
        "timewarp_kto": [{"conversations": [_human(r["prompt"]), _gpt(r["completion"])],
                          "kto_tag": bool(r["label"]), "videos": [r["video"]]} for r in records["kto"]],
    }


DATASET_INFO: dict[str, dict[str, Any]] = {
    "timewarp_sft": {"file_name": "timewarp_sft.json", "formatting": "sharegpt",
                     "columns": {"messages": "conversations", "videos": "videos"}},
    "timewarp_dpo": {"file_name": "timewarp_dpo.json", "formatting": "sharegpt", "ranking": True,
                     "columns": {"messages": "conversations", "chosen": "chosen", "rejected": "rejected",
                                 "videos": "videos"}},
    "timewarp_kto": {"file_name": "timewarp_kto.json", "formatting": "sharegpt",
                     "columns": {"messages": "conversations", "kto_tag": "kto_tag", "videos": "videos"}},
}


def json_list(rows: Sequence[Row]) -> str:
    """A JSON array with one record per line (valid JSON, diff-friendly)."""
    body = ",\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
    return "[\n" + body + ("\n" if rows else "") + "]\n"


def vlmevalkit_tsv(rows: Sequence[Row]) -> str:
    """TimeWar TSV; ``video`` is the clip path without ``.mp4`` (read as ``<root>/<video>.mp4``)."""
    return tsv_text(TSV_COLUMNS, ([i, r["id"], r["video"].removesuffix(".mp4"), r["question"],
                                   candidates_literal(r["options"]), r["answer"], r["question_kind"],
                                   r["pair_id"]] for i, r in enumerate(rows)))


def write_trainer_exports(build_dir: Path, records: Mapping[str, Sequence[Row]]) -> list[Path]:
    out, frames = build_dir / "exports", Frames(build_dir)
    files: dict[Path, str] = {
        out / "llava_hound" / "dpo.jsonl": jsonl_text(llava_hound_dpo(records["dpo"])),
        out / "llava" / "sft.json": json_list(llava_sft(records["sft"])),
        out / "trl" / "dpo.jsonl": jsonl_text(trl_dpo(records["dpo"], frames)),
        out / "trl" / "kto.jsonl": jsonl_text(trl_kto(records["kto"], frames)),
        out / "llamafactory" / "dataset_info.json": json.dumps(DATASET_INFO, indent=2) + "\n",
    }
    for name, rows in llamafactory(records).items():
        files[out / "llamafactory" / f"{name}.json"] = json_list(rows)
    for path, text in files.items():
        write_text(path, text)
    return list(files)


def write_evaluator_exports(build_dir: Path, records: Mapping[str, Sequence[Row]]) -> list[Path]:
    out, env = build_dir / "exports", export_templates()
    files: dict[Path, str] = {}
    for variant in TIMEWAR_VARIANTS:
        rows = records[f"timewar_{variant}"]
        files[out / "vlmevalkit" / f"TimeWar_{variant}.tsv"] = vlmevalkit_tsv(rows)
        data = f"timewar_{variant}.jsonl"
        files[out / "lmms_eval" / data] = jsonl_text({k: r[k] for k in LMMS_KEYS} for r in rows)
        files[out / "lmms_eval" / f"timewar_{variant}.yaml"] = env.get_template(
            "lmms_eval_timewar_task.yaml.j2").render(task=f"timewar_{variant}", data_file=data)
    for target, source in ((out / "lmms_eval" / "utils.py", "lmms_eval_timewar_utils.py.txt"),
                           (out / "vlmevalkit" / "timewar_dataset.py", "vlmevalkit_timewar_dataset.py.txt")):
        files[target] = (TEMPLATES_DIR / "exports" / source).read_text()
    for path, text in files.items():
        write_text(path, text)
    return list(files)


def write_exports(build_dir: Path, records: Mapping[str, Sequence[Row]]) -> list[Path]:
    """Write every trainer and evaluator export; returns the files written."""
    return write_trainer_exports(build_dir, records) + write_evaluator_exports(build_dir, records)
