"""The one orchestrator: :func:`run_build` runs any :class:`~pipelines.core.recipe.Recipe`.

It owns the build folder, the ledger, the input description and the work-cache fingerprint, every
pass (through the work cache, unit by unit), adding the tallies up, the shards of exactly the
declared configs, the manifest and clearing the work cache. The sequence is documented in
:mod:`pipelines.core.recipe`.

Resume: each unit's result is stored as soon as it arrives, keyed by ``<pass>/<unit key>`` under a
fingerprint of the parameters, the input checksums and the code version. A re-run reuses every
stored unit whose listed files all still exist, and runs the others. ``on_unit(pass, done)`` is
called after each stored unit (``done`` counts this run's new units of that pass): tests use it to
stop a build at an exact point, as a kill would. A failed unit (core/unitfail.py) is not stored:
it becomes a ``unit_failed`` rejection, and a re-run tries it again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pipelines.core.buildlock import build_lock
from pipelines.core.errors import ConfigError
from pipelines.core.executors import Executor, gc_paused
from pipelines.core.manifest import code_version, write_manifest
from pipelines.core.recipe import Build, BuildOutcome, Plan, Recipe, Rows, UnitPass, UnitResult
from pipelines.core.requires import check_requirements
from pipelines.core.shards import DEFAULT_ROWS_PER_SHARD, write_shards
from pipelines.core.stored import StoredResults
from pipelines.core.streamed import publish_streamed
from pipelines.core.tally import Tally, absorb
from pipelines.core.unitfail import REASON, UnitFailure
from pipelines.core.validate import require_version
from pipelines.core.workcache import WorkCache, fill_cached, fingerprint, map_cached

UnitHook = Callable[[str, int], None]


def run_build(recipe: Recipe, inputs: Any, params: Any, out_root: Path, version: str,
              executor: Executor, *, options: Mapping[str, Any] | None = None,
              on_unit: UnitHook | None = None, keep_tables: bool = False) -> BuildOutcome:
    """Build ``<out_root>/<recipe.name>/<version>/`` from ``inputs`` with ``params``.

    A streamed recipe's rows and unit results are not returned (``tables`` empty) unless
    ``keep_tables``, which holds them all in memory (tests, small builds)."""
    check_requirements(recipe.requires)
    if recipe.check is not None:
        recipe.check(inputs, params, options or {})
    build = Build(recipe, inputs, params, out_root / recipe.name / require_version(version), version,
                  executor, dict(options or {}))
    with build_lock(build.build_dir), gc_paused():  # a concurrent build or push fails at once
        return _run(build, on_unit, keep_tables)


def row_count(rows: Rows) -> int:
    return len(rows) if isinstance(rows, list) else rows.num_rows


def _run(build: Build, on_unit: UnitHook | None, keep_tables: bool) -> BuildOutcome:
    recipe, params, clock = build.recipe, build.params, build.clock
    build.build_dir.mkdir(parents=True, exist_ok=True)
    prepare = getattr(build.executor, "prepare", None)
    if prepare is not None:  # e.g. Ray: every node must see the build folder
        prepare(build.build_dir)
    for stage in recipe.stages:
        build.ledger.stage(stage)
    plan = recipe.plan(build)
    files = build.input_files = recipe.input_files(build.inputs)
    clock.lap("read")
    cache = WorkCache(build.build_dir, fingerprint(params.model_dump(), dict(files.sums), code_version()))
    run_pass(build, plan.first, cache, on_unit)
    plan.first = build.passes[0]  # without its units once streamed (see run_pass)
    clock.lap("generate")
    for media in recipe.media(build):
        run_pass(build, media, cache, on_unit)
        clock.lap(media.name)
    rows_per_shard = getattr(params, "rows_per_shard", DEFAULT_ROWS_PER_SHARD)
    if recipe.stream is not None:
        absorb(build.ledger, [plan.tally])
        counts, stats, tables = publish_streamed(build, recipe.stream, rows_per_shard, keep_tables)
    else:
        tables, stats = _publish_tables(build, plan, rows_per_shard)
        counts = {name: row_count(tables[name]) for name in recipe.configs}
    clock.lap("publish")
    extra = {"configs": counts,
             **files.extra, **build.manifest_extra}
    manifest = write_manifest(build.build_dir, recipe=recipe.name, version=build.version,
                              seed=params.seed, params=params.model_dump(), ledger=build.ledger,
                              inputs=dict(files.manifest), extra=extra)
    cache.clear()
    clock.lap("manifest")
    return BuildOutcome(build, tables, stats, manifest, counts)


def _publish_tables(build: Build, plan: Plan, rows_per_shard: int) -> tuple[dict[str, Rows], dict[str, Any]]:
    """The whole-table path: ``assemble``, the ledger, the shards, ``publish``."""
    recipe = build.recipe
    if recipe.assemble is None or recipe.publish is None:
        raise ConfigError(f"{recipe.name}: a recipe without a stream needs assemble and publish")
    tables = recipe.assemble(build)
    build.clock.lap("assemble")
    if set(tables) != set(recipe.configs):
        raise ConfigError(f"{recipe.name}: assemble returned configs {sorted(tables)}, "
                          f"declared {sorted(recipe.configs)}")
    absorb(build.ledger, [plan.tally])
    for unit_pass in build.passes:
        for stage in unit_pass.stages:
            build.ledger.stage(stage)
        absorb(build.ledger, [result.tally for result in build.results[unit_pass.name]])
    for name, spec in recipe.configs.items():
        write_shards(build.build_dir, name, spec.split, tables[name], spec.features, rows_per_shard)
    build.clock.lap("shards")
    return tables, recipe.publish(build, tables)


def run_pass(build: Build, unit_pass: UnitPass, cache: WorkCache, on_unit: UnitHook | None) -> None:
    """Run ``unit_pass`` through ``cache``; its results land in ``build.results[unit_pass.name]``."""
    keys = [f"{unit_pass.name}/{key}" for key in unit_pass.keys]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"{build.recipe.name}: pass {unit_pass.name} has duplicate unit keys")
    build.passes.append(unit_pass)
    done = 0

    def stored(_index: int) -> None:
        nonlocal done
        done += 1
        if on_unit is not None:
            on_unit(unit_pass.name, done)

    run = (fill_cached if build.recipe.stream is not None else map_cached)
    results = run(build.executor, unit_pass.fn, unit_pass.context, unit_pass.units, keys, cache,
                  f"{build.recipe.name}: {unit_pass.name}",
                  valid=lambda result: files_present(build.build_dir, result), stored=stored)
    if isinstance(results, dict):  # streamed: the results stay in the work cache
        build.results[unit_pass.name] = StoredResults(cache, keys, {
            index: failed_unit(unit_pass.name, unit_pass.keys[index], failure)
            for index, failure in results.items()})
        # the units are not read again (publication reads the stored results): let them go, so the
        # inputs (e.g. every video's metadata) do not stay in the driver's memory through publication
        build.passes[-1] = dataclasses.replace(unit_pass, units=())
        return
    build.results[unit_pass.name] = [
        failed_unit(unit_pass.name, key, result) if isinstance(result, UnitFailure) else result
        for key, result in zip(unit_pass.keys, results, strict=True)]


def failed_unit(stage: str, key: str, failure: UnitFailure) -> UnitResult:
    """The result standing for a failed unit: one input of ``stage``, rejected ``unit_failed``."""
    tally = Tally()
    tally.count(stage, 1, 0)
    tally.reject(stage, key, REASON, failure.detail)
    return UnitResult(key, tally, failed=True)


def files_present(build_dir: Path, result: UnitResult) -> bool:
    """Whether every file a cached unit listed is still there (else the unit is redone)."""
    return all((build_dir / name).is_file() for name in result.files)
