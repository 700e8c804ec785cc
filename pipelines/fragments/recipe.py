"""fragments as a declared recipe: videos (+ presence, labels, effects) -> one pass over the videos
(frames, the five fragment questions per N, speed renders, scene questions) -> split by video ->
``sft``, ``bench_fragment``, ``bench_scene``; exports, card, report.

Hooks only; :func:`pipelines.core.orchestrator.run_build` runs them (see core/recipe.py). Media
are written inside the one pass (each unit lists its files under ``media/<video_id>/``), because
the questions need the sampled frames' differences and the render lengths. The rows are
published as a stream (streaming.py): the driver never holds every video's rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines.core.manifest import sha256_file
from pipelines.core.masks import read_mask_presence
from pipelines.core.paths import SIMILARITY_DIR
from pipelines.core.presence import Track, read_ava_presence
from pipelines.core.recipe import Build, ConfigSpec, InputFiles, Plan, Recipe, UnitPass, UnitResult
from pipelines.core.tally import Tally
from pipelines.fragments import cli
from pipelines.fragments.config import FragmentsParams
from pipelines.fragments.inputs import FragmentsInputs, list_videos, read_effects, read_labels
from pipelines.fragments.per_video import process_video
from pipelines.fragments.phrasing import load_phrasings
from pipelines.fragments.records import CONFIGS, FEATURES, SPLITS
from pipelines.fragments.scene import Effect, load_similarity_map
from pipelines.fragments.streaming import STREAM
from pipelines.fragments.units import STAGES, FragmentsContext, VideoJob

SIMILARITY_MAP = SIMILARITY_DIR / "ava_curated.yaml"
INPUT_STAGES = ("presence_rows", "label_rows", "effect_rows")


def video_unit(ctx: FragmentsContext, job: VideoJob) -> UnitResult:
    """Everything about one video (the ``videos`` pass); payload: its :class:`VideoOutput`."""
    out = process_video(ctx, job)
    tally = Tally()
    for stage in STAGES:
        tally.count(stage, out.inputs[stage], out.accepted[stage])
    tally.rejects.extend(out.rejects)
    return UnitResult(job.video_id, tally, tuple(out.files), payload=out)


def input_files(inputs: FragmentsInputs) -> InputFiles:
    """sha256 of every input file (the videos one by one) keys the work cache."""
    files = [p for p in sorted(inputs.videos.iterdir()) if p.is_file() and not p.name.startswith(".")]
    sums = {f"videos/{p.name}": sha256_file(p) for p in files}
    sums |= {name: sha256_file(path) for name, path in inputs.described().items()
             if path is not None and name not in ("videos", "masks")}
    if inputs.masks is not None:  # a folder: its meta files and mask_dict.json
        sums |= {f"masks/{p.name}": sha256_file(p) for p in sorted(inputs.masks.glob("*.json"))}
    return InputFiles(sums, inputs.described())


def _tables(inputs: FragmentsInputs, params: FragmentsParams, tally: Tally
            ) -> tuple[dict[str, tuple[Track, ...]], dict[str, str], dict[str, Effect]]:
    """Presence tracks, labels and effects; their bad rows become rejections in ``tally``."""
    tracks: dict[str, tuple[Track, ...]] = {}
    if inputs.ava_csv is not None:
        source, bad, total = read_ava_presence(inputs.ava_csv, params.ava_time_offset)
        tally.count("presence_rows", total, total - len(bad))
        tally.reject_many("presence_rows", [(f"{inputs.ava_csv.name}:{r.line}", r.reason, r.detail)
                                            for r in bad])
        tracks = {v: tuple(source.tracks(v)) for v in source.video_ids()}
    if inputs.masks is not None:  # the same presence interface, from segmentation masks
        masks, skipped, seen = read_mask_presence(inputs.masks, params.mask_fps)
        tally.count("mask_objects", seen, seen - len(skipped))
        tally.reject_many("mask_objects", skipped)
        for video_id in masks.video_ids():
            tracks[video_id] = tracks.get(video_id, ()) + tuple(masks.tracks(video_id))
    labels: dict[str, str] = {}
    effects: dict[str, Effect] = {}
    if inputs.labels is not None:
        labels, bad_labels = read_labels(inputs.labels)
        tally.count("label_rows", len(labels) + len(bad_labels), len(labels))
        tally.reject_many("label_rows", bad_labels)
    if inputs.effects is not None:
        effects, bad_effects = read_effects(inputs.effects)
        tally.count("effect_rows", len(effects) + len(bad_effects), len(effects))
        tally.reject_many("effect_rows", bad_effects)
    return tracks, labels, effects


def plan(build: Build) -> Plan:
    inputs: FragmentsInputs = build.inputs
    params: FragmentsParams = build.params
    tally = Tally()
    videos, duplicates = list_videos(inputs.videos)
    tally.count("videos", len(duplicates), 0)
    tally.reject_many("videos", duplicates)
    tracks, labels, effects = _tables(inputs, params, tally)
    context = FragmentsContext(params, load_phrasings(), load_similarity_map(SIMILARITY_MAP),
                               tuple(sorted(set(labels.values()))), build.build_dir.absolute(),
                               inputs.ava_csv is not None or inputs.masks is not None)
    jobs = [VideoJob(v.video_id, v.path.absolute(), tracks.get(v.video_id, ()), labels.get(v.video_id),
                     effects.get(v.video_id)) for v in videos]
    return Plan(UnitPass("videos", video_unit, context, jobs, [j.video_id for j in jobs]), tally)


def demo(folder: Path) -> tuple[FragmentsInputs, dict[str, Any]]:
    return cli.demo_inputs(folder), {}


RECIPE = Recipe(
    name="fragments", params=FragmentsParams, stages=(*STAGES, *INPUT_STAGES),
    configs={c: ConfigSpec(FEATURES[c], SPLITS[c]) for c in CONFIGS},
    input_files=input_files, plan=plan, demo=demo, cli=cli.CLI, stream=STREAM)
