"""Trainer and evaluator formats of a timewarp build, all under ``<build>/exports/``.

Paths inside exports are relative to the build folder (``media/<video_id>/<variant>.mp4``; frame
folders ``media/<video_id>/<variant>_frames/`` with ``c01_0001.jpeg``... in numeric order). Rows
keep the order of their config, so line *i* of an export is row *i* of the config.

With rendered media (``media/`` exists):
- ``llava_hound/dpo.jsonl``: ``{id, video, prompt, answer, chosen, chosen_score, rejected,
  rejected_score}``; ``video`` is the normal clip's frame folder, ``answer == chosen``, scores are
  the constants :data:`CHOSEN_SCORE` / :data:`REJECTED_SCORE` (consistent / inconsistent with the
  true scene order).
- ``llava/sft.json``: ``[{id, video, conversations: [human "<video>\\n...", gpt]}]``.
- ``trl/dpo.jsonl`` / ``trl/kto.jsonl``: TRL conversational vision format; the clip is its frame
  list in ``images`` with one ``{"type": "image"}`` part per frame.
- ``llamafactory/``: sharegpt ``timewarp_{sft,dpo,kto}.json`` with ``videos: [path]`` and exactly one
  ``<video>`` tag per record, plus ``dataset_info.json``.

Without media, the exports whose records cannot exist without a clip (:data:`MEDIA_ONLY`:
LLaVA-Hound, LLaVA) are not written (a stale copy from an earlier build is removed), and TRL and
LLaMA-Factory are written text-only: string message contents, no ``images`` / ``videos`` keys, no
``<video>`` tag (an empty ``images`` list makes TRL treat a text model as a vision one).

Evaluators: ``vlmevalkit/TimeWar_{normal,shuffled,paired}.tsv``
+ ``timewar_dataset.py``; ``lmms_eval/timewar_{normal,shuffled,paired}.yaml``, ``utils.py`` and the
JSONL. ``paired`` holds both versions (normal rows first) and scores pairs by ``pair_id``. Both
scorers embed :mod:`pipelines.core.answers` and :mod:`pipelines.core.evalframes` verbatim.

Free text never contains a media placeholder: ``<video>``/``<image>`` inside captions are written
without angle brackets, so placeholder counts always equal the media counts.

Every file is written as a stream (:class:`~pipelines.timewarp.exportstream.ExportStream`, fed
unit by unit in a streamed build); ``exportstream.write_exports`` feeds it whole record lists.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pipelines.core.evalformats import candidates_literal, render_export, tsv_text

Row = dict[str, Any]
CHOSEN_SCORE, REJECTED_SCORE = 1.0, 0.0
TIMEWAR_VARIANTS = ("normal", "shuffled")
TSV_COLUMNS = ("index", "id", "video", "question", "candidates", "answer", "category", "pair_id")
PAIRED_METRICS = ("text", "video", "group")
MEDIA_ONLY = ("llava_hound/dpo.jsonl", "llava/sft.json")  # not written without media
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

    def forget(self) -> None:
        """Drop the frame lists looked up so far (a streamed build looks them up unit by unit)."""
        self._cache.clear()

    def __call__(self, video: str) -> list[str]:
        """Paths (relative to the build folder) of ``video``'s frames, in numeric order."""
        folder = frame_folder(video)
        if folder not in self._cache:
            path = self.build_dir / folder
            names = ([p.name for p in path.iterdir() if p.is_file() and not p.name.startswith(".")]
                     if self.rendered and path.is_dir() else [])
            self._cache[folder] = [f"{folder}/{n}" for n in sorted(names, key=_numeric_key)]
        return self._cache[folder]


def _user(text: str, images: list[str] | None) -> dict[str, Any]:
    if images is None:
        return {"role": "user", "content": plain(text)}
    return {"role": "user", "content": [*({"type": "image"} for _ in images),
                                        {"type": "text", "text": plain(text)}]}


def _assistant(text: str, vision: bool) -> list[dict[str, Any]]:
    content: Any = [{"type": "text", "text": plain(text)}] if vision else plain(text)
    return [{"role": "assistant", "content": content}]


def _with_images(record: Row, images: list[str] | None) -> Row:
    return record if images is None else {**record, "images": images}


def llava_hound_dpo(dpo: Sequence[Row]) -> list[Row]:
    return [{"id": r["id"], "video": frame_folder(r["video"]), "prompt": plain(r["prompt"]),
             "answer": plain(r["chosen"]), "chosen": plain(r["chosen"]), "chosen_score": CHOSEN_SCORE,
             "rejected": plain(r["rejected"]), "rejected_score": REJECTED_SCORE} for r in dpo]


def llava_sft(sft: Sequence[Row]) -> list[Row]:
    return [{"id": r["id"], "video": r["video"], "conversations": [
        {"from": "human", "value": "<video>\n" + plain(r["prompt"])},
        {"from": "gpt", "value": plain(r["response"])}]} for r in sft]


def trl_dpo(dpo: Sequence[Row], frames: Frames) -> list[Row]:
    """TRL DPO records; text-only (no ``images`` key, string contents) without rendered media."""
    out = []
    for r in dpo:
        images = frames(r["video"]) if frames.rendered else None
        out.append(_with_images({"prompt": [_user(r["prompt"], images)],
                                 "chosen": _assistant(r["chosen"], frames.rendered),
                                 "rejected": _assistant(r["rejected"], frames.rendered)}, images))
    return out


def trl_kto(kto: Sequence[Row], frames: Frames) -> list[Row]:
    """TRL KTO records; text-only (no ``images`` key, string contents) without rendered media."""
    out = []
    for r in kto:
        images = frames(r["video"]) if frames.rendered else None
        out.append(_with_images({"prompt": [_user(r["prompt"], images)],
                                 "completion": _assistant(r["completion"], frames.rendered),
                                 "label": bool(r["label"])}, images))
    return out


def _human(prompt: str, media: bool) -> dict[str, str]:
    return {"from": "human", "value": ("<video>" if media else "") + plain(prompt)}


def _gpt(text: str) -> dict[str, str]:
    return {"from": "gpt", "value": plain(text)}


def llamafactory(records: Mapping[str, Sequence[Row]], media: bool = True) -> dict[str, list[Row]]:
    """LLaMA-Factory sharegpt files by dataset name: one ``<video>`` and one path per record with
    media, neither without (text-only)."""
    def record(body: Row, video: str) -> Row:
        return {**body, "videos": [video]} if media else body

    return {
        "timewarp_sft": [record({"conversations": [_human(r["prompt"], media), _gpt(r["response"])]},
                                r["video"]) for r in records["sft"]],
        "timewarp_dpo": [record({"conversations": [_human(r["prompt"], media)], "chosen": _gpt(r["chosen"]),
                                 "rejected": _gpt(r["rejected"])}, r["video"]) for r in records["dpo"]],
        "timewarp_kto": [record({"conversations": [_human(r["prompt"], media), _gpt(r["completion"])],
                                 "kto_tag": bool(r["label"])}, r["video"]) for r in records["kto"]],
    }


def dataset_info(media: bool = True) -> dict[str, dict[str, Any]]:
    """The ``dataset_info.json`` entries (the ``videos`` column only with media)."""
    videos = {"videos": "videos"} if media else {}
    return {
        "timewarp_sft": {"file_name": "timewarp_sft.json", "formatting": "sharegpt",
                         "columns": {"messages": "conversations", **videos}},
        "timewarp_dpo": {"file_name": "timewarp_dpo.json", "formatting": "sharegpt", "ranking": True,
                         "columns": {"messages": "conversations", "chosen": "chosen", "rejected": "rejected",
                                     **videos}},
        "timewarp_kto": {"file_name": "timewarp_kto.json", "formatting": "sharegpt",
                         "columns": {"messages": "conversations", "kto_tag": "kto_tag", **videos}},
    }


def tsv_row(index: int, r: Row, variant_column: bool = False) -> list[Any]:
    """One TimeWar TSV row; ``video`` is the clip path without ``.mp4`` (read as
    ``<root>/<video>.mp4``); ``variant_column`` adds ``variant`` (the paired TSV)."""
    return [index, r["id"], r["video"].removesuffix(".mp4"), r["question"], candidates_literal(r["options"]),
            r["answer"], r["question_kind"], r["pair_id"], *([r["variant"]] if variant_column else [])]


def vlmevalkit_tsv(rows: Sequence[Row], variant_column: bool = False) -> str:
    """The TimeWar TSV of ``rows`` (see :func:`tsv_row`)."""
    extra = ("variant",) if variant_column else ()
    return tsv_text(TSV_COLUMNS + extra, (tsv_row(i, r, variant_column) for i, r in enumerate(rows)))


def task_yaml(name: str, kinds: set[str], paired: bool) -> str:
    metrics = ["accuracy", *(f"accuracy_{v}" for v in TIMEWAR_VARIANTS if paired),
               *(f"accuracy_{k}" for k in sorted(kinds) if not paired)]
    hook = "timewar_paired_process_results" if paired else "timewar_process_results"
    return render_export("lmms_eval_timewar_task.yaml.j2", task=f"timewar_{name}",
                         data_attribute=f"TIMEWAR_{name.upper()}_JSONL", metrics=metrics,
                         process_results=hook, paired_metrics=PAIRED_METRICS if paired else ())

