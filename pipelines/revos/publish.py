"""Exports, data card (``README.md``) and HTML report (``report/index.html``) of a revos build.

Deterministic: everything depends on the records, ledger, params, version and input checksums;
samples are picked by position. A build calls :func:`write_card_report` with the fold its rows
were fed to unit by unit; :func:`write_card_exports_report` does everything from whole lists.
Report sample cards show frames with the referenced masks' outlines drawn on them (only when the
source's frames were given).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from pipelines.core.accounting import Ledger
from pipelines.core.atomic import write_bytes, write_text
from pipelines.core.blind import ChoiceItem, blind_choice_report, within_feature_budget
from pipelines.core.cards import render_card, render_report, size_category
from pipelines.core.manifest import code_version
from pipelines.core.masks import decode
from pipelines.revos.config import RevosParams
from pipelines.revos.exports import write_exports
from pipelines.revos.fold import MASKED, PIX, PLAIN, SAMPLE, RowFold
from pipelines.revos.model import VideoUnit
from pipelines.revos.schema import SPLITS
from pipelines.revos.templates import pool
from pipelines.revos.units import CONFIGS, STAGES

Row = dict[str, Any]
OUTLINE_COLOURS = ((0, 255, 255), (255, 0, 255), (0, 255, 0), (255, 128, 0))
SAMPLE_FRAMES = 4


def build_stats(fold: RowFold, ledger: Ledger, when_items: Sequence[ChoiceItem], seed: int = 0
                ) -> dict[str, Any]:
    """The card's statistics; ``when_items``: the sampled ``when_mcq`` items (:meth:`RowFold.replay`)
    for the text-only baseline (can the span be told without frames?)."""
    return {
        "rows": {c: fold.rows[c] for c in CONFIGS},
        "rejected_by_stage": {s: dict(sorted(ledger.stage(s).rejected.items())) for s in STAGES},
        "expressions_by_source": fold.counts(["referring_segmentation"], "source"),
        "mask_sources": fold.counts(["referring_segmentation"], "mask_source"),
        "description_sources": fold.counts(PIX, "description_source"),
        "pixtrqa_span_seconds": dict(sorted(fold.spans.items())),
        "templates": {c: fold.counts([c], "template_id") for c in CONFIGS if c != "when_mcq"},
        "when_letters": {k: fold.values.counter("when_mcq", "answer")[k] for k in "ABCD"},
        "pool_sizes": {task: len(phrases) for task, phrases in pool("tpo").items() if task != "answers"},
        "blind_when_mcq": blind_choice_report(within_feature_budget(when_items, seed), seed=seed,
                                              max_items=SAMPLE),
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


def report_samples(build_dir: Path, picked: Mapping[str, Sequence[Row]], units: Sequence[Any]
                   ) -> dict[str, list[Row]]:
    """The report's cards of the picked rows (mask configs: with the masks outlined on frames)."""
    frame_dirs = {(u.dataset, u.video_id): Path(u.frame_dir) for u in units
                  if isinstance(u, VideoUnit) and u.frame_dir}
    shutil.rmtree(build_dir / "report" / "frames", ignore_errors=True)  # no stale cards from a rerun
    samples: dict[str, list[Row]] = {}
    for config in MASKED:
        cards = []
        for n, row in enumerate(picked[config]):
            folder = frame_dirs.get((row.get("dataset") or row.get("source"), row["video_id"]))
            images = outlined_frames(row, folder, build_dir / "report" / "frames", f"{config}{n}") \
                if folder else []
            cards.append({**row, "images": images})
        samples[config] = cards
    for config in PLAIN:
        samples[config] = list(picked[config])
    return samples


def write_card_report(build_dir: Path, fold: RowFold, picked: Mapping[str, Sequence[Row]],
                      stats: Mapping[str, Any], ledger: Ledger, params: RevosParams, version: str,
                      inputs: Mapping[str, Any], units: Sequence[Any]) -> list[Path]:
    """Write ``README.md`` and ``report/index.html`` (the exports are written beforehand)."""
    context = {"version": version, "params": params.model_dump(), "code_version": code_version(),
               "inputs": dict(inputs), "counts": ledger.to_json(), "stats": dict(stats),
               "configs": [(c, SPLITS[c], fold.rows[c]) for c in CONFIGS],
               "size_category": size_category(sum(fold.rows[c] for c in CONFIGS)),
               "tokens": params.tokens.model_dump()}
    write_text(build_dir / "README.md", render_card("revos", context))
    context["samples"] = report_samples(build_dir, picked, units)
    write_text(build_dir / "report" / "index.html", render_report("revos", context))
    return [build_dir / "README.md", build_dir / "report" / "index.html"]


def write_card_exports_report(build_dir: Path, records: Mapping[str, Sequence[Row]], ledger: Ledger,
                              params: RevosParams, version: str, inputs: Mapping[str, Any],
                              units: Sequence[Any]) -> dict[str, Any]:
    """Exports, card and report from whole ``records`` (what a build writes unit by unit);
    returns the statistics."""
    write_exports(build_dir, records)
    fold = RowFold(params.seed)
    for config in CONFIGS:
        fold.add(config, records[config])
    picked, when_items = fold.replay(lambda: [records])
    stats = build_stats(fold, ledger, when_items, params.seed)
    write_card_report(build_dir, fold, picked, stats, ledger, params, version, inputs, units)
    return stats
