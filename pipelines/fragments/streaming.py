"""fragments' streamed publication (core/recipe.py :class:`~pipelines.core.recipe.Stream`): rows,
exports, statistics and card from the stored per-video results, one video at a time.

- ``prepare``: the split by video (which videos make the benchmark), from one pass that keeps
  only each video's id and whether it has questions, and Meaning-of-Order ones;
- ``emit``: one video's rows (benchmark rows or instruction records);
- ``sink``: the exports as streams and the questions' fold (counters, samples, first cards);
- ``publish``: statistics, the text-only baselines (one more pass per scope), card and report.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pipelines.core.recipe import Build, Row, Stream, UnitResult
from pipelines.fragments.exports import ExportStream
from pipelines.fragments.fold import QuestionFold
from pipelines.fragments.publish import write_card_report
from pipelines.fragments.records import split_videos, unit_rows
from pipelines.fragments.stats import blind_baselines, build_stats
from pipelines.fragments.units import VideoOutput


def bench_videos(seed: int, share: float, outputs: Iterable[VideoOutput]) -> set[str]:
    """Split by video; videos with and without Meaning-of-Order questions are split separately
    (videos without any question are in neither)."""
    ordered, others = [], []
    for o in outputs:
        if o.fragments or o.scenes:
            moo = any(q.task == "meaning_of_order" for q in o.fragments)
            (ordered if moo else others).append(o.video_id)
    return split_videos(seed, ordered, share) | split_videos(seed, others, share)


def prepare(build: Build) -> None:
    bench = bench_videos(build.params.seed, build.params.bench_share, build.stream_payloads("videos"))
    build.state["bench"] = bench
    build.state["bench_videos"] = build.manifest_extra["bench_videos"] = sorted(bench)


def emit(build: Build, result: UnitResult) -> Mapping[str, Sequence[Row]]:
    output: VideoOutput | None = result.payload
    if result.failed or output is None:
        return {}
    return unit_rows(output, output.video_id in build.state["bench"])


@dataclass
class Sink:
    exports: ExportStream
    questions: QuestionFold
    rows: Mapping[str, int]  # rows per config

    def add(self, _result: UnitResult, rows: Mapping[str, Sequence[Row]]) -> None:
        for config, config_rows in rows.items():
            self.exports.add(config, config_rows)
        self.questions.add(rows)


@contextmanager
def sink(build: Build, counts: Mapping[str, int]) -> Iterator[Sink]:
    with ExportStream(build.build_dir) as exports:
        yield Sink(exports, QuestionFold(build.params.seed), dict(counts))


def publish(build: Build, sink: Sink) -> dict[str, Any]:
    params, fold = build.params, sink.questions
    stats = build_stats(fold, sink.rows, build.state["bench_videos"], build.ledger.to_json())
    stats["blind"] = blind_baselines(fold, build.emitted_rows, params.seed)
    write_card_report(build.build_dir, fold, stats, build.ledger, build.inputs, params, build.version)
    build.manifest_extra["stats"] = stats
    return stats


STREAM = Stream(prepare=prepare, emit=emit, sink=sink, publish=publish)
