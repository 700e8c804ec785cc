"""finebench as a declared recipe: AVA rows -> one generation pass per video -> (with videos) one
frame pass per video -> the ``mcq`` config and its ``subset``; exports, stats, card, report.

Hooks only; :func:`pipelines.core.orchestrator.run_build` runs them (see core/recipe.py).
Everything between reading and writing is column-wise: a large build costs array work, not Python
work per question.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from pipelines.core import ava
from pipelines.core.ava_columns import read_annotation_columns
from pipelines.core.manifest import sha256_file
from pipelines.core.recipe import Build, ConfigSpec, InputFiles, Plan, Recipe, Rows, UnitPass, UnitResult
from pipelines.core.tally import Tally
from pipelines.finebench import cli
from pipelines.finebench.columns import VideoInput, expand, video_inputs
from pipelines.finebench.config import FinebenchParams
from pipelines.finebench.context import GenerationContext
from pipelines.finebench.demo import write_demo_inputs
from pipelines.finebench.exports import write_exports
from pipelines.finebench.frames import FrameJob, extract_job, frame_jobs, frame_key, with_frame_keys
from pipelines.finebench.inputs import FinebenchInputs
from pipelines.finebench.keyframes import PersonTable, group_keyframes
from pipelines.finebench.keyratio import choose_context
from pipelines.finebench.publish_card import write_card_and_report
from pipelines.finebench.questions import generate_video
from pipelines.finebench.schema import MCQ_FEATURES
from pipelines.finebench.stats import build_stats
from pipelines.finebench.subset import choose_subset
from pipelines.finebench.units import build_units
from pipelines.finebench.vocabulary import load_vocabulary


def read_rows(inputs: FinebenchInputs, labels: dict[int, ava.Label]) -> tuple[PersonTable, Tally]:
    """Read and validate the files: the accepted persons and the ``rows`` stage's tally."""
    excluded = ava.read_excluded(inputs.excluded)
    rows, row_rejects, total = read_annotation_columns(inputs.annotations, set(labels))
    persons, more_rejects = group_keyframes(rows, row_rejects, excluded)
    bad = sorted(row_rejects + more_rejects, key=lambda r: r.line)
    tally = Tally()
    tally.count("rows", total, total - len(bad))
    tally.reject_many("rows", [(f"{inputs.annotations.name}:{r.line}", r.reason, r.detail) for r in bad])
    return persons, tally


def video_unit(ctx: GenerationContext, video: VideoInput) -> UnitResult:
    """Generation of one video (the ``videos`` pass); payload: its :class:`VideoResult`."""
    result = generate_video(ctx, video)
    tally = Tally()
    tally.count("units", result.units, result.table.num_rows)
    tally.reject_many("units", result.rejects)
    result.rejects = []  # kept once, in the tally
    return UnitResult(video.video_id, tally, payload=result)


def frames_unit(_context: None, job: FrameJob) -> UnitResult:
    """Frames of one video (the ``frames`` pass); payload: whether every frame was written."""
    video_id, reason, detail = extract_job(None, job)
    tally = Tally()
    tally.count("frames", 1, 0 if reason else 1)
    if reason:
        tally.reject("frames", video_id, reason, detail)
        return UnitResult(video_id, tally, payload=False)
    return UnitResult(video_id, tally, tuple(frame_key(video_id, t) for t in job.times), payload=True)


def input_files(inputs: FinebenchInputs) -> InputFiles:
    files = {k: v for k, v in vars(inputs).items() if k != "videos"}
    return InputFiles({name: sha256_file(p) for name, p in files.items() if p is not None}, files,
                      {"videos": str(inputs.videos) if inputs.videos else None})


def plan(build: Build) -> Plan:
    inputs, params = build.inputs, build.params
    labels = ava.read_label_map(inputs.labels)
    vocab = load_vocabulary(labels, params.similarity_map)
    persons, tally = read_rows(inputs, labels)
    units = build_units(persons, vocab)
    work = video_inputs(persons, units)
    build.state["vocab"] = vocab
    build.state["offered"] = units.counts_by_category()
    context, build.state["key_ratio"], build.state["blind_measured"] = choose_context(
        vocab, params, units, persons, work)
    return Plan(UnitPass("videos", video_unit, context, work, [video.video_id for video in work]), tally)


def questions(build: Build) -> pa.Table:
    """Every video's questions in video order, ``in_subset`` set (computed once per build)."""
    if "table" not in build.state:
        results = build.payloads("videos")
        subset_ids = choose_subset({r.video_id: r.mix for r in results}, build.params.subset_fraction)
        chosen = set(subset_ids)
        table = (expand(pa.concat_tables([r.table for r in results]))
                 if results else MCQ_FEATURES.arrow_schema.empty_table())
        in_subset = pa.array(np.repeat([r.video_id in chosen for r in results],
                                       [r.table.num_rows for r in results]).astype(bool))
        build.state["table"] = table.set_column(table.schema.get_field_index("in_subset"), "in_subset",
                                                in_subset)
        build.state["subset_ids"] = subset_ids
    return build.state["table"]


def media(build: Build) -> list[UnitPass]:
    videos = build.inputs.videos
    if videos is None:
        return []
    jobs = frame_jobs(build.build_dir, questions(build), videos, build.params.frames)
    return [UnitPass("frames", frames_unit, None, jobs, [job.video_id for job in jobs], ("frames",))]


def assemble(build: Build) -> dict[str, Rows]:
    table = questions(build)
    if "frames" in build.results:
        done = {result.key for result in build.results["frames"] if result.payload}
        table = with_frame_keys(table, done, build.params.frames)
    return {"mcq": table, "subset": table.filter(table.column("in_subset"))}


def publish(build: Build, tables: dict[str, Rows]) -> dict[str, Any]:
    params, table = build.params, tables["mcq"]
    assert isinstance(table, pa.Table) and build.input_files is not None
    write_exports(build.build_dir, tables, params.frames)
    stats = build_stats(table, build.state["subset_ids"], build.state["offered"], params.seed,
                        params.blind_sample, build.state["blind_measured"])
    stats["key_ratio"] = build.state["key_ratio"]
    write_card_and_report(build.build_dir, table, stats, build.ledger, params, build.version,
                          dict(build.input_files.sums), build.state["vocab"])
    return stats


def demo(folder: Path) -> tuple[FinebenchInputs, dict[str, Any]]:
    return write_demo_inputs(folder), {}


RECIPE = Recipe(
    name="finebench", params=FinebenchParams, stages=("rows", "units"),
    configs={"mcq": ConfigSpec(MCQ_FEATURES, "test"), "subset": ConfigSpec(MCQ_FEATURES, "test")},
    input_files=input_files, plan=plan, media=media, assemble=assemble, publish=publish,
    demo=demo, cli=cli.CLI)
