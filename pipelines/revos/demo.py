"""The shipped revos demo, drawn by FineForge itself (no downloads).

``write_demo_inputs(root)`` writes:
- ``revos/``: a ReVOS-format dataset (``JPEGImages/<video>/<frame>.jpg``,
  ``meta_expressions_valid_.json``, ``mask_dict.json`` with pycocotools RLE). Coloured shapes move
  over a gradient; objects enter late, leave early, or leave and come back (dispersed presence).
  Video ``demo_defects`` plants one of each per-expression defect the reader rejects.
- ``ava/demo_ava.csv``: AVA-format person boxes at 1 Hz (three people; one leaves and returns,
  which splits its track; two stand close, which makes their left/right order ambiguous), plus one
  malformed row.
- ``finevideo/*.json``: FineVideo-format scene metadata (one scene with null timestamps).

:func:`draw_video` is pure: the masks it returns are exactly the ones encoded in ``mask_dict.json``
and painted into the frames.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from pipelines.core.atomic import write_bytes, write_text
from pipelines.core.masks import encode

HEIGHT, WIDTH, STEP = 96, 128, 6  # frame names are source frame numbers at 30 fps, every 6th kept
COLOURS = {"red": (40, 40, 220), "blue": (220, 80, 30), "green": (40, 200, 40),
           "yellow": (30, 220, 230), "magenta": (200, 40, 200), "orange": (20, 140, 250)}


@dataclass(frozen=True)
class Shape:
    object_id: int
    colour: str
    kind: str  # "disk" | "square" | "triangle"
    start: tuple[float, float]  # centre (x, y) in pixels at frame 0
    velocity: tuple[float, float]  # pixels per frame
    visible: tuple[int, ...]  # frame indices where the shape is in view


def _frames(n: int) -> tuple[int, ...]:
    return tuple(range(n))


VIDEOS: dict[str, tuple[int, tuple[Shape, ...]]] = {
    "demo_street": (30, (
        Shape(1, "red", "disk", (4, 30), (7.5, 0), tuple(range(4, 12))),
        Shape(2, "blue", "square", (90, 10), (0, 2.5), _frames(30)),
        Shape(3, "green", "triangle", (30, 70), (2, -1), (*range(0, 6), *range(12, 30))),
    )),
    "demo_park": (24, (
        Shape(1, "yellow", "disk", (120, 60), (-5, 0), tuple(range(16, 24))),
        Shape(2, "magenta", "square", (20, 20), (4, 2), tuple(range(0, 8))),
    )),
    "demo_defects": (8, (Shape(1, "orange", "square", (60, 48), (2, 0), _frames(8)),)),
}
# video -> [(text, [object ids], type_id)]; type 0 referring, 1 reasoning (ReVOS convention)
EXPRESSIONS: dict[str, list[tuple[str, list[int], int]]] = {
    "demo_street": [("the red ball rolling to the right", [1], 0),
                    ("the blue square sliding down", [2], 0),
                    ("the green triangle that hides and comes back", [3], 0),
                    ("the ball and the square", [1, 2], 0),
                    ("the shape that leaves the street first", [1], 1)],
    "demo_park": [("the yellow disk that arrives late", [1], 0),
                  ("the magenta square that goes away", [2], 0),
                  ("both moving shapes", [1, 2], 0)],
    "demo_defects": [("the orange square", [1], 0)],
}


def _mask(shape: Shape, index: int) -> np.ndarray:
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    if index not in shape.visible:
        return mask.astype(bool)
    x = round(shape.start[0] + shape.velocity[0] * index)
    y = round(shape.start[1] + shape.velocity[1] * index)
    if shape.kind == "disk":
        cv2.circle(mask, (x, y), 9, 1, thickness=-1)
    elif shape.kind == "square":
        cv2.rectangle(mask, (x - 8, y - 8), (x + 8, y + 8), 1, thickness=-1)
    else:
        cv2.fillPoly(mask, [np.array([(x, y - 10), (x - 10, y + 8), (x + 10, y + 8)], np.int32)], 1)
    return mask.astype(bool)


def draw_video(video_id: str) -> tuple[list[np.ndarray], dict[int, list[np.ndarray]]]:
    """BGR frames and, per object id, one boolean mask per frame (later shapes paint over)."""
    count, shapes = VIDEOS[video_id]
    gradient = np.linspace(60, 190, WIDTH, dtype=np.uint8)[None, :, None]
    masks = {s.object_id: [_mask(s, i) for i in range(count)] for s in shapes}
    frames = []
    for i in range(count):
        frame = np.broadcast_to(gradient, (HEIGHT, WIDTH, 3)).copy()
        for shape in shapes:
            frame[masks[shape.object_id][i]] = COLOURS[shape.colour]
        frames.append(frame)
    for later, shape in enumerate(shapes):  # a shape drawn over another hides that part of it
        for other in shapes[:later]:
            for i in range(count):
                masks[other.object_id][i] = masks[other.object_id][i] & ~masks[shape.object_id][i]
    return frames, masks


def frame_names(count: int) -> list[str]:
    return [f"{i * STEP:05d}" for i in range(count)]


def write_revos(root: Path) -> None:
    videos: dict[str, dict] = {}
    mask_dict: dict[str, list] = {}
    anno = 0
    for video_id in VIDEOS:
        frames, masks = draw_video(video_id)
        names = frame_names(len(frames))
        for name, frame in zip(names, frames, strict=True):
            _, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 92])
            write_bytes(root / "JPEGImages" / video_id / f"{name}.jpg", jpeg.tobytes())
        anno_of = {}
        for object_id, per_frame in masks.items():
            anno += 1
            anno_of[object_id] = anno
            mask_dict[str(anno)] = [encode(m) if m.any() else None for m in per_frame]
        expressions = {str(i): {"exp": text, "obj_id": objs, "anno_id": [anno_of[o] for o in objs],
                                "type_id": kind}
                       for i, (text, objs, kind) in enumerate(EXPRESSIONS[video_id])}
        videos[video_id] = {"vid_id": video_id, "frames": names, "expressions": expressions}
    _plant_defects(videos["demo_defects"]["expressions"], mask_dict, len(videos["demo_defects"]["frames"]))
    write_text(root / "meta_expressions_valid_.json", json.dumps({"videos": videos}, indent=1) + "\n")
    write_text(root / "mask_dict.json", json.dumps(mask_dict) + "\n")


def _plant_defects(expressions: dict, mask_dict: dict, frames: int) -> None:
    """One expression per defect the reader must reject (see read_masks)."""
    good = encode(np.pad(np.ones((4, 4), bool), ((40, HEIGHT - 44), (60, WIDTH - 64))))
    mask_dict["900"] = [good] * (frames - 1)  # one mask short
    mask_dict["901"] = [good, {"size": [HEIGHT, WIDTH], "counts": "not an rle"}, *[good] * (frames - 2)]
    mask_dict["902"] = [None] * frames
    for text, anno in (("a square with a mask missing", 900), ("a square with a broken mask", 901),
                       ("a shape nobody annotated", 999), ("a shape that is never visible", 902),
                       ("   ", 900)):
        expressions[str(len(expressions))] = {"exp": text, "obj_id": [7], "anno_id": [anno], "type_id": 0}
