"""One video, start to end: probe, sample frames per N and write them, ask the fragment questions,
render the speed variants, ask the scene questions (the unit the executor maps)."""

from __future__ import annotations

from pipelines.core.errors import InputError
from pipelines.core.video import probe
from pipelines.fragments.questions import VideoDraws
from pipelines.fragments.scene_units import ask_scene
from pipelines.fragments.units import (
    FragmentsContext,
    VideoJob,
    VideoOutput,
    ask_fragments,
    bad_video_reason,
    reject_everything,
    sample_frames,
)


def process_video(ctx: FragmentsContext, job: VideoJob) -> VideoOutput:
    """Every question of one video, or its rejection at every stage when the file is unusable."""
    out = VideoOutput(job.video_id)
    try:
        info = probe(job.path)
        samples = sample_frames(ctx, job, info, out)
    except InputError as exc:
        return reject_everything(VideoOutput(job.video_id), ctx.params, bad_video_reason(exc), exc.problem)
    out.account("videos", job.video_id)
    draws = VideoDraws.for_video(ctx.params.seed, job.video_id)
    ask_fragments(ctx, job, samples, draws, out)
    ask_scene(ctx, job, info, draws, out)
    return out
