"""``build_timewarp``: run the timewarp recipe (recipe.py) with the core orchestrator.

Kept as the programmatic entry point (tests); the CLI calls the orchestrator directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.core.accounting import Ledger
from pipelines.core.executors import Executor
from pipelines.core.llm import LLMConfig
from pipelines.core.orchestrator import UnitHook, run_build
from pipelines.core.summary import Stopwatch
from pipelines.timewarp.config import TimewarpParams
from pipelines.timewarp.inputs import TimewarpInputs, input_checksums
from pipelines.timewarp.recipe import RECIPE
from pipelines.timewarp.stats import build_stats
from pipelines.timewarp.units import VideoOutput

__all__ = ["TimewarpResult", "build_stats", "build_timewarp", "input_checksums"]


@dataclass
class TimewarpResult:
    build_dir: Path
    outputs: list[VideoOutput]
    records: dict[str, list[dict[str, Any]]]
    ledger: Ledger
    stats: dict[str, Any]
    manifest: dict[str, Any]
    timings: Stopwatch


def build_timewarp(source: Path, params: TimewarpParams, out_root: Path, version: str,
                   executor: Executor, videos: Path | None = None, llm: LLMConfig | None = None,
                   on_unit: UnitHook | None = None) -> TimewarpResult:
    """Build ``<out_root>/timewarp/<version>/`` from FineVideo metadata at ``source``.

    ``llm`` configures the LLM back-end used when ``params.llm == "openai"``. The result holds
    every video's output and every row in memory (the CLI's build streams them instead)."""
    outcome = run_build(RECIPE, TimewarpInputs(source, videos), params, out_root, version, executor,
                        options={"llm": llm}, on_unit=on_unit, keep_tables=True)
    records: dict[str, list[dict[str, Any]]] = outcome.tables  # type: ignore[assignment]
    return TimewarpResult(outcome.build_dir, outcome.build.payloads("videos"), records, outcome.ledger,
                          outcome.stats, outcome.manifest, outcome.timings)
