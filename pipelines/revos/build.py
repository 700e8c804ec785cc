"""Orchestrate a revos build: plan (read inputs) -> descriptions (LLM, optional) -> per-unit pass
(executor, resumable) -> shards per config -> exports, card, report -> manifest.

Written in the style of the other recipes' ``build.py`` until the shared recipe skeleton lands;
every step it calls is a module-level function that the skeleton's hooks can take over as is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.core.accounting import Ledger, Reject
from pipelines.core.errors import ConfigError
from pipelines.core.executors import Executor, gc_paused
from pipelines.core.llm import LLMConfig
from pipelines.core.manifest import code_version, write_manifest
from pipelines.core.shards import write_shards
from pipelines.core.summary import Stopwatch
from pipelines.core.workcache import WorkCache, fingerprint, map_cached
from pipelines.revos.config import RevosParams
from pipelines.revos.plan import RevosInputs, read_inputs
from pipelines.revos.schema import FEATURES, SPLITS
from pipelines.revos.units import CONFIGS, STAGES, RevosContext, UnitOutput, process_unit


@dataclass
class RevosResult:
    build_dir: Path
    records: dict[str, list[dict[str, Any]]]
    ledger: Ledger
    stats: dict[str, Any]
    manifest: dict[str, Any]
    timings: Stopwatch


def fold(outputs: list[UnitOutput], ledger: Ledger) -> dict[str, list[dict[str, Any]]]:
    """Absorb unit counts into ``ledger`` and concatenate rows, both in unit order."""
    records: dict[str, list[dict[str, Any]]] = {c: [] for c in CONFIGS}
    for output in outputs:
        for stage, n in output.inputs.items():
            ledger.add_inputs(stage, n)
            ledger.accept(stage, output.accepted[stage])
        for stage, unit, reason, detail in output.rejects:
            ledger.reject(Reject(stage, unit, reason, detail))
        for config, rows in output.records.items():
            records[config].extend(rows)
    return records


def build_revos(inputs: RevosInputs, params: RevosParams, out_root: Path, version: str,
                executor: Executor, llm: LLMConfig | None = None) -> RevosResult:
    """Build ``<out_root>/revos/<version>/``; ``llm`` is needed when ``params.llm == "openai"``."""
    if params.llm != "offline" and llm is None:
        raise ConfigError("params.llm is 'openai' but no LLM configuration was given")
    with gc_paused():
        return _build(inputs, params, out_root, version, executor, llm)


def _build(inputs: RevosInputs, params: RevosParams, out_root: Path, version: str, executor: Executor,
           llm: LLMConfig | None) -> RevosResult:
    build_dir = out_root / "revos" / version
    build_dir.mkdir(parents=True, exist_ok=True)
    clock = Stopwatch()
    plan = read_inputs(inputs, params)
    clock.lap("read")
    llm_report: dict[str, Any] = {"backend": params.llm}
    descriptions: dict[str, Any] = {}
    if params.llm != "offline":
        from pipelines.revos.describe import describe_all

        assert llm is not None
        descriptions, llm_report = describe_all(plan.units, params, llm, build_dir)
        clock.lap("llm")
    context = RevosContext(params, descriptions)
    described = sorted((k, v.short, v.long, v.source) for k, v in descriptions.items())
    cache = WorkCache(build_dir, fingerprint(params.model_dump(), plan.described, code_version(), described))
    outputs = map_cached(executor, process_unit, context, plan.units, plan.keys, cache, "revos: units")
    clock.lap("generate")
    ledger = Ledger()
    for stage in STAGES:
        ledger.stage(stage)
    for name, count in plan.ledger.stages.items():
        ledger.add_inputs(name, count.inputs)
        ledger.accept(name, count.accepted)
    for reject in plan.ledger.rejects:
        ledger.reject(reject)
    records = fold(outputs, ledger)
    for config in CONFIGS:
        write_shards(build_dir, config, SPLITS[config], records[config], FEATURES[config],
                     params.rows_per_shard)
    clock.lap("shards")
    from pipelines.revos.publish import build_stats, write_card_exports_report

    stats = build_stats(records, ledger, params.seed)
    write_card_exports_report(build_dir, records, stats, ledger, params, version, plan.described,
                              plan.units)
    clock.lap("exports+card")
    manifest = write_manifest(build_dir, recipe="revos", version=version, seed=params.seed,
                              params=params.model_dump(), inputs=inputs.given(), ledger=ledger,
                              extra={"configs": {c: len(records[c]) for c in CONFIGS}, "llm": llm_report,
                                     "blind_when_mcq": stats["blind_when_mcq"]})
    cache.clear()
    return RevosResult(build_dir, records, ledger, stats, manifest, clock)
