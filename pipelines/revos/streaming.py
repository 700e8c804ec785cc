"""revos's streamed publication (core/recipe.py :class:`~pipelines.core.recipe.Stream`): rows,
exports, statistics and card from the stored per-unit results, one unit at a time.

- ``prepare``: with ``--llm openai``, the object descriptions of every expression with masks
  (one batch of LLM requests over the build; kept by expression key);
- ``emit``: one unit's rows per config, the Pix*QA texts re-rendered with the descriptions;
- ``sink``: the exports as streams and the statistics fold (core counters, the ``when_mcq``
  keyed sample);
- ``publish``: one more pass for the report's samples and the text-only model's items, then
  statistics, card and report.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pipelines.core.recipe import Build, Row, Stream, UnitResult
from pipelines.revos.exports import ExportStream
from pipelines.revos.fold import PIX, RowFold
from pipelines.revos.pix import render
from pipelines.revos.publish import build_stats, write_card_report


def prepare(build: Build) -> None:
    build.state["described"] = {}
    build.manifest_extra["llm"] = {"backend": build.params.llm}
    if build.params.llm != "offline":
        from pipelines.revos.describe import describe_all

        build.state["described"], build.manifest_extra["llm"] = describe_all(
            build.state["units"], build.params, build.options["llm"], build.build_dir)


def emit(build: Build, result: UnitResult) -> Mapping[str, Sequence[Row]]:
    if result.failed:
        return {}
    records: dict[str, list[Row]] = result.payload
    described = build.state["described"]
    if not described:
        return records
    return {config: [render(r, described[key], build.params.tokens)
                     if config in PIX and (key := r["id"].rsplit("/", 1)[0]) in described else r
                     for r in rows] for config, rows in records.items()}


@dataclass
class Sink:
    exports: ExportStream
    fold: RowFold

    def add(self, _result: UnitResult, rows: Mapping[str, Sequence[Row]]) -> None:
        for config, config_rows in rows.items():
            self.exports.add(config, config_rows)
            self.fold.add(config, config_rows)


@contextmanager
def sink(build: Build, _counts: Mapping[str, int]) -> Iterator[Sink]:
    with ExportStream(build.build_dir) as exports:
        yield Sink(exports, RowFold(build.params.seed))


def publish(build: Build, sink: Sink) -> dict[str, Any]:
    assert build.input_files is not None
    params, fold = build.params, sink.fold
    picked, when_items = fold.replay(build.emitted_rows)
    stats = build_stats(fold, build.ledger, when_items, params.seed)
    build.manifest_extra["blind_when_mcq"] = stats["blind_when_mcq"]
    write_card_report(build.build_dir, fold, picked, stats, build.ledger, params, build.version,
                      dict(build.input_files.sums), build.state["units"])
    return stats


STREAM = Stream(prepare=prepare, emit=emit, sink=sink, publish=publish)
