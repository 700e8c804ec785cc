"""ReVOS and MeViS readers: ``meta_expressions*.json`` + ``mask_dict.json`` (+ ``JPEGImages/``).

Layout of a root folder: one or more meta files (ReVOS: ``meta_expressions_{train,valid}_.json``,
the split is taken from the name; MeViS: ``meta_expressions.json``), ``mask_dict.json`` mapping
``str(anno_id)`` to one COCO RLE (or null) per frame, and optionally ``JPEGImages/<video>/<frame>.jpg``.

Per expression, in this order, the first failing check rejects it:
``empty_expression`` (no text), ``bad_ids`` (obj_id/anno_id malformed or of different lengths),
``unknown_anno_id`` (not in mask_dict), ``mask_frame_mismatch`` (mask count != frame count, a
known defect of some source videos), ``undecodable_rle``, ``empty_mask`` (an object whose masks are
all null or empty). Per video: ``missing_frames`` (JPEGImages given, a frame file absent) besides
the meta checks. Each anno_id's masks are validated once (decoded with pycocotools).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pipelines.core.errors import InputError
from pipelines.core.masks import META_FILE, Rle, checked_masks
from pipelines.revos.meta import RawVideo, expression_text, id_list, iter_videos, load_json
from pipelines.revos.model import Expression, RejectTuple, VideoReject, VideoUnit


def meta_files(root: Path) -> list[tuple[Path, str]]:
    """``(meta file, split)`` pairs of a dataset root, sorted; none found is an InputError."""
    if not root.is_dir():
        raise InputError(root, "not a folder (expected meta_expressions*.json and mask_dict.json)")
    found = [(p, match.group(1)) for p in sorted(root.glob("meta_expressions*.json"))
             if (match := META_FILE.match(p.name))]
    if not found:
        raise InputError(root, "no meta_expressions*.json file")
    return found


class MaskBank:
    """``mask_dict.json`` with per-anno validation memoised (anno ids are shared by expressions)."""

    def __init__(self, path: Path) -> None:
        data = load_json(path)
        if not isinstance(data, dict):
            raise InputError(path, "expected an object {anno_id: [RLE or null per frame]}")
        self.raw: Mapping[str, Any] = data
        self._checked: dict[str, tuple[tuple[Rle | None, ...], str | None]] = {}

    def masks(self, anno_id: int) -> tuple[tuple[Rle | None, ...], str | None]:
        """Checked masks of one anno id and the reason they are unusable (None when fine)."""
        key = str(anno_id)
        if key not in self._checked:
            self._checked[key] = self._check(key)
        return self._checked[key]

    def _check(self, key: str) -> tuple[tuple[Rle | None, ...], str | None]:
        return checked_masks(self.raw.get(key))


def _expression(video: RawVideo, exp_id: str, raw: Any, bank: MaskBank
                ) -> Expression | tuple[str, str]:
    text = expression_text(raw)
    if not text:
        return "empty_expression", "no 'exp' text"
    objects, annos = id_list(raw.get("obj_id")), id_list(raw.get("anno_id"))
    if objects is None or annos is None or not annos or (objects and len(objects) != len(annos)):
        return "bad_ids", f"obj_id={raw.get('obj_id')!r} anno_id={raw.get('anno_id')!r}"[:120]
    per_object: list[tuple[Rle | None, ...]] = []
    for anno in annos:
        masks, problem = bank.masks(anno)
        if problem is not None:
            return problem, f"anno_id {anno}"
        if len(masks) != len(video.frames):
            return "mask_frame_mismatch", f"anno_id {anno}: {len(masks)} masks, {len(video.frames)} frames"
        per_object.append(masks)
    names = tuple(str(o) for o in (objects or annos))
    type_id = raw.get("type_id") if isinstance(raw.get("type_id"), int) else None
    return Expression(exp_id, text, names, tuple(per_object), type_id)


def _missing_frame(frame_dir: Path, frames: tuple[str, ...]) -> str | None:
    if not frame_dir.is_dir():
        return f"{frame_dir.name}/ missing"
    present = {p.stem for p in frame_dir.iterdir()}
    return next((f"{f}.jpg" for f in frames if f not in present), None)


def read_mask_dataset(root: Path, dataset: str, fps: float) -> Iterator[VideoUnit | VideoReject]:
    """Every video of every meta file under ``root`` (``dataset`` is "revos" or "mevis")."""
    files = meta_files(root)
    bank = MaskBank(root / "mask_dict.json")
    images = root / "JPEGImages"
    for path, split in files:
        for video in iter_videos(path, dataset, split, fps):
            if isinstance(video, VideoReject):
                yield video
                continue
            frame_dir = images / video.video_id
            if images.is_dir():
                missing = _missing_frame(frame_dir, video.frames)
                if missing is not None:
                    yield VideoReject(dataset, split, video.video_id, "missing_frames", missing,
                                      tuple(video.expressions))
                    continue
            kept: list[Expression] = []
            rejects: list[RejectTuple] = []
            prefix = f"{dataset}/{split}/{video.video_id}" if split else f"{dataset}/{video.video_id}"
            for exp_id, raw in video.expressions.items():
                result = _expression(video, exp_id, raw, bank)
                if isinstance(result, Expression):
                    kept.append(result)
                else:
                    rejects.append((f"{prefix}/{exp_id}", *result))
            size = next((tuple(m["size"]) for e in kept for obj in e.masks for m in obj if m), None)
            yield VideoUnit(dataset, split, video.video_id, video.frames, video.times, tuple(kept),
                            tuple(rejects), str(frame_dir) if images.is_dir() else None, size)
