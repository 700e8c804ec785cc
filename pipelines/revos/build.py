"""``build_revos``: run the revos recipe (recipe.py) with the core orchestrator.

Kept as the programmatic entry point (tests, benchmarks); the CLI calls the orchestrator directly.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.core.executors import Executor
from pipelines.core.llm import LLMConfig
from pipelines.core.orchestrator import UnitHook, run_build
from pipelines.core.recipe import BuildOutcome
from pipelines.revos.config import RevosParams
from pipelines.revos.plan import RevosInputs
from pipelines.revos.recipe import RECIPE


def build_revos(inputs: RevosInputs, params: RevosParams, out_root: Path, version: str,
                executor: Executor, llm: LLMConfig | None = None,
                on_unit: UnitHook | None = None) -> BuildOutcome:
    """Build ``<out_root>/revos/<version>/``; ``llm`` is needed when ``params.llm == "openai"``.
    ``outcome.tables`` holds the rows per config (lists of dicts): every row in memory (the
    CLI's build streams them instead)."""
    return run_build(RECIPE, inputs, params, out_root, version, executor, options={"llm": llm},
                     on_unit=on_unit, keep_tables=True)
