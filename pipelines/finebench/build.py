"""Orchestrate a finebench build: read -> group -> units -> generate (executor) -> subset -> write.

All I/O lives here; generation is the pure :func:`questions.generate_video`, run once per video
(the work unit) on the chosen executor. Finished videos are cached so a killed run resumes.
Everything between reading and writing is column-wise (numpy arrays, one Arrow table per video,
concatenated in video order): a large build costs array work, not Python work per question.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from pipelines.core import ava
from pipelines.core.accounting import Ledger, Reject
from pipelines.core.ava_columns import read_annotation_columns
from pipelines.core.buildlock import build_lock
from pipelines.core.executors import Executor, gc_paused
from pipelines.core.manifest import code_version, sha256_file, write_manifest
from pipelines.core.shards import write_shards
from pipelines.core.summary import Stopwatch
from pipelines.core.validate import require_version
from pipelines.core.workcache import WorkCache, fingerprint, map_cached
from pipelines.finebench.columns import expand, video_inputs
from pipelines.finebench.config import FinebenchParams
from pipelines.finebench.context import make_context
from pipelines.finebench.exports import write_exports
from pipelines.finebench.frames import attach_frames
from pipelines.finebench.keyframes import PersonTable, group_keyframes
from pipelines.finebench.publish_card import write_card_and_report
from pipelines.finebench.questions import VideoResult, generate_video
from pipelines.finebench.schema import MCQ_FEATURES
from pipelines.finebench.stats import build_stats
from pipelines.finebench.subset import choose_subset
from pipelines.finebench.units import build_units
from pipelines.finebench.vocabulary import load_vocabulary


@dataclass(frozen=True)
class FinebenchInputs:
    annotations: Path
    labels: Path
    excluded: Path | None = None
    videos: Path | None = None  # folder of <video_id>.mp4/.mkv/.webm: frames are extracted


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


def read_inputs(inputs: FinebenchInputs, labels: dict[int, ava.Label], ledger: Ledger) -> PersonTable:
    """Read and validate the files; record the row stage in ``ledger``; the accepted persons."""
    excluded = ava.read_excluded(inputs.excluded)
    rows, row_rejects, total = read_annotation_columns(inputs.annotations, set(labels))
    persons, more_rejects = group_keyframes(rows, row_rejects, excluded)
    ledger.add_inputs("rows", total)
    for bad in sorted(row_rejects + more_rejects, key=lambda r: r.line):
        ledger.reject(Reject("rows", f"{inputs.annotations.name}:{bad.line}", bad.reason, bad.detail))
    ledger.accept("rows", total - sum(ledger.stage("rows").rejected.values()))
    return persons


def build_finebench(inputs: FinebenchInputs, params: FinebenchParams, out_root: Path, version: str,
                    executor: Executor) -> BuildResult:
    """Build ``<out_root>/finebench/<version>/`` (see the module docstring), holding the folder's
    lock for the whole build (a concurrent build or push of it fails at once)."""
    with build_lock(out_root / "finebench" / require_version(version)), gc_paused():
        return _build(inputs, params, out_root, version, executor)


def _build(inputs: FinebenchInputs, params: FinebenchParams, out_root: Path, version: str,
           executor: Executor) -> BuildResult:
    build_dir = out_root / "finebench" / version
    build_dir.mkdir(parents=True, exist_ok=True)
    clock = Stopwatch()
    ledger = Ledger()
    labels = ava.read_label_map(inputs.labels)
    vocab = load_vocabulary(labels, params.similarity_map)
    persons = read_inputs(inputs, labels, ledger)
    units = build_units(persons, vocab)
    context = make_context(vocab, params, units)
    work = video_inputs(persons, units)
    clock.lap("read")

    input_sums = {name: sha256_file(p) for name, p in vars(inputs).items()
                  if p is not None and name != "videos"}
    cache = WorkCache(build_dir, fingerprint(params.model_dump(), input_sums, code_version()))
    order = [video.video_id for video in work]
    results: list[VideoResult] = map_cached(executor, generate_video, context, work, order, cache,
                                            "finebench: videos")
    clock.lap("generate")
    for result in results:
        ledger.add_inputs("units", result.units)
        ledger.accept("units", result.table.num_rows)
        ledger.reject_all("units", result.rejects)
    subset_ids = choose_subset({r.video_id: r.mix for r in results}, params.subset_fraction)
    chosen = set(subset_ids)
    table = (expand(pa.concat_tables([r.table for r in results]))
             if results else MCQ_FEATURES.arrow_schema.empty_table())
    in_subset = pa.array(np.repeat([r.video_id in chosen for r in results],
                                   [r.table.num_rows for r in results]).astype(bool))
    table = table.set_column(table.schema.get_field_index("in_subset"), "in_subset", in_subset)
    if inputs.videos is not None:
        table = attach_frames(build_dir, table, inputs.videos, ledger, executor, params.frames)
        clock.lap("frames")
    subset = table.filter(in_subset)
    clock.lap("subset")
    write_shards(build_dir, "mcq", "test", table, MCQ_FEATURES, params.rows_per_shard)
    write_shards(build_dir, "subset", "test", subset, MCQ_FEATURES, params.rows_per_shard)
    clock.lap("shards")
    write_exports(build_dir, {"mcq": table, "subset": subset}, params.frames)
    clock.lap("exports")
    stats = build_stats(table, subset_ids)
    write_card_and_report(build_dir, table, stats, ledger, params, version, input_sums, vocab)
    clock.lap("stats+card+report")
    manifest = write_manifest(build_dir, recipe="finebench", version=version, seed=params.seed,
                              params=params.model_dump(), ledger=ledger,
                              inputs={k: v for k, v in vars(inputs).items() if k != "videos"},
                              extra={"configs": {"mcq": table.num_rows, "subset": subset.num_rows},
                                     "videos": str(inputs.videos) if inputs.videos else None})
    cache.clear()
    clock.lap("manifest")
    return BuildResult(build_dir, table, ledger, stats, manifest, clock)
