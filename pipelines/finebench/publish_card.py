"""Data card (``README.md``) and HTML report (``report/index.html``) of a finebench build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines.core.accounting import Ledger
from pipelines.core.atomic import write_text
from pipelines.core.cards import render_card, render_report, size_category
from pipelines.core.manifest import code_version
from pipelines.finebench.config import FinebenchParams
from pipelines.finebench.frames import draw_sample
from pipelines.finebench.vocabulary import Vocabulary

SAMPLE_CARDS = 12


def pick_samples(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A spread of examples: evenly spaced over the build, preferring crowded keyframes."""
    if not records:
        return []
    crowded = [r for r in records if r["num_persons"] >= 3]
    pool = (crowded[: SAMPLE_CARDS // 2] + records)[: max(SAMPLE_CARDS, 1) * 50]
    step = max(1, len(pool) // SAMPLE_CARDS)
    seen: set[str] = set()
    picked = []
    for r in pool[::step]:
        if r["id"] not in seen:
            seen.add(r["id"])
            picked.append(r)
    return picked[:SAMPLE_CARDS]


def keyframe_boxes(records: list[dict[str, Any]], wanted: set[tuple[str, int]]
                   ) -> dict[tuple[str, int], list[list[float]]]:
    """Boxes of every person at the ``wanted`` keyframes (for the sample cards)."""
    boxes: dict[tuple[str, int], dict[int, list[float]]] = {k: {} for k in wanted}
    for r in records:
        key = (r["video_id"], r["timestamp"])
        if key in boxes:
            boxes[key][r["person_id"]] = list(r["bbox"])
    return {k: list(v.values()) for k, v in boxes.items()}


def write_card_and_report(build_dir: Path, records: list[dict[str, Any]], stats: dict[str, Any],
                          ledger: Ledger, params: FinebenchParams, version: str,
                          input_sums: dict[str, str], vocab: Vocabulary) -> None:
    context = {
        "version": version,
        "params": params.model_dump(),
        "code_version": code_version(),
        "inputs": input_sums,
        "counts": ledger.to_json(),
        "stats": stats,
        "size_category": size_category(len(records)),
        "similarity_map": vocab.similarity_map,
        "num_templates": {c: len(t) for c, t in vocab.templates.items()},
    }
    write_text(build_dir / "README.md", render_card("finebench", context))
    samples = pick_samples(records)
    boxes = keyframe_boxes(records, {(r["video_id"], r["timestamp"]) for r in samples})
    context["samples"] = [{**r, "all_boxes": boxes[(r["video_id"], r["timestamp"])]} for r in samples]
    for sample in context["samples"]:
        sample["target_frame_image"] = draw_sample(build_dir, sample)
    write_text(build_dir / "report" / "index.html", render_report("finebench", context))
