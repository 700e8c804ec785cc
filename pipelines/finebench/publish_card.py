"""Data card (``README.md``) and HTML report (``report/index.html``) of a finebench build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.core.accounting import Ledger
from pipelines.core.atomic import write_text
from pipelines.core.cachekey import config_digests
from pipelines.core.cards import render_card, render_report, size_category
from pipelines.core.manifest import code_version
from pipelines.finebench.config import FinebenchParams
from pipelines.finebench.frames import draw_sample
from pipelines.finebench.vocabulary import Vocabulary

SAMPLE_CARDS = 12


def pick_samples(table: pa.Table) -> list[dict[str, Any]]:
    """A spread of examples: evenly spaced over the first rows, preferring crowded keyframes."""
    if not table.num_rows:
        return []
    crowded = np.flatnonzero(table.column("num_persons").to_numpy() >= 3)[: SAMPLE_CARDS // 2]
    pool = np.concatenate([crowded, np.arange(min(table.num_rows, SAMPLE_CARDS * 50))])
    pool = pool[: SAMPLE_CARDS * 50]
    step = max(1, len(pool) // SAMPLE_CARDS)
    picked = list(dict.fromkeys(pool[::step].tolist()))[:SAMPLE_CARDS]
    return table.take(picked).to_pylist()


def keyframe_boxes(table: pa.Table, wanted: set[tuple[str, int]]) -> dict[tuple[str, int], list[list[float]]]:
    """Boxes of every person at the ``wanted`` keyframes (for the sample cards)."""
    boxes: dict[tuple[str, int], list[list[float]]] = {}
    for video_id, timestamp in sorted(wanted):
        rows = table.filter(pc.and_(pc.equal(table.column("video_id"), video_id),
                                    pc.equal(table.column("timestamp"), timestamp)))
        by_person = dict(zip(rows.column("person_id").to_pylist(), rows.column("bbox").to_pylist(),
                             strict=True))
        boxes[(video_id, timestamp)] = [list(b) for b in by_person.values()]
    return boxes


def templates_used(table: pa.Table, vocab: Vocabulary) -> dict[str, int]:
    """Template count of each family the build drew questions from (a per-category build does
    not list the cross-category families, nor a build without the NOT form its NOT family)."""
    used = set(pc.unique(table.column("template_id")).to_pylist())
    return {family: len(templates) for family, templates in vocab.templates.items()
            if any(t.id in used for t in templates)}


def write_card_and_report(build_dir: Path, table: pa.Table, stats: dict[str, Any],
                          ledger: Ledger, params: FinebenchParams, version: str,
                          input_sums: dict[str, str], vocab: Vocabulary) -> None:
    context = {
        "version": version,
        "params": params.model_dump(),
        "code_version": code_version(),
        "inputs": input_sums,
        "counts": ledger.to_json(),
        "stats": stats,
        "size_category": size_category(table.num_rows),
        "similarity_map": vocab.similarity_map,
        "num_templates": templates_used(table, vocab),
        "config_digests": config_digests(build_dir),  # the cache key datasets sees (core/cachekey)
    }
    write_text(build_dir / "README.md", render_card("finebench", context))
    samples = pick_samples(table)
    boxes = keyframe_boxes(table, {(r["video_id"], r["timestamp"]) for r in samples})
    context["samples"] = [{**r, "all_boxes": boxes[(r["video_id"], r["timestamp"])]} for r in samples]
    for sample in context["samples"]:
        sample["target_frame_image"] = draw_sample(build_dir, sample)
    write_text(build_dir / "report" / "index.html", render_report("finebench", context))
