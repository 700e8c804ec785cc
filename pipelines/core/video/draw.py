"""Draw boxes on a *copy* of a frame, for sample cards and inspection.

Contract: the source image is never modified; ``out_path`` must differ from it and is written
atomically (temp name, then rename). Boxes are ``(x1, y1, x2, y2)`` normalised to 0..1 of the
image's width and height (AVA's convention), with ``x1 < x2`` and ``y1 < y2``; values are clipped
to the image. Output format follows ``out_path``'s suffix (.jpg/.jpeg/.png). Same inputs give
the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from pipelines.core.errors import ConfigError, InputError
from pipelines.core.video.frames import write_atomic

Box = tuple[float, float, float, float]
GREEN = (0, 200, 0)  # BGR


def draw_box(frame_path: str | Path, box_xyxy_normalised: Box, out_path: str | Path, *,
             label: str | None = None, color: tuple[int, int, int] = GREEN) -> Path:
    """Write a copy of ``frame_path`` with one labelled box to ``out_path``; return ``out_path``."""
    return draw_boxes(frame_path, [(box_xyxy_normalised, label)], out_path, color=color)


def draw_boxes(frame_path: str | Path, boxes: Sequence[tuple[Box, str | None]], out_path: str | Path, *,
               color: tuple[int, int, int] = GREEN) -> Path:
    """Write a copy of ``frame_path`` with every ``(box, label)`` drawn to ``out_path``."""
    src, out = Path(frame_path).absolute(), Path(out_path).absolute()
    if src == out:
        raise ConfigError(f"{out}: drawing would overwrite the source frame; choose another out_path")
    img = cv2.imread(str(src), cv2.IMREAD_COLOR)
    if img is None:
        raise InputError(frame_path, "missing or not a readable image")
    h, w = img.shape[:2]
    thick = max(1, round(min(h, w) / 200))
    for box, label in boxes:
        x1, y1, x2, y2 = _pixels(box, w, h)
        cv2.rectangle(img, (x1, y1), (x2, y2), color, thick)
        if label:
            _label(img, label, x1, y1, color, thick)
    ok, data = cv2.imencode(out.suffix.lower() or ".png", img)
    if not ok:
        raise ConfigError(f"{out}: unsupported image suffix")
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, data.tobytes())
    return out


def _pixels(box: Box, w: int, h: int) -> tuple[int, int, int, int]:
    if len(box) != 4 or not all(np.isfinite(box)):
        raise ConfigError(f"box must be 4 finite numbers (x1, y1, x2, y2), not {box!r}")
    x1, y1, x2, y2 = (min(1.0, max(0.0, float(v))) for v in box)
    if not (x1 < x2 and y1 < y2):
        raise ConfigError(f"box {box!r} is empty or inverted (need x1 < x2, y1 < y2 in 0..1)")
    return round(x1 * (w - 1)), round(y1 * (h - 1)), round(x2 * (w - 1)), round(y2 * (h - 1))


def _label(img: np.ndarray, text: str, x: int, y: int, color: tuple[int, int, int], thick: int) -> None:
    """Draw ``text`` on a filled band above (or inside, at the top edge) the box corner."""
    text = text.encode("ascii", "replace").decode()  # Hershey fonts are ASCII-only
    scale = max(0.4, thick * 0.45)
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    top = y - th - base - 2 if y - th - base - 2 >= 0 else y
    cv2.rectangle(img, (x, top), (min(img.shape[1] - 1, x + tw + 4), top + th + base + 2), color, -1)
    cv2.putText(img, text, (x + 2, top + th + 1), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1,
                cv2.LINE_AA)
