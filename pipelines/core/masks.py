"""Segmentation masks as COCO run-length encoding (RLE), through ``pycocotools`` (never by hand).

An :data:`Rle` is the COCO dict ``{"size": [height, width], "counts": str}`` with compressed
counts as text (JSON- and parquet-friendly). Readers accept what datasets ship: compressed counts
as str or bytes, or uncompressed counts as a list of run lengths.

Contracts:
- :func:`encode` then :func:`decode` gives the same boolean array bit for bit.
- :func:`checked` returns a normalised RLE or raises :class:`MaskError` when the RLE cannot be
  decoded to exactly ``height * width`` pixels (pycocotools' ``area`` alone accepts some broken
  strings, so validation decodes).
- :class:`MaskPresence` is a :class:`~pipelines.core.presence.PresenceSource`: an object is
  present on a frame when its mask there is non-empty; a missing (``None``) mask means absent.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pycocotools import mask as coco_mask

from pipelines.core.presence import Track

# pycocotools' decode trips NumPy 2's __array__(copy=) deprecation on every call; the result is right.
warnings.filterwarnings("ignore", message="__array__ implementation doesn't accept a copy keyword",
                        category=DeprecationWarning, module="pycocotools")

Rle = dict[str, Any]
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
