"""``build_finebench``: run the finebench recipe (recipe.py) with the core orchestrator.

Kept as the programmatic entry point (tests, benchmarks); the CLI calls the orchestrator directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipelines.core.accounting import Ledger
from pipelines.core.executors import Executor
from pipelines.core.orchestrator import UnitHook, run_build
from pipelines.core.summary import Stopwatch
from pipelines.finebench.config import FinebenchParams
from pipelines.finebench.inputs import FinebenchInputs
from pipelines.finebench.recipe import RECIPE

__all__ = ["BuildResult", "FinebenchInputs", "build_finebench"]


@dataclass
class BuildResult:
    build_dir: Path
    table: pa.Table  # the mcq config, in canonical order
    ledger: Ledger
    stats: dict[str, Any]
    manifest: dict[str, Any]
    timings: Stopwatch
    _records: list[dict[str, Any]] | None = field(default=None, repr=False)

    @property
    def records(self) -> list[dict[str, Any]]:
        """The mcq rows as dicts (built on first use; convenient for small builds and tests)."""
        if self._records is None:
            self._records = self.table.to_pylist()
        return self._records


def build_finebench(inputs: FinebenchInputs, params: FinebenchParams, out_root: Path, version: str,
                    executor: Executor, on_unit: UnitHook | None = None) -> BuildResult:
    """Build ``<out_root>/finebench/<version>/``."""
    outcome = run_build(RECIPE, inputs, params, out_root, version, executor, on_unit=on_unit)
    table = outcome.tables["mcq"]
    assert isinstance(table, pa.Table)
    return BuildResult(outcome.build_dir, table, outcome.ledger, outcome.stats, outcome.manifest,
                       outcome.timings)
