"""Render the normal, shuffled and reversed clips of every kept video, plus trainer frame folders.

Every variant is assembled from the *same* list of per-scene segments (only their order differs),
with one encode and the matched encoding profile (``MATCHED_PROFILE``: same rate control for all,
key frames and B-frames at fixed frame indices, constant-bitrate audio), then the video streams
are padded to one size (``pad_to_match``). The variants hold the same frames and match in codec,
pixel format, fps, size, audio, duration, packet counts, key-frame times, stream sizes and
bitrates; :func:`check_indistinguishable` verifies it and a video whose variants could be told
apart is rejected (``variants_distinguishable``). Frame
folders (``<variant>_frames/c01_0001.jpeg`` ...) sample the clip at ``frames_fps`` and are
``frames_width`` pixels wide; names are numbered so that sorting them gives the play order.

Output faults (disk full, read-only) stop the build with :class:`OutputError`: they are never
recorded as an unreadable video.
A video whose render fails is rejected in the ``render`` stage and its records are removed from
every config, so no record points at a missing clip.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pipelines.core.errors import InputError
from pipelines.core.outputcheck import media_output, write_fault
from pipelines.core.validate import require_folder
from pipelines.core.video import (
    assemble,
    check_indistinguishable,
    extract_frames,
    find_video,
    missing_video_detail,
    probe,
)
from pipelines.core.video.leak import leak_report
from pipelines.core.video.pad import pad_to_match
from pipelines.core.video.streams import stream_stats
from pipelines.core.video.variants import MATCHED_PROFILE
from pipelines.timewarp.config import TimewarpParams
from pipelines.timewarp.units import VideoOutput

VARIANTS = ("normal", "shuffled", "reversed")


@dataclass(frozen=True)
class RenderJob:
    video_id: str
    source: Path | None
    segments: tuple[tuple[float, float], ...]  # per kept scene, in true order
    orders: dict[str, tuple[int, ...]]
    media_dir: Path


@dataclass(frozen=True)
class RenderOutcome:
    video_id: str
    reason: str = ""  # empty when rendered
    detail: str = ""


def frame_times(duration: float, fps: float) -> list[float]:
    count = max(1, int(duration * fps + 1e-9))
    return [round(i / fps, 6) for i in range(count)]


def render_job(params: TimewarpParams, job: RenderJob) -> RenderOutcome:
    """Render one video's variants and frame folders (runs in a worker)."""
    if job.source is None:
        return RenderOutcome(job.video_id, "video_missing", missing_video_detail(job.video_id))
    with media_output(job.media_dir):
        return _render(params, job)


def _render(params: TimewarpParams, job: RenderJob) -> RenderOutcome:
    assert job.source is not None
    try:
        job.media_dir.mkdir(parents=True, exist_ok=True)
        paths = [job.media_dir / f"{variant}.mp4" for variant in VARIANTS]
        for variant, path in zip(VARIANTS, paths, strict=True):
            segments = [job.segments[i] for i in job.orders[variant]]
            assemble(job.source, segments, path, profile=MATCHED_PROFILE)
        pad_to_match(paths)
        infos = [probe(p) for p in paths]
        problems = check_indistinguishable(infos)
        if problems:
            return RenderOutcome(job.video_id, "variants_distinguishable", problems[0])
        for variant, info in zip(VARIANTS, infos, strict=True):
            extract_frames(info.path, frame_times(info.video_duration, params.frames_fps),
                           job.media_dir / f"{variant}_frames", fmt="jpg", width=params.frames_width,
                           name_fn=lambda i, _t: f"c01_{i + 1:04d}.jpeg")
    except InputError as exc:
        if write_fault(job.media_dir, exc) is not None:
            raise  # media_output turns it into an OutputError: the disk, not the video, failed
        return RenderOutcome(job.video_id, "video_unreadable", exc.one_line())
    return RenderOutcome(job.video_id)


def render_jobs(build_dir: Path, outputs: Iterable[VideoOutput], videos: Path) -> list[RenderJob]:
    """One job per kept video, in build order (run by the recipe's ``render`` pass)."""
    require_folder(videos, "videos folder not found")
    return [RenderJob(o.video_id, find_video(videos, o.video_id),
                      tuple((s.start, s.end) for s in o.trimmed.scenes), o.orders,
                      build_dir / "media" / o.video_id)
            for o in outputs if o.trimmed is not None]


def rendered_files(job: RenderJob) -> tuple[str, ...]:
    """Every file a finished job wrote, relative to the build folder (``media/<video_id>/...``)."""
    return tuple(f"media/{job.video_id}/{p.relative_to(job.media_dir).as_posix()}"
                 for p in sorted(job.media_dir.rglob("*")) if p.is_file())


def media_leak_report(build_dir: Path, video_ids: list[str]) -> dict[str, object]:
    """How often each per-stream figure of the rendered clips (``stream_stats``) picks the normal
    clip out of its three variants, next to chance (``pipelines.core.video.leak``)."""
    groups = []
    for video_id in video_ids:
        folder = build_dir / "media" / video_id
        groups.append([stream_stats(folder / f"{v}.mp4").fields() for v in VARIANTS])
    return leak_report(groups) if groups else {"groups": 0}
