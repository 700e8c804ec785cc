"""Orchestrate a fragments build: read inputs -> per-video units (executor, resumable) -> split by
video -> shards, exports, card, report, manifest.

Written in the style of the timewarp build until the shared recipe skeleton lands in core; the
per-video work (:func:`pipelines.fragments.per_video.process_video`) and everything after it are
pure functions the skeleton can call unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.core.accounting import Ledger, Reject
from pipelines.core.executors import Executor, gc_paused
from pipelines.core.manifest import code_version, describe_input
from pipelines.core.paths import SIMILARITY_DIR
from pipelines.core.presence import read_ava_presence
from pipelines.core.shards import write_shards
from pipelines.core.summary import Stopwatch
from pipelines.core.workcache import WorkCache, fingerprint, map_cached
from pipelines.fragments.config import FragmentsParams
from pipelines.fragments.inputs import list_videos, read_effects, read_labels
from pipelines.fragments.per_video import process_video
from pipelines.fragments.phrasing import load_phrasings
from pipelines.fragments.records import CONFIGS, FEATURES, SPLITS, assemble, split_videos
from pipelines.fragments.scene import load_similarity_map
from pipelines.fragments.units import STAGES, FragmentsContext, VideoJob, VideoOutput

SIMILARITY_MAP = SIMILARITY_DIR / "ava_curated.yaml"


@dataclass(frozen=True)
class FragmentsInputs:
    videos: Path
    ava_csv: Path | None = None
    labels: Path | None = None
    effects: Path | None = None

    def described(self) -> dict[str, Path | None]:
        return {"videos": self.videos, "ava_csv": self.ava_csv, "labels": self.labels,
                "effects": self.effects}


@dataclass
class FragmentsResult:
    build_dir: Path
    outputs: list[VideoOutput]
    records: dict[str, list[dict[str, Any]]]
    ledger: Ledger
    bench_videos: list[str]
    manifest: dict[str, Any] = field(default_factory=dict)
    timings: Stopwatch = field(default_factory=Stopwatch)


def plan(inputs: FragmentsInputs, params: FragmentsParams, build_dir: Path,
         ledger: Ledger) -> tuple[FragmentsContext, list[VideoJob]]:
    """Read and validate every input (InputError on a bad file); row-level rejects go to ``ledger``."""
    videos, duplicates = list_videos(inputs.videos)
    ledger.add_inputs("videos", len(duplicates))
    ledger.reject_all("videos", [(k, r, d) for k, r, d in duplicates])
    tracks: dict[str, tuple] = {}
    if inputs.ava_csv is not None:
        source, bad_rows, total = read_ava_presence(inputs.ava_csv, params.ava_time_offset)
        ledger.add_inputs("presence_rows", total)
        ledger.accept("presence_rows", total - len(bad_rows))
        ledger.reject_all("presence_rows", [(f"{inputs.ava_csv.name}:{r.line}", r.reason, r.detail)
                                            for r in bad_rows])
        tracks = {v: tuple(source.tracks(v)) for v in source.video_ids()}
    labels, effects = {}, {}
    for stage, path, reader in (("label_rows", inputs.labels, read_labels),
                                ("effect_rows", inputs.effects, read_effects)):
        if path is None:
            continue
        table, bad = reader(path)
        ledger.add_inputs(stage, len(table) + len(bad))
        ledger.accept(stage, len(table))
        ledger.reject_all(stage, bad)
        (labels if stage == "label_rows" else effects).update(table)
    context = FragmentsContext(params, load_phrasings(), load_similarity_map(SIMILARITY_MAP),
                               tuple(sorted(set(labels.values()))), build_dir, inputs.ava_csv is not None)
    jobs = [VideoJob(v.video_id, v.path.absolute(), tracks.get(v.video_id, ()), labels.get(v.video_id),
                     effects.get(v.video_id)) for v in videos]
    return context, jobs


def absorb(ledger: Ledger, outputs: list[VideoOutput]) -> None:
    for out in outputs:
        for stage in STAGES:
            ledger.add_inputs(stage, out.inputs[stage])
            ledger.accept(stage, out.accepted[stage])
        for stage, unit, reason, detail in out.rejects:
            ledger.reject(Reject(stage, unit, reason, detail))


def build_fragments(inputs: FragmentsInputs, params: FragmentsParams, out_root: Path, version: str,
                    executor: Executor) -> FragmentsResult:
    """Build ``<out_root>/fragments/<version>/``."""
    with gc_paused():
        build_dir = (out_root / "fragments" / version).absolute()
        build_dir.mkdir(parents=True, exist_ok=True)
        clock, ledger = Stopwatch(), Ledger()
        for stage in ("videos", *STAGES[1:]):
            ledger.stage(stage)
        context, jobs = plan(inputs, params, build_dir, ledger)
        described = {k: describe_input(p) for k, p in inputs.described().items()}
        clock.lap("read")
        cache = WorkCache(build_dir, fingerprint(params.model_dump(), described, code_version()))
        outputs = map_cached(executor, process_video, context, jobs, [j.video_id for j in jobs], cache,
                             "fragments: videos")
        clock.lap("videos")
        absorb(ledger, outputs)
        kept = [o for o in outputs if o.fragments or o.scenes]
        ordered = [o.video_id for o in kept if any(q.task == "meaning_of_order" for q in o.fragments)]
        bench = split_videos(params.seed, ordered, params.bench_share) | split_videos(
            params.seed, [o.video_id for o in kept if o.video_id not in set(ordered)], params.bench_share)
        records = assemble(outputs, bench)
        for config in CONFIGS:
            write_shards(build_dir, config, SPLITS[config], records[config], FEATURES[config],
                         params.rows_per_shard)
        clock.lap("shards")
        result = FragmentsResult(build_dir, outputs, records, ledger, sorted(bench), timings=clock)
        from pipelines.fragments.publish import publish

        result.manifest = publish(result, inputs, params, version)
        clock.lap("publish")
        cache.clear()
        return result
