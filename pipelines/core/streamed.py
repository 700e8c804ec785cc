"""Shards, ledger and publication of a streamed recipe, from its stored unit results in unit order.

The sequence (core/recipe.py, :class:`~pipelines.core.recipe.Stream`): ``prepare``; a counting
pass of ``emit`` over the first pass's results (the shard names carry the shard count, and a
sink may pick samples by position); then one pass that, per unit, calls ``emit``, adds the unit's
tally into the ledger, appends its rows to each config's :class:`ShardStream` and hands them to
the sink. The later passes' tallies follow, pass by pass, so the ledger and ``rejects.jsonl`` are
exactly what the whole-table path gives. Only one unit's rows and one row group per config are
in memory at a time (plus whatever the recipe's sink folds).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from pipelines.core.errors import ConfigError
from pipelines.core.recipe import Build, Row, Stream, UnitResult
from pipelines.core.shardstream import ShardStream
from pipelines.core.tally import absorb


def publish_streamed(build: Build, stream: Stream, rows_per_shard: int, keep: bool
                     ) -> tuple[dict[str, int], dict[str, Any], dict[str, list[Row]]]:
    """Run the streamed publication; returns (rows per config, stats, tables). ``tables`` is empty
    unless ``keep`` (tests and the programmatic API read them), and then ``build.results`` of the
    first pass holds the results as ``emit`` left them."""
    recipe, first = build.recipe, build.passes[0]
    stream.prepare(build)
    build.clock.lap("prepare")
    counts = {name: 0 for name in recipe.configs}
    for result in build.results[first.name]:
        for name, rows in _checked(build, stream.emit(build, result)).items():
            counts[name] += len(rows)
    build.clock.lap("count")
    for stage in first.stages:
        build.ledger.stage(stage)
    writers = {name: ShardStream(build.build_dir, name, spec.split, spec.features, counts[name],
                                 rows_per_shard) for name, spec in recipe.configs.items()}
    tables: dict[str, list[Row]] = {name: [] for name in recipe.configs} if keep else {}
    kept: list[UnitResult] = []
    try:
        with stream.sink(build, dict(counts)) as sink:
            for result in build.results[first.name]:
                rows = stream.emit(build, result)
                absorb(build.ledger, [result.tally])
                for name, config_rows in rows.items():
                    writers[name].add(config_rows)
                    if keep:
                        tables[name].extend(config_rows)
                sink.add(result, rows)
                if keep:
                    kept.append(result)
        for writer in writers.values():
            writer.close()
    except BaseException:
        for writer in writers.values():
            writer.abort()
        raise
    if keep:  # the cache is cleared at the end of the build: keep what was asked for in memory
        build.results.update({p.name: list(build.results[p.name]) for p in build.passes[1:]})
        build.results[first.name] = kept
    for unit_pass in build.passes[1:]:
        for stage in unit_pass.stages:
            build.ledger.stage(stage)
        for result in build.results[unit_pass.name]:
            absorb(build.ledger, [result.tally])
    pa.default_memory_pool().release_unused()  # the row groups' buffers: give them back before publish
    build.clock.lap("shards")
    return counts, stream.publish(build, sink), tables


def _checked(build: Build, rows: Mapping[str, Sequence[Row]]) -> Mapping[str, Sequence[Row]]:
    unknown = set(rows) - set(build.recipe.configs)
    if unknown:
        raise ConfigError(f"{build.recipe.name}: emit returned configs {sorted(unknown)}, "
                          f"declared {sorted(build.recipe.configs)}")
    return rows
