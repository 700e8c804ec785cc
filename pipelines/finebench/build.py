"""Orchestrate a finebench build: read -> group -> generate (executor) -> subset -> write.

All I/O lives here; generation is the pure :func:`questions.generate_video`, run once per video
(the work unit) on the chosen executor. Finished videos are cached so a killed run resumes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.core.accounting import Ledger, Reject
from pipelines.core.executors import Executor, gc_paused
from pipelines.core.manifest import code_version, sha256_file, write_manifest
from pipelines.core.shards import write_shards
from pipelines.core.summary import Stopwatch
from pipelines.core.workcache import WorkCache, fingerprint, map_cached
from pipelines.finebench import ava
from pipelines.finebench.balance import answer_counts, compound_answers, keep_probabilities, truth_prior
from pipelines.finebench.config import FinebenchParams
from pipelines.finebench.exports import write_exports
from pipelines.finebench.frames import attach_frames
from pipelines.finebench.keyframes import Keyframe, group_keyframes
from pipelines.finebench.publish_card import write_card_and_report
from pipelines.finebench.questions import GenerationContext, VideoResult, generate_video
from pipelines.finebench.schema import MCQ_FEATURES
from pipelines.finebench.stats import build_stats
from pipelines.finebench.subset import choose_subset
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
    records: list[dict[str, Any]]
    ledger: Ledger
    stats: dict[str, Any]
    manifest: dict[str, Any]
    timings: Stopwatch


def read_inputs(inputs: FinebenchInputs, labels: dict[int, ava.Label], ledger: Ledger
                ) -> dict[str, list[Keyframe]]:
    """Read and validate the files; record the row stage in ``ledger``; keyframes per video."""
    excluded = ava.read_excluded(inputs.excluded)
    rows, row_rejects, total = ava.read_annotations(inputs.annotations, set(labels))
    videos, more_rejects = group_keyframes(rows, row_rejects, excluded)
    ledger.add_inputs("rows", total)
    for bad in sorted(row_rejects + more_rejects, key=lambda r: r.line):
        ledger.reject(Reject("rows", f"{inputs.annotations.name}:{bad.line}", bad.reason, bad.detail))
    ledger.accept("rows", total - sum(ledger.stage("rows").rejected.values()))
    return videos


def build_finebench(inputs: FinebenchInputs, params: FinebenchParams, out_root: Path, version: str,
                    executor: Executor) -> BuildResult:
    """Build ``<out_root>/finebench/<version>/`` (see the module docstring)."""
    with gc_paused():
        return _build(inputs, params, out_root, version, executor)


def _build(inputs: FinebenchInputs, params: FinebenchParams, out_root: Path, version: str,
           executor: Executor) -> BuildResult:
    build_dir = out_root / "finebench" / version
    build_dir.mkdir(parents=True, exist_ok=True)
    clock = Stopwatch()
    ledger = Ledger()
    labels = ava.read_label_map(inputs.labels)
    vocab = load_vocabulary(labels, params.similarity_map)
    videos = read_inputs(inputs, labels, ledger)
    clock.lap("read")
    counts = answer_counts(videos, vocab)
    keep = keep_probabilities(counts, params.max_answer_share)
    context = GenerationContext(vocab, params, truth_prior(counts, keep), keep,
                                compound_answers(counts, keep))

    input_sums = {name: sha256_file(p) for name, p in vars(inputs).items()
                  if p is not None and name != "videos"}
    cache = WorkCache(build_dir, fingerprint(params.model_dump(), input_sums, code_version()))
    order = sorted(videos)
    generated = map_cached(executor, generate_video, context, [videos[v] for v in order], order, cache,
                           "finebench: videos")
    results: dict[str, VideoResult] = dict(zip(order, generated, strict=True))
    clock.lap("generate")
    records: list[dict[str, Any]] = []
    per_video_mix: dict[str, Counter[str]] = {}
    for video in order:
        result = results[video]
        ledger.add_inputs("units", result.units)
        ledger.accept("units", len(result.records))
        for key, reason, detail in result.rejects:
            ledger.reject(Reject("units", key, reason, detail))
        records.extend(result.records)
        per_video_mix[video] = Counter(f"{r['category']}/{'compound' if r['is_compound'] else 'single'}"
                                       for r in result.records)
    subset_ids = choose_subset(per_video_mix, params.subset_fraction)
    chosen = set(subset_ids)
    for record in records:
        record["in_subset"] = record["video_id"] in chosen
    if inputs.videos is not None:
        attach_frames(build_dir, records, inputs.videos, ledger, executor)
        clock.lap("frames")
    subset = [r for r in records if r["in_subset"]]

    clock.lap("subset")
    write_shards(build_dir, "mcq", "test", records, MCQ_FEATURES, params.rows_per_shard)
    write_shards(build_dir, "subset", "test", subset, MCQ_FEATURES, params.rows_per_shard)
    clock.lap("shards")
    write_exports(build_dir, {"mcq": records, "subset": subset})
    clock.lap("exports")
    stats = build_stats(records, subset_ids)
    write_card_and_report(build_dir, records, stats, ledger, params, version, input_sums, vocab)
    clock.lap("stats+card+report")
    manifest = write_manifest(build_dir, recipe="finebench", version=version, seed=params.seed,
                              params=params.model_dump(), ledger=ledger,
                              inputs={k: v for k, v in vars(inputs).items() if k != "videos"},
                              extra={"configs": {"mcq": len(records), "subset": len(subset)},
                                     "videos": str(inputs.videos) if inputs.videos else None})
    cache.clear()
    clock.lap("manifest")
    return BuildResult(build_dir, records, ledger, stats, manifest, clock)
