"""timewarp's streamed publication (core/recipe.py :class:`~pipelines.core.recipe.Stream`): the
hooks that turn the stored per-video results into rows, exports, statistics and card without
holding every video's rows in memory.

- ``prepare``: the videos whose render failed (their rows are dropped everywhere); with an LLM
  back-end, the LLM post-passes (they batch requests over the whole build, so they read every
  video and store the texts back); the "Nothing" cap, decided from the ids of the "Nothing" pairs.
- ``emit``: one video's rows, the cap applied (its rejections go into that video's tally).
- ``sink``: exports written as streams, the statistics folds, the text-only models' keyed samples
  and the report's samples; ``publish``: statistics, media leak check, card and report.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pipelines.core.llm import LLMClient
from pipelines.core.recipe import Build, Row, Stream, UnitResult
from pipelines.timewarp.exportstream import ExportStream
from pipelines.timewarp.fold import RowFold, VideoFold
from pipelines.timewarp.publish import ReportSamples, write_card_report
from pipelines.timewarp.separability import TextOnlySample
from pipelines.timewarp.stats import drop_nothing, fold_recipe_stats, fold_stats, nothing_to_drop
from pipelines.timewarp.units import VideoOutput


def rendered_outputs(build: Build) -> Iterator[VideoOutput]:
    """The videos' outputs, one at a time, leaving out those whose render failed."""
    failed = build.state["render_failed"]
    return (o for o in build.stream_payloads("videos") if o.video_id not in failed)


def prepare(build: Build) -> None:
    build.state["render_failed"] = {r.key for r in build.results.get("render", []) if not r.payload}
    build.manifest_extra["llm"] = {"backend": build.params.llm}
    if build.params.llm != "offline":
        run_llm(build)
    dropped = nothing_to_drop(rendered_outputs(build), build.params.nothing_max_share)
    build.state["nothing_cap"], build.state["nothing_dropped"] = dropped, len(dropped)


def run_llm(build: Build) -> None:
    """LLM questions (and, with videos, implicit texts) for every video, stored back with the
    rejections they added to its tally."""
    from pipelines.timewarp.implicit_llm import run_llm_implicit
    from pipelines.timewarp.llm_qa import run_llm_qa

    params, results = build.params, build.results["videos"]
    outputs = build.payloads("videos")
    config = build.options["llm"].model_copy(update={"failed_path": build.build_dir / "llm_failed.jsonl"})
    with LLMClient(config) as client:
        run_llm_qa(outputs, params, client)
        if build.state["videos"] is not None:
            run_llm_implicit(outputs, build.build_dir, params, client, build.state["render_failed"])
    build.manifest_extra["llm"] = {"backend": params.llm, "config": config.for_manifest(),
                                   "stats": client.stats.to_dict()}
    answered = iter(outputs)
    for index, result in enumerate(results):
        if not result.failed:
            output = next(answered)
            results.replace(index, UnitResult(result.key, output.tally, result.files, output))


def emit(build: Build, result: UnitResult) -> Mapping[str, Sequence[Row]]:
    output: VideoOutput | None = result.payload
    if result.failed or output is None or output.video_id in build.state["render_failed"]:
        return {}
    drop_nothing(output, build.state["nothing_cap"])
    return output.records


@dataclass
class Sink:
    """Everything fed one video at a time (see the module docstring)."""

    exports: ExportStream
    picker: ReportSamples
    text_only: TextOnlySample
    videos: VideoFold = field(default_factory=VideoFold)
    rows: RowFold = field(default_factory=RowFold)
    leak_ids: list[str] = field(default_factory=list)  # rendered videos, for the media leak check

    def add(self, result: UnitResult, rows: Mapping[str, Sequence[Row]]) -> None:
        if result.failed:
            return
        self.videos.add(result.payload)
        for config, config_rows in rows.items():
            self.exports.add(config, config_rows)
            self.rows.add(config, config_rows)
            self.text_only.add(config, config_rows)
        self.picker.add(rows)
        if result.payload.trimmed is not None and rows:
            self.leak_ids.append(result.payload.video_id)


@contextmanager
def sink(build: Build, counts: Mapping[str, int]) -> Iterator[Sink]:
    with ExportStream(build.build_dir) as exports:
        yield Sink(exports, ReportSamples(counts), TextOnlySample(build.params.seed))


def publish(build: Build, sink: Sink) -> dict[str, Any]:
    assert build.input_files is not None
    params = build.params
    stats = fold_stats(sink.videos, sink.rows, build.ledger)
    text_only = sink.text_only.report(build.emitted_rows)
    stats.update(fold_recipe_stats(sink.videos, sink.rows, text_only,
                                   build.state["nothing_dropped"], params.nothing_max_share))
    if build.state["videos"] is not None:
        from pipelines.timewarp.render import media_leak_report

        stats["media_leak"] = media_leak_report(build.build_dir, sorted(sink.leak_ids))
    write_card_report(build.build_dir, sink.rows, sink.picker, stats, build.ledger, params, build.version,
                      dict(build.input_files.sums))
    return stats


STREAM = Stream(prepare=prepare, emit=emit, sink=sink, publish=publish)
