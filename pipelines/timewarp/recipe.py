"""timewarp as a declared recipe: FineVideo metadata -> one generation pass per video -> (with
videos) one render pass per kept video -> LLM post-passes -> seven configs; exports, card, report.

Hooks only; :func:`pipelines.core.orchestrator.run_build` runs them (see core/recipe.py). A video
whose render failed loses its rows in every config, so no row points at a missing clip.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines.core.errors import ConfigError
from pipelines.core.finevideo import MetaReject, VideoMeta
from pipelines.core.recipe import Build, ConfigSpec, InputFiles, Plan, Recipe, UnitPass, UnitResult
from pipelines.core.tally import Tally
from pipelines.timewarp import cli
from pipelines.timewarp.config import TimewarpParams
from pipelines.timewarp.demo import write_demo_inputs
from pipelines.timewarp.inputs import TimewarpInputs, input_checksums, read_units
from pipelines.timewarp.render import RenderJob, render_job, render_jobs, rendered_files
from pipelines.timewarp.schema import FEATURES, SPLITS
from pipelines.timewarp.streaming import STREAM
from pipelines.timewarp.units import CONFIGS, process_video

STAGES = ("videos", "qa_pairs", "timewar", "ordering_probe", "implicit")


def video_unit(params: TimewarpParams, meta: VideoMeta | MetaReject) -> UnitResult:
    """Generation of one video (the ``videos`` pass); payload: its :class:`VideoOutput`, which
    shares the tally (LLM post-passes add to it before the orchestrator reads it)."""
    output = process_video(params, meta)
    return UnitResult(f"{meta.source}/{meta.video_id}", output.tally, payload=output)


def render_unit(params: TimewarpParams, job: RenderJob) -> UnitResult:
    """Clips and frame folders of one video (the ``render`` pass); payload: rendered or not."""
    outcome = render_job(params, job)
    tally = Tally()
    tally.count("render", 1, 0 if outcome.reason else 1)
    if outcome.reason:
        tally.reject("render", outcome.video_id, outcome.reason, outcome.detail)
        return UnitResult(job.video_id, tally, payload=False)
    return UnitResult(job.video_id, tally, rendered_files(job), payload=True)


def check(_inputs: TimewarpInputs, params: TimewarpParams, options: dict[str, Any]) -> None:
    if params.llm != "offline" and options.get("llm") is None:
        raise ConfigError("params.llm is 'openai' but no LLM configuration was given")


def input_files(inputs: TimewarpInputs) -> InputFiles:
    sums = input_checksums(inputs.finevideo)
    return InputFiles(sums, {"finevideo": inputs.finevideo}, {"input_files": sums})


def plan(build: Build) -> Plan:
    inputs = build.inputs
    metas, embedded = read_units(inputs.finevideo, build.build_dir if inputs.videos is None else None)
    build.state["videos"] = inputs.videos if embedded is None else embedded
    build.manifest_extra["media_rendered"] = build.state["videos"] is not None
    keys = [f"{m.source}/{m.video_id}" for m in metas]
    return Plan(UnitPass("videos", video_unit, build.params, metas, keys))


def media(build: Build) -> list[UnitPass]:
    videos = build.state["videos"]
    if videos is None:
        return []
    jobs = render_jobs(build.build_dir, build.stream_payloads("videos"), videos)
    return [UnitPass("render", render_unit, build.params, jobs, [job.video_id for job in jobs],
                     ("render",))]


def demo(folder: Path) -> tuple[TimewarpInputs, dict[str, Any]]:
    metadata, videos = write_demo_inputs(folder)
    return TimewarpInputs(metadata, videos), {}


RECIPE = Recipe(
    name="timewarp", params=TimewarpParams, stages=STAGES,
    configs={c: ConfigSpec(FEATURES[c], SPLITS[c]) for c in CONFIGS},
    input_files=input_files, plan=plan, media=media, demo=demo, cli=cli.CLI, check=check, stream=STREAM)
