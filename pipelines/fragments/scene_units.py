"""Scene-level part of one video's unit: speed renders and questions, action, effect.

Rendered clips land under ``media/<video_id>/`` (``speed_<variant>.mp4``, ``scene.mp4``), each
with ``scene_frames`` evenly spaced frames in ``<clip>_frames/`` for trainers that take images.
A render that fails (a damaged source) rejects that stage for the video with the toolkit's reason.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.core.errors import InputError
from pipelines.core.rng import UnitRng
from pipelines.core.video import VideoInfo, cut, extract_frames
from pipelines.fragments.questions import VideoDraws
from pipelines.fragments.render import PROFILE, render_variant, speed_length
from pipelines.fragments.scene import (
    SPEED_VARIANTS,
    Effect,
    action_question,
    action_wrong_options,
    effect_question,
    speed_question,
)
from pipelines.fragments.units import FragmentsContext, VideoJob, VideoOutput, rel


def clip_frames(ctx: FragmentsContext, clip: VideoInfo, folder: Path, out: VideoOutput) -> list[str]:
    """``scene_frames`` frames evenly spread over ``clip`` (centres of equal parts), as paths;
    the clip and its frames are listed in ``out.files``."""
    count = ctx.params.scene_frames
    duration = clip.frame_count / float(clip.fps)
    times = [round((k + 0.5) * duration / count, 3) for k in range(count)]
    frames = [rel(ctx, p) for p in extract_frames(clip.path, times, folder, width=ctx.params.frame_width)]
    out.files += [rel(ctx, clip.path), *frames]
    return frames


def ask_speed(ctx: FragmentsContext, job: VideoJob, info: VideoInfo, draws: VideoDraws,
              out: VideoOutput) -> None:
    length = speed_length(info, ctx.params.speed_seconds)
    if not length:
        out.account("speed", job.video_id, "video_too_short", f"{info.frame_count} frames")
        return
    folder = ctx.build_dir / "media" / job.video_id
    try:
        clips = {v: render_variant(info, v, length, folder / f"speed_{v}.mp4") for v in SPEED_VARIANTS}
        frames = {v: clip_frames(ctx, c, folder / f"speed_{v}_frames", out) for v, c in clips.items()}
    except InputError as exc:
        out.account("speed", job.video_id, "render_failed", exc.problem)
        return
    out.account("speed", job.video_id)
    for variant in SPEED_VARIANTS:
        rng = UnitRng(ctx.params.seed, f"{job.video_id}/speed/{variant}")
        out.scenes.append(speed_question(variant, rel(ctx, clips[variant].path), frames[variant], rng, draws,
                                         ctx.phrasings))


def scene_clip(ctx: FragmentsContext, info: VideoInfo, job: VideoJob,
               out: VideoOutput) -> tuple[str, list[str]]:
    """The clip action and effect questions show: the video's first ``scene_seconds``."""
    folder = ctx.build_dir / "media" / job.video_id
    end = min(info.video_duration, ctx.params.scene_seconds)
    clip = cut(info.path, 0.0, end, folder / "scene.mp4", profile=PROFILE)
    return rel(ctx, clip.path), clip_frames(ctx, clip, folder / "scene_frames", out)


def ask_scene(ctx: FragmentsContext, job: VideoJob, info: VideoInfo, draws: VideoDraws,
              out: VideoOutput) -> None:
    ask_speed(ctx, job, info, draws, out)
    wrong = (action_wrong_options(UnitRng(ctx.params.seed, f"{job.video_id}/action/wrong"), job.label,
                                  ctx.vocabulary, ctx.simmap) if job.label else [])
    if job.label is None:
        out.account("action", job.video_id, "no_action_label", "no label for this video")
    elif not wrong:
        out.account("action", job.video_id, "too_few_wrong_actions", job.label)
    if job.effect is None:
        out.account("effect", job.video_id, "no_effect_annotation", "no effect annotation for this video")
    if not wrong and job.effect is None:
        return
    try:
        video, frames = scene_clip(ctx, info, job, out)
    except InputError as exc:
        for stage, wanted in (("action", wrong), ("effect", job.effect)):
            if wanted:
                out.account(stage, job.video_id, "render_failed", exc.problem)
        return
    if wrong and job.label is not None:
        out.account("action", job.video_id)
        rng = UnitRng(ctx.params.seed, f"{job.video_id}/action")
        out.scenes.append(action_question(job.label, video, frames, wrong, rng, draws, ctx.phrasings))
    if isinstance(job.effect, Effect):
        out.account("effect", job.video_id)
        rng = UnitRng(ctx.params.seed, f"{job.video_id}/effect")
        out.scenes.append(effect_question(job.effect, video, frames, rng, draws, ctx.phrasings))
