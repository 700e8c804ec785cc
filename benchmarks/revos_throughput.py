"""revos throughput: reading ReVOS-format masks and building records, next to pycocotools decode alone.

The input is made deterministically by this script: ``--videos`` videos of ``--frames`` frames at
``--height`` x ``--width`` (ReVOS-like 720p by default is heavy; the default 480x854 matches the
common ReVOS/MeViS resolution), two moving ellipses per video (one enters late and leaves early),
three expressions per video (each object, and both). Printed side by side, median of
``--repeats`` runs:

- floor: ``json.load`` of ``mask_dict.json`` + ``pycocotools.mask.decode`` of every mask;
- reader: :func:`read_mask_dataset` (JSON, per-anno validation by decoding, per-expression checks);
- records: reader + the per-unit pass (Pix*QA, when_mcq, referring segmentation rows).

    .venv/bin/python benchmarks/revos_throughput.py [--videos 40] [--frames 60] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from pycocotools import mask as coco_mask

from pipelines.core.masks import encode
from pipelines.revos.config import RevosParams
from pipelines.revos.read_masks import read_mask_dataset
from pipelines.revos.units import process_unit


def write_input(root: Path, videos: int, frames: int, height: int, width: int) -> int:
    """Write the synthetic dataset; returns the number of masks (non-null entries)."""
    meta, masks, count = {}, {}, 0
    for v in range(videos):
        annos = []
        for obj, (lo, hi) in enumerate(((0, frames), (frames // 4, 3 * frames // 4))):
            anno = 2 * v + obj
            per_frame = []
            for f in range(frames):
                if not lo <= f < hi:
                    per_frame.append(None)
                    continue
                plane = np.zeros((height, width), np.uint8)
                centre = (int(width * (0.1 + 0.8 * f / frames)), int(height * (0.3 + 0.4 * obj)))
                cv2.ellipse(plane, centre, (width // 10, height // 8), 15 * v, 0, 360, 1, -1)
                per_frame.append(encode(plane.astype(bool)))
                count += 1
            masks[str(anno)] = per_frame
            annos.append(anno)
        meta[f"v{v:04d}"] = {"frames": [f"{f * 5:05d}" for f in range(frames)], "expressions": {
            "0": {"exp": "the first ellipse", "obj_id": [1], "anno_id": [annos[0]]},
            "1": {"exp": "the second ellipse", "obj_id": [2], "anno_id": [annos[1]]},
            "2": {"exp": "both ellipses", "obj_id": [1, 2], "anno_id": annos}}}
    (root / "meta_expressions_valid_.json").write_text(json.dumps({"videos": meta}))
    (root / "mask_dict.json").write_text(json.dumps(masks))
    return count


def floor(root: Path) -> None:
    data = json.loads((root / "mask_dict.json").read_text())
    for per_frame in data.values():
        for rle in per_frame:
            if rle is not None:
                coco_mask.decode({"size": rle["size"], "counts": rle["counts"].encode()})


def reader(root: Path) -> None:
    list(read_mask_dataset(root, "revos", 30.0))


def records(root: Path) -> None:
    params = RevosParams()
    for unit in read_mask_dataset(root, "revos", 30.0):
        process_unit(params, unit)


def median_seconds(fn: Callable[[Path], None], root: Path, repeats: int) -> tuple[float, float, float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(root)
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=int, default=40)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--width", type=int, default=854)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="revos-bench-") as tmp:
        root = Path(tmp)
        masks = write_input(root, args.videos, args.frames, args.height, args.width)
        print(f"input: {args.videos} videos x {args.frames} frames at {args.height}x{args.width}, "
              f"{masks} masks, {3 * args.videos} expressions")
        rows = []
        for name, fn in (("pycocotools decode alone", floor), ("reader (validate)", reader),
                         ("reader + records", records)):
            med, lo, hi = median_seconds(fn, root, args.repeats)
            rows.append((name, med))
            print(f"{name:26s} {med:7.3f}s (min {lo:.3f}, max {hi:.3f})  {masks / med:9.0f} masks/s")
        base = rows[0][1]
        print("ratio to the decode floor: " + ", ".join(f"{n} {t / base:.2f}x" for n, t in rows[1:]))


if __name__ == "__main__":
    main()
