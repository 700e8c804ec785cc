"""Fragment part of one video's unit: context, job and output types, frame sampling, the five
fragment questions. :func:`pipelines.fragments.per_video.process_video` runs a whole unit.

A unit is a pure function of (context, job) up to the files it writes under
``media/<video_id>/``: every random draw
comes from ``UnitRng(seed, "<video_id>/<purpose>")``, so a video's output does not depend on the
worker that runs it. A bad video (unreadable, no video stream, truncated, damaged) is rejected at
every stage with the toolkit's one-line reason; nothing it wrote is used.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.core.errors import InputError
from pipelines.core.presence import Track
from pipelines.core.rng import UnitRng
from pipelines.core.video import VideoInfo, extract_frames, frame_difference, frames_at
from pipelines.fragments.config import FragmentsParams
from pipelines.fragments.order import kinds_for, meaning_of_order, usable_tracks
from pipelines.fragments.phrasing import Phrasings
from pipelines.fragments.questions import (
    Question,
    Sample,
    VideoDraws,
    adjust_or_not,
    frame_comparison,
    frame_count,
    rearrangement,
)
from pipelines.fragments.sampling import Shortfall, candidate_times, choose_frames
from pipelines.fragments.scene import Effect, SceneQuestion, SimilarityMap

STAGES = ("videos", "fragments", "meaning_of_order", "speed", "action", "effect")
COMPARE_WIDTH = 64  # frame_difference compares 64x64 thumbnails


@dataclass(frozen=True)
class FragmentsContext:
    params: FragmentsParams
    phrasings: Phrasings
    simmap: SimilarityMap
    vocabulary: tuple[str, ...]
    build_dir: Path
    has_presence: bool


@dataclass(frozen=True)
class VideoJob:
    video_id: str
    path: Path
    tracks: tuple[Track, ...]
    label: str | None
    effect: Effect | None


@dataclass
class VideoOutput:
    video_id: str
    fragments: list[Question] = field(default_factory=list)
    scenes: list[SceneQuestion] = field(default_factory=list)
    inputs: Counter[str] = field(default_factory=Counter)
    accepted: Counter[str] = field(default_factory=Counter)
    rejects: list[tuple[str, str, str, str]] = field(default_factory=list)  # stage, unit, reason, detail
    files: list[str] = field(default_factory=list)  # written, relative to the build folder

    def account(self, stage: str, unit: str, reason: str = "", detail: str = "") -> None:
        """One input of ``stage``: accepted when ``reason`` is empty, else rejected."""
        self.inputs[stage] += 1
        if reason:
            self.rejects.append((stage, unit, reason, detail))
        else:
            self.accepted[stage] += 1


def rel(ctx: FragmentsContext, path: Path) -> str:
    return path.relative_to(ctx.build_dir).as_posix()


def bad_video_reason(exc: InputError) -> str:
    problem = exc.problem
    for needle, reason in (("no video stream", "no_video_stream"), ("empty", "empty_file"),
                           ("truncated", "truncated_or_corrupt"), ("corrupt", "truncated_or_corrupt"),
                           ("damaged", "truncated_or_corrupt"), ("no video frames", "no_video_frames")):
        if needle in problem:
            return reason
    return "unreadable_video"


def reject_everything(out: VideoOutput, params: FragmentsParams, reason: str, detail: str) -> VideoOutput:
    out.account("videos", out.video_id, reason, detail)
    for n in params.frame_counts:
        out.account("fragments", f"{out.video_id}/n{n}", reason, detail)
    for stage in ("speed", "action", "effect"):
        out.account(stage, out.video_id, reason, detail)
    return out


def candidates(info: VideoInfo, job: VideoJob, params: FragmentsParams) -> list[float]:
    """Candidate times: the presence samples inside the video (when there are any), else an even grid."""
    last = (info.frame_count - 1) / float(info.fps)
    lo, hi = min(params.edge_seconds, last / 4), max(last - params.edge_seconds, last * 3 / 4)
    sampled = sorted({t for track in job.tracks for t in track.times if lo <= t <= hi})
    if len(sampled) >= 2:
        step = max(1, -(-len(sampled) // params.candidates))
        return sampled[::step]
    return candidate_times(lo, hi, params.candidates)


def sample_frames(ctx: FragmentsContext, job: VideoJob, info: VideoInfo, out: VideoOutput) -> list[Sample]:
    """Choose N frames per N, write the chosen ones once each, return the samples."""
    params = ctx.params
    times = candidates(info, job, params)
    thumbs = frames_at(info.path, times, width=COMPARE_WIDTH)
    diff = [[frame_difference(a, b) if i != j else 0.0 for j, b in enumerate(thumbs)]
            for i, a in enumerate(thumbs)]
    chosen: dict[int, list[float]] = {}
    for n in params.frame_counts:
        picked = choose_frames(UnitRng(params.seed, f"{job.video_id}/n{n}/frames"), times, diff, n,
                               params.min_gap_seconds, params.difference_floor)
        if isinstance(picked, Shortfall):
            out.account("fragments", f"{job.video_id}/n{n}", "too_few_distinct_frames", picked.detail)
            continue
        out.account("fragments", f"{job.video_id}/n{n}")
        chosen[n] = [times[i] for i in picked]
    wanted = sorted({t for ts in chosen.values() for t in ts})
    folder = ctx.build_dir / "media" / job.video_id / "frames"
    paths = extract_frames(info.path, wanted, folder, name_fn=lambda _i, t: f"t{round(t * 1000):08d}.jpg",
                           width=params.frame_width)
    by_time = {t: rel(ctx, p) for t, p in zip(wanted, paths, strict=True)}
    out.files += by_time.values()
    return [Sample(job.video_id, n, tuple(ts), tuple(by_time[t] for t in ts)) for n, ts in chosen.items()]


def ask_fragments(ctx: FragmentsContext, job: VideoJob, samples: list[Sample], draws: VideoDraws,
                  out: VideoOutput) -> None:
    params, phr = ctx.params, ctx.phrasings
    for sample in samples:
        key = f"{job.video_id}/n{sample.n}"

        def rng(task: str, key: str = key) -> UnitRng:
            return UnitRng(params.seed, f"{key}/{task}")

        out.fragments.append(frame_count(sample, rng("frame_count"), draws, phr))
        if not job.tracks:
            out.account("meaning_of_order", key, "no_presence_data",
                        "no presence source given" if not ctx.has_presence else "no tracks for this video")
        elif not kinds_for(sample.n):
            out.account("meaning_of_order", key, "too_few_frames",
                        f"N = {sample.n}: four options would name frames that are not shown")
        else:
            usable, reason = usable_tracks(job.tracks, sample.times, params.presence_tolerance)
            out.account("meaning_of_order", key, reason, f"{len(job.tracks)} track(s)" if reason else "")
            if usable:
                order_rng = rng("meaning_of_order")
                track, present = order_rng.choice(usable)
                out.fragments.append(meaning_of_order(sample, track, present, order_rng, draws, phr))
        out.fragments.append(frame_comparison(sample, rng("frame_comparison"), draws, phr))
        out.fragments.append(adjust_or_not(sample, rng("adjust_or_not"), draws, phr))
        out.fragments.append(rearrangement(sample, rng("rearrangement"), draws, phr))
