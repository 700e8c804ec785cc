"""``build_fragments``: run the fragments recipe (recipe.py) with the core orchestrator.

Kept as the programmatic entry point (tests); the CLI calls the orchestrator directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.core.accounting import Ledger
from pipelines.core.executors import Executor
from pipelines.core.orchestrator import UnitHook, run_build
from pipelines.core.summary import Stopwatch
from pipelines.fragments.config import FragmentsParams
from pipelines.fragments.inputs import FragmentsInputs
from pipelines.fragments.recipe import RECIPE
from pipelines.fragments.units import VideoOutput

__all__ = ["FragmentsInputs", "FragmentsResult", "build_fragments"]


@dataclass
class FragmentsResult:
    build_dir: Path
    outputs: list[VideoOutput]
    records: dict[str, list[dict[str, Any]]]
    ledger: Ledger
    bench_videos: list[str]
    stats: dict[str, Any]
    manifest: dict[str, Any]
    timings: Stopwatch


def build_fragments(inputs: FragmentsInputs, params: FragmentsParams, out_root: Path, version: str,
                    executor: Executor, on_unit: UnitHook | None = None) -> FragmentsResult:
    """Build ``<out_root>/fragments/<version>/``. The result holds every video's output and every
    row in memory (the CLI's build streams them instead)."""
    outcome = run_build(RECIPE, inputs, params, out_root, version, executor, on_unit=on_unit,
                        keep_tables=True)
    records: dict[str, list[dict[str, Any]]] = outcome.tables  # type: ignore[assignment]
    return FragmentsResult(outcome.build_dir, outcome.build.payloads("videos"), records, outcome.ledger,
                           outcome.build.state["bench_videos"], outcome.stats, outcome.manifest,
                           outcome.timings)
