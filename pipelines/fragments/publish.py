"""Exports, data card (``README.md``) and report (``report/index.html``) of a build.

Deterministic: everything depends only on the rows, ledger, params, version and input sums;
sample cards are the first question of each task (benchmark rows first), not a random pick. A
build calls :func:`write_card_report` with the fold its rows were fed to unit by unit;
:func:`publish` does everything from whole record lists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pipelines.core.accounting import Ledger
from pipelines.core.atomic import write_text
from pipelines.core.cards import render_card, render_report, size_category
from pipelines.core.evalformats import LETTERS
from pipelines.core.manifest import code_version, describe_input
from pipelines.fragments.config import FragmentsParams
from pipelines.fragments.exports import write_exports
from pipelines.fragments.fold import QuestionFold
from pipelines.fragments.inputs import FragmentsInputs
from pipelines.fragments.records import CONFIGS, SPLITS
from pipelines.fragments.stats import blind_baselines, build_stats

Row = dict[str, Any]
CONFIG_TEXT = {"sft": "instruction records (frames in presented order) from the training videos",
               "bench_fragment": "fragment questions (frames as images) from the benchmark videos",
               "bench_scene": "speed / action / effect questions (clips) from the benchmark videos"}


def sample_cards(questions: Sequence[Row]) -> list[Row]:
    """The report's card of each question (the first of each task and subtask kind)."""
    cards = []
    for r in questions:
        times = r.get("frame_times") or [None] * len(r["frames"])
        cards.append({**r, "answer_index": LETTERS.index(r["answer"]), "video": r.get("video", ""),
                      "time_order": r.get("time_order") or [],
                      "shown": [{"src": "../" + f, "time": t}
                                for f, t in zip(r["frames"], times, strict=True)]})
    return cards


def write_card_report(build_dir: Path, fold: QuestionFold, stats: Mapping[str, Any], ledger: Ledger,
                      inputs: FragmentsInputs, params: FragmentsParams, version: str) -> None:
    """Write ``README.md`` and ``report/index.html`` (the exports are written beforehand);
    ``stats`` holds the blind baselines under ``blind``."""
    n_columns = sorted({n for counts in stats["by_task_n"].values() for n in counts},
                       key=lambda n: (n == "scene", n.zfill(3)))
    described = {k: describe_input(p) for k, p in inputs.described().items()}
    context = {
        "version": version, "params": params.model_dump(mode="json"), "code_version": code_version(),
        "inputs": described, "counts": ledger.to_json(), "stats": stats, "blind": stats["blind"],
        "configs": [(c, SPLITS[c], stats["rows"][c]) for c in CONFIGS], "config_text": CONFIG_TEXT,
        "n_columns": n_columns, "size_category": size_category(fold.questions()), "license": "other",
        "license_note": "the licence of your videos; AVA annotations CC BY 4.0",
    }
    write_text(build_dir / "README.md", render_card("fragments", context))
    write_text(build_dir / "report" / "index.html",
               render_report("fragments", {**context, "samples": sample_cards(fold.first_questions())}))


def publish(build_dir: Path, records: Mapping[str, list[Row]], ledger: Ledger, bench_videos: list[str],
            inputs: FragmentsInputs, params: FragmentsParams, version: str) -> dict[str, Any]:
    """Write exports, ``README.md`` and ``report/index.html`` from whole ``records`` (what a
    build writes unit by unit); return the statistics (with the blind baselines)."""
    write_exports(build_dir, records)
    fold = QuestionFold(params.seed)
    fold.add(records)
    stats = build_stats(fold, {c: len(r) for c, r in records.items()}, bench_videos, ledger.to_json())
    stats["blind"] = blind_baselines(fold, lambda: [records], params.seed)
    write_card_report(build_dir, fold, stats, ledger, inputs, params, version)
    return stats
