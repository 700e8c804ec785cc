"""Segmentation masks as COCO run-length encoding (RLE), through ``pycocotools`` (never by hand).

An :data:`Rle` is the COCO dict ``{"size": [height, width], "counts": str}`` with compressed
counts as text (JSON- and parquet-friendly). Readers accept what datasets ship: compressed counts
as str or bytes, or uncompressed counts as a list of run lengths.

Contracts:
- :func:`encode` then :func:`decode` gives the same boolean array bit for bit.
- :func:`checked` returns a normalised RLE or raises :class:`MaskError` when the RLE cannot be
  decoded to exactly ``height * width`` pixels (pycocotools' ``area`` alone accepts some broken
  strings, so validation decodes).
- :func:`read_mask_presence` reads a ReVOS / MeViS root (``meta_expressions*.json`` +
  ``mask_dict.json``) into a :class:`MaskPresence`, one track per (video, referred object); an
  object whose masks are unusable is skipped with a reason (see :func:`checked_masks`).
- :class:`MaskPresence` is a :class:`~pipelines.core.presence.PresenceSource`: an object is
  present on a frame when its mask there is non-empty; a missing (``None``) mask means absent.
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pycocotools import mask as coco_mask

from pipelines.core.errors import InputError
from pipelines.core.jsonfile import load_json_file
from pipelines.core.presence import Track
from pipelines.core.validate import require_folder

# pycocotools' decode trips NumPy 2's __array__(copy=) deprecation on every call; the result is right.
warnings.filterwarnings("ignore", message="__array__ implementation doesn't accept a copy keyword",
                        category=DeprecationWarning, module="pycocotools")

Rle = dict[str, Any]
META_FILE = re.compile(r"^meta_expressions_?([A-Za-z0-9]*)_?\.json$")  # group 1: the split ("" for MeViS)
Box = tuple[float, float, float, float]


class MaskError(ValueError):
    """An RLE that cannot be decoded (bad size, bad counts, wrong pixel total)."""


def encode(mask: np.ndarray) -> Rle:
    """Boolean/0-1 ``(height, width)`` array -> RLE with text counts."""
    if mask.ndim != 2:
        raise ValueError(f"mask must be 2-D, got shape {mask.shape}")
    rle = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(rle["size"][0]), int(rle["size"][1])], "counts": rle["counts"].decode("ascii")}


def _native(rle: Mapping[str, Any]) -> dict[str, Any]:
    """The dict pycocotools wants (bytes counts; list counts converted via ``frPyObjects``)."""
    if not isinstance(rle, Mapping) or "size" not in rle or "counts" not in rle:
        raise MaskError("not an RLE object (needs 'size' and 'counts')")
    size = rle["size"]
    if (not isinstance(size, Sequence) or len(size) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size)):
        raise MaskError(f"bad size {size!r}")
    counts = rle["counts"]
    if isinstance(counts, list):
        if not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts):
            raise MaskError("uncompressed counts must be non-negative integers")
        if sum(counts) != size[0] * size[1]:
            raise MaskError(f"runs cover {sum(counts)} pixels, size says {size[0] * size[1]}")
        return coco_mask.frPyObjects({"size": list(size), "counts": counts}, size[0], size[1])
    if isinstance(counts, str):
        counts = counts.encode("ascii", errors="replace")
    if not isinstance(counts, bytes):
        raise MaskError(f"counts of type {type(counts).__name__}")
    return {"size": [size[0], size[1]], "counts": counts}


def decode(rle: Mapping[str, Any]) -> np.ndarray:
    """RLE -> boolean ``(height, width)`` array; :class:`MaskError` when undecodable."""
    native = _native(rle)
    try:
        return coco_mask.decode(native).astype(bool)
    except (ValueError, TypeError) as exc:
        raise MaskError(str(exc)) from None


def checked(rle: Mapping[str, Any]) -> Rle:
    """Validate by decoding; return the RLE with text counts (compressed)."""
    native = _native(rle)
    try:
        coco_mask.decode(native)
    except (ValueError, TypeError) as exc:
        raise MaskError(str(exc)) from None
    return {"size": [int(native["size"][0]), int(native["size"][1])],
            "counts": native["counts"].decode("ascii")}


def area(rle: Rle) -> int:
    """Number of foreground pixels of a *checked* RLE."""
    return int(coco_mask.area(_native(rle)))


def box(rle: Rle) -> Box | None:
    """Tight box ``(x1, y1, x2, y2)`` normalised to 0..1 of a checked RLE; None when empty."""
    native = _native(rle)
    if int(coco_mask.area(native)) == 0:
        return None
    x, y, w, h = (float(v) for v in coco_mask.toBbox(native))
    height, width = native["size"]
    return (x / width, y / height, (x + w) / width, (y + h) / height)


def checked_masks(raw: Any, frames: int | None = None) -> tuple[tuple[Rle | None, ...], str | None]:
    """One object's per-frame masks (``mask_dict.json`` value: RLE or null per frame), checked.

    Returns the masks and ``None``, or ``()`` and the reason they are unusable: ``unknown_anno_id``
    (not a list), ``mask_frame_mismatch`` (``frames`` given and the count differs),
    ``undecodable_rle``, ``empty_mask`` (every mask null or empty)."""
    if not isinstance(raw, list):
        return (), "unknown_anno_id"
    if frames is not None and len(raw) != frames:
        return (), "mask_frame_mismatch"
    out: list[Rle | None] = []
    for item in raw:
        try:
            out.append(None if item is None else checked(item))
        except MaskError:
            return (), "undecodable_rle"
    if not any(m is not None and area(m) > 0 for m in out):
        return (), "empty_mask"
    return tuple(out), None


@dataclass(frozen=True)
class ObjectMasks:
    """One object's masks over one video's frames (``None`` = no mask on that frame)."""

    video_id: str
    object_id: str
    times: tuple[float, ...]
    masks: tuple[Rle | None, ...]
    label: str = ""


class MaskPresence:
    """Presence from masks: present on a frame = non-empty mask there (PresenceSource)."""

    def __init__(self, objects: Sequence[ObjectMasks]) -> None:
        self._tracks: dict[str, list[Track]] = {}
        for obj in sorted(objects, key=lambda o: (o.video_id, o.object_id)):
            present = tuple(m is not None and area(m) > 0 for m in obj.masks)
            self._tracks.setdefault(obj.video_id, []).append(
                Track(obj.video_id, obj.object_id, obj.times, present, obj.label))

    def video_ids(self) -> Sequence[str]:
        return sorted(self._tracks)

    def tracks(self, video_id: str) -> Sequence[Track]:
        return tuple(self._tracks.get(video_id, ()))


def frame_times(frames: Sequence[str], fps: float) -> tuple[float, ...] | None:
    """Seconds of each frame: ``int(name) / fps`` when every name is a frame number (ReVOS and
    Ref-YouTube-VOS name sampled frames by their index in the source video), else ``position / fps``.
    None when numeric names are not strictly increasing."""
    if frames and all(f.isascii() and f.isdigit() for f in frames):
        numbers = [int(f) for f in frames]
        if any(b <= a for a, b in itertools.pairwise(numbers)):
            return None
        return tuple(n / fps for n in numbers)
    return tuple(i / fps for i in range(len(frames)))


def _referred_objects(entry: Any) -> dict[str, tuple[str, str]]:
    """``str(anno_id) -> (object name, first expression text)`` of one video entry."""
    found: dict[str, tuple[str, str]] = {}
    expressions = entry.get("expressions") if isinstance(entry, dict) else None
    for exp in (expressions or {}).values() if isinstance(expressions, dict) else ():
        annos = exp.get("anno_id") if isinstance(exp, dict) else None
        objs = exp.get("obj_id") if isinstance(exp, dict) else None
        for i, anno in enumerate(annos if isinstance(annos, list) else []):
            name = str(objs[i]) if isinstance(objs, list) and i < len(objs) else str(anno)
            found.setdefault(str(anno), (name, str(exp.get("exp", ""))))
    return found


def read_mask_presence(root: Path, fps: float) -> tuple[MaskPresence, list[tuple[str, str, str]], int]:
    """Presence tracks of every referred object of a ReVOS / MeViS root.

    Returns the source, the skipped objects as ``(video/object, reason, detail)`` and the number of
    objects seen. Objects are the distinct ``anno_id`` of a video's expressions (named by their
    ``obj_id`` when given); a track's label is the first expression naming its object. Reasons:
    those of :func:`checked_masks`, and ``bad_frames`` (no usable frame list)."""
    require_folder(root)  # missing, a file, unreadable: said as such, not as "no meta file"
    metas = sorted(p for p in root.glob("meta_expressions*.json") if META_FILE.match(p.name))
    if not metas:
        raise InputError(root, "no meta_expressions*.json file")
    mask_dict = load_json_file(root / "mask_dict.json")
    if not isinstance(mask_dict, dict):
        raise InputError(root / "mask_dict.json", "expected an object {anno_id: [RLE or null per frame]}")
    objects: list[ObjectMasks] = []
    skipped: list[tuple[str, str, str]] = []
    seen = 0
    for meta in metas:
        videos = load_json_file(meta).get("videos")
        if not isinstance(videos, dict):
            raise InputError(meta, "expected an object with a 'videos' object", key="videos")
        for video_id, entry in sorted(videos.items()):
            frames = entry.get("frames") if isinstance(entry, dict) else None
            times = frame_times(frames, fps) if isinstance(frames, list) and frames else None
            for anno, (name, label) in sorted(_referred_objects(entry).items()):
                seen += 1
                masks, problem = (((), "bad_frames") if times is None
                                  else checked_masks(mask_dict.get(anno), len(times)))
                if problem is not None:
                    skipped.append((f"{video_id}/{name}", problem, f"anno_id {anno}"))
                else:
                    objects.append(ObjectMasks(video_id, name, times or (), masks, label))
    return MaskPresence(objects), skipped, seen
