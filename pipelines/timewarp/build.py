"""Orchestrate a timewarp build: read metadata -> per-video units (executor) -> render (videos
given) -> shards, exports, card, report, manifest. All I/O lives here and in ``render``.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.core.accounting import Ledger, Reject
from pipelines.core.atomic import write_bytes
from pipelines.core.buildlock import build_lock
from pipelines.core.errors import ConfigError
from pipelines.core.executors import Executor, gc_paused
from pipelines.core.llm import LLMClient, LLMConfig
from pipelines.core.manifest import code_version, sha256_file, write_manifest
from pipelines.core.shards import write_shards
from pipelines.core.summary import Stopwatch
from pipelines.core.validate import require_version
from pipelines.core.workcache import WorkCache, fingerprint, map_cached
from pipelines.timewarp.config import TimewarpParams
from pipelines.timewarp.finevideo import VideoMeta, read_metadata
from pipelines.timewarp.schema import FEATURES, SPLITS
from pipelines.timewarp.units import CONFIGS, VideoOutput, process_video

STAGES = ("videos", "qa_pairs", "timewar", "ordering_probe", "implicit")


@dataclass
class TimewarpResult:
    build_dir: Path
    outputs: list[VideoOutput]
    records: dict[str, list[dict[str, Any]]]
    ledger: Ledger
    stats: dict[str, Any]
    manifest: dict[str, Any]
    timings: Stopwatch


def input_checksums(location: Path) -> dict[str, str]:
    files = [location] if location.is_file() else sorted(
        p for p in location.iterdir() if p.suffix in (".json", ".parquet"))
    return {p.name: sha256_file(p) for p in files}


def build_stats(outputs: list[VideoOutput], records: dict[str, list[dict[str, Any]]],
                ledger: Ledger) -> dict[str, Any]:
    kept = [o.trimmed for o in outputs if o.trimmed is not None]
    lengths = [t.clip_end - t.clip_start for t in kept]
    scene_lengths = [s.end - s.start for t in kept for s in t.scenes]
    letters = Counter(r["answer"] for r in records["timewar_normal"])
    return {
        "videos_in": len(outputs), "videos_kept": len(kept),
        "rejected_by_reason": dict(sorted(ledger.stage("videos").rejected.items())),
        "scenes_per_video": dict(sorted(Counter(len(t.scenes) for t in kept).items())),
        "trim_stop_reasons": dict(sorted(Counter(t.stop_reason for t in kept).items())),
        "mean_clip_seconds": sum(lengths) / len(lengths) if lengths else 0.0,
        "mean_scene_seconds": sum(scene_lengths) / len(scene_lengths) if scene_lengths else 0.0,
        "clip_seconds_histogram": dict(sorted(Counter(int(x // 15) * 15 for x in lengths).items())),
        "perturbation_counts": dict(sorted(Counter(o.perturbation for o in outputs if o.trimmed).items())),
        "pairs_dropped_order_insensitive": ledger.stage("qa_pairs").rejected.get("order_insensitive", 0),
        "timewar_letters": {k: letters.get(k, 0) for k in "ABCD"},
        "rows": {c: len(records[c]) for c in CONFIGS},
    }


def _read(source: Path, spill_root: Path | None) -> tuple[list, Path | None]:
    """Metadata units; with ``spill_root``, videos embedded in parquet rows (``mp4`` column) are
    written to ``<spill_root>/.work/videos/<video_id>.mp4`` as they stream by (memory stays bounded)
    and that folder is returned for rendering."""
    if spill_root is None:
        return list(read_metadata(source)), None
    folder = spill_root / ".work" / "videos"
    metas, spilled = [], False
    for meta in read_metadata(source, with_video=True):
        if isinstance(meta, VideoMeta) and meta.video_bytes:
            write_bytes(folder / f"{meta.video_id}.mp4", meta.video_bytes)
            meta = dataclasses.replace(meta, video_bytes=None)
            spilled = True
        metas.append(meta)
    return metas, folder if spilled else None


def build_timewarp(source: Path, params: TimewarpParams, out_root: Path, version: str,
                   executor: Executor, videos: Path | None = None,
                   llm: LLMConfig | None = None) -> TimewarpResult:
    """Build ``<out_root>/timewarp/<version>/`` from FineVideo metadata at ``source``.

    ``llm`` configures the LLM back-end used when ``params.llm == "openai"``."""
    if params.llm != "offline" and llm is None:
        raise ConfigError("params.llm is 'openai' but no LLM configuration was given")
    with build_lock(out_root / "timewarp" / require_version(version)), gc_paused():
        return _build(source, params, out_root, version, executor, videos, llm)


def _build(source: Path, params: TimewarpParams, out_root: Path, version: str, executor: Executor,
           videos: Path | None, llm: LLMConfig | None) -> TimewarpResult:
    build_dir = out_root / "timewarp" / version
    build_dir.mkdir(parents=True, exist_ok=True)
    clock = Stopwatch()
    metas, embedded = _read(source, build_dir if videos is None else None)
    if embedded is not None:
        videos = embedded
    sums = input_checksums(source)
    clock.lap("read")
    cache = WorkCache(build_dir, fingerprint(params.model_dump(), sums, code_version()))
    keys = [f"{m.source}/{m.video_id}" for m in metas]
    outputs = map_cached(executor, process_video, params, metas, keys, cache, "timewarp: videos")
    clock.lap("generate")
    ledger = Ledger()
    for stage in STAGES:
        ledger.stage(stage)
    failed: set[str] = set()
    if videos is not None:
        from pipelines.timewarp.render import render_all

        failed = render_all(build_dir, outputs, videos, params, ledger, executor)
        clock.lap("render")
    llm_report: dict[str, Any] = {"backend": params.llm}
    if params.llm != "offline":
        assert llm is not None
        from pipelines.timewarp.implicit_llm import run_llm_implicit
        from pipelines.timewarp.llm_qa import run_llm_qa

        config = llm.model_copy(update={"failed_path": build_dir / "llm_failed.jsonl"})
        with LLMClient(config) as client:
            run_llm_qa(outputs, params, client)
            if videos is not None:
                run_llm_implicit(outputs, build_dir, params, client, failed)
        llm_report = {"backend": params.llm, "config": config.for_manifest(),
                      "stats": client.stats.to_dict()}
        clock.lap("llm")
    for output in outputs:
        for stage, n in output.stage_inputs.items():
            ledger.add_inputs(stage, n)
            ledger.accept(stage, output.stage_accepted[stage])
        for stage, unit, reason, detail in output.rejects:
            ledger.reject(Reject(stage, unit, reason, detail))
    records: dict[str, list[dict[str, Any]]] = {c: [] for c in CONFIGS}
    for output in outputs:
        if output.video_id not in failed:
            for config, rows in output.records.items():
                records[config].extend(rows)
    for config in CONFIGS:
        write_shards(build_dir, config, SPLITS[config], records[config], FEATURES[config],
                     params.rows_per_shard)
    clock.lap("shards")
    stats = build_stats(outputs, records, ledger)
    from pipelines.timewarp.publish import write_card_exports_report

    write_card_exports_report(build_dir, records, stats, ledger, params, version, sums)
    clock.lap("exports+card")
    manifest = write_manifest(build_dir, recipe="timewarp", version=version, seed=params.seed,
                              params=params.model_dump(), inputs={"finevideo": source}, ledger=ledger,
                              extra={"configs": {c: len(records[c]) for c in CONFIGS},
                                     "input_files": sums, "media_rendered": videos is not None,
                                     "llm": llm_report})
    cache.clear()
    return TimewarpResult(build_dir, outputs, records, ledger, stats, manifest, clock)
