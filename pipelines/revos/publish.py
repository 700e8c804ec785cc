"""Exports, data card (``README.md``) and HTML report (``report/index.html``) of a revos build.

Deterministic: everything depends on the records, ledger, params, version and input checksums;
samples are picked by position. Report sample cards show frames with the referenced masks'
outlines drawn on them (only when the source's frames were given).
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from pipelines.core.accounting import Ledger
from pipelines.core.atomic import write_bytes, write_text
from pipelines.core.blind import ChoiceItem, blind_choice_report
from pipelines.core.cards import render_card, render_report, size_category
from pipelines.core.manifest import code_version
from pipelines.core.masks import decode
from pipelines.revos.config import RevosParams
from pipelines.revos.exports import write_exports
from pipelines.revos.model import VideoUnit
from pipelines.revos.schema import SPLITS
from pipelines.revos.templates import pool
from pipelines.revos.units import CONFIGS, STAGES

Row = dict[str, Any]
OUTLINE_COLOURS = ((0, 255, 255), (255, 0, 255), (0, 255, 0), (255, 128, 0))
SAMPLE_FRAMES = 4


def _counts(rows: Sequence[Row], key: str) -> dict[str, int]:
    return dict(sorted(Counter(str(r[key]) for r in rows).items()))


def blind_report(bench: Sequence[Row], seed: int) -> dict[str, Any]:
    """Text-only baselines on ``when_mcq`` (grouped by video): can the span be told without frames?"""
    items = [ChoiceItem(r["id"], {"video": f'{r["dataset"]}/{r["video_id"]}'}, r["question"],
                        tuple(r["options"]), "ABCD".index(r["answer"]), "when") for r in bench]
    return blind_choice_report(items, seed=seed)


def build_stats(records: Mapping[str, Sequence[Row]], ledger: Ledger, seed: int = 0) -> dict[str, Any]:
    spans = [r["end"] - r["start"] for r in records["pixtrqa"]]
    return {
        "rows": {c: len(records[c]) for c in CONFIGS},
        "rejected_by_stage": {s: dict(sorted(ledger.stage(s).rejected.items())) for s in STAGES},
        "expressions_by_source": _counts(records["referring_segmentation"], "source"),
        "mask_sources": _counts(records["referring_segmentation"], "mask_source"),
        "description_sources": _counts([*records["pixtrqa"], *records["pixhqa"], *records["pixrqa"]],
                                       "description_source"),
        "pixtrqa_span_seconds": dict(sorted(Counter(f"{int(s)}-{int(s) + 1}s" for s in spans).items())),
        "templates": {c: _counts(records[c], "template_id") for c in CONFIGS if c != "when_mcq"},
        "when_letters": {k: sum(r["answer"] == k for r in records["when_mcq"]) for k in "ABCD"},
        "pool_sizes": {task: len(phrases) for task, phrases in pool("tpo").items() if task != "answers"},
        "blind_when_mcq": blind_report(records["when_mcq"], seed),
    }


def outlined_frames(row: Row, frame_dir: Path, out_dir: Path, rel: str) -> list[str]:
    """Up to SAMPLE_FRAMES frames of ``row`` with its [SEG] masks outlined (one colour per object)."""
    by_frame: dict[str, list[tuple[int, Row]]] = {}
    for obj, seg in enumerate(row["seg_masks"]):
        for index in seg:
            mask = row["masks"][index]
            by_frame.setdefault(mask["frame"], []).append((obj, mask))
    frames = sorted(by_frame)
    step = max(1, len(frames) // SAMPLE_FRAMES)
    written = []
    for frame in frames[::step][:SAMPLE_FRAMES]:
        image = cv2.imread(str(frame_dir / f"{frame}.jpg"))
        if image is None:
            continue
        for obj, mask in by_frame[frame]:
            plane = decode({"size": [mask["height"], mask["width"]], "counts": mask["counts"]})
            contours, _ = cv2.findContours(plane.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
            cv2.drawContours(image, contours, -1, OUTLINE_COLOURS[obj % len(OUTLINE_COLOURS)], 1)
        name = f"{rel}_{frame}.png"
        write_bytes(out_dir / name, cv2.imencode(".png", image)[1].tobytes())
        written.append(f"frames/{name}")
    return written


def report_samples(build_dir: Path, records: Mapping[str, Sequence[Row]], units: Sequence[Any]
                   ) -> dict[str, list[Row]]:
    frame_dirs = {(u.dataset, u.video_id): Path(u.frame_dir) for u in units
                  if isinstance(u, VideoUnit) and u.frame_dir}
    shutil.rmtree(build_dir / "report" / "frames", ignore_errors=True)  # no stale cards from a rerun
    samples: dict[str, list[Row]] = {}
    for config in ("pixtrqa", "pixhqa", "pixrqa", "referring_segmentation"):
        rows = [r for r in records[config] if r["masks"]]
        picked = rows[::max(1, len(rows) // 3)][:3]
        cards = []
        for n, row in enumerate(picked):
            folder = frame_dirs.get((row.get("dataset") or row.get("source"), row["video_id"]))
            images = outlined_frames(row, folder, build_dir / "report" / "frames", f"{config}{n}") \
                if folder else []
            cards.append({**row, "images": images})
        samples[config] = cards
    for config in ("temporal_grounding", "tracking", "spatial_grounding", "when_mcq"):
        rows = records[config]
        samples[config] = list(rows[::max(1, len(rows) // 3)][:3])
    return samples


def write_card_exports_report(build_dir: Path, records: Mapping[str, Sequence[Row]],
                              stats: Mapping[str, Any], ledger: Ledger, params: RevosParams,
                              version: str, inputs: Mapping[str, Any], units: Sequence[Any]) -> list[Path]:
    written = write_exports(build_dir, records)
    context = {"version": version, "params": params.model_dump(), "code_version": code_version(),
               "inputs": dict(inputs), "counts": ledger.to_json(), "stats": dict(stats),
               "configs": [(c, SPLITS[c], len(records[c])) for c in CONFIGS],
               "size_category": size_category(sum(len(records[c]) for c in CONFIGS)),
               "tokens": params.tokens.model_dump()}
    write_text(build_dir / "README.md", render_card("revos", context))
    context["samples"] = report_samples(build_dir, records, units)
    write_text(build_dir / "report" / "index.html", render_report("revos", context))
    return [*written, build_dir / "README.md", build_dir / "report" / "index.html"]
