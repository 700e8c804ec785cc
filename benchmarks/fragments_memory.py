"""Driver memory of a fragments build as the input grows (FineVideo-shaped: no presence data).

A real fragments unit decodes and renders its video (seconds of ffmpeg each), so thousands of
videos cannot be built here. What grows with the input in the *driver* is everything after the
units: the rows, exports, statistics and text-only checks. This benchmark runs the real recipe
through the real orchestrator (plan, work cache, publication, card, manifest) with one thing
swapped: the unit function makes each video's questions with the recipe's own question builders
from synthetic frame samples instead of decoding a file (same question counts as a FineVideo
video: 5 frame counts x 4 fragment tasks, 4 speed questions, an action question for 3 videos in
4; no media files). Each size is built in its own process; its peak RSS (``ru_maxrss``) is printed.

Run: ``.venv/bin/python benchmarks/fragments_memory.py [--sizes 500 2000] [--blind-sample N]``
(``make bench-fragments-memory``). To measure another
checkout with the same script: ``PYTHONPATH=<checkout> .venv/bin/python benchmarks/fragments_memory.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipelines.core.executors import LocalExecutor
from pipelines.core.orchestrator import run_build
from pipelines.core.recipe import Build, InputFiles, Plan, UnitPass, UnitResult
from pipelines.core.rng import UnitRng
from pipelines.core.tally import Tally
from pipelines.fragments.config import FragmentsParams
from pipelines.fragments.inputs import FragmentsInputs
from pipelines.fragments.phrasing import load_phrasings
from pipelines.fragments.questions import Sample, VideoDraws
from pipelines.fragments.recipe import RECIPE, SIMILARITY_MAP
from pipelines.fragments.scene import (
    SPEED_VARIANTS,
    action_question,
    action_wrong_options,
    load_similarity_map,
    speed_question,
)
from pipelines.fragments.units import STAGES, FragmentsContext, VideoJob, VideoOutput, ask_fragments

LABELS = ("run/jog", "ride (e.g., a bike, a car, a horse)", "dance", "swim", "jump/leap", "throw")


def synthetic_video(ctx: FragmentsContext, job: VideoJob) -> UnitResult:
    """One video's questions from synthetic samples (no decoding, no files written)."""
    out, seed = VideoOutput(job.video_id), ctx.params.seed
    out.account("videos", job.video_id)
    rng = UnitRng(seed, f"{job.video_id}/synthetic")
    duration = 60.0 + rng.below(540)
    samples = []
    for n in ctx.params.frame_counts:
        times = tuple(sorted(round(duration * (k + 1 + rng.below(100) / 100) / (n + 1), 2) for k in range(n)))
        out.account("fragments", f"{job.video_id}/n{n}")
        frames = tuple(f"media/{job.video_id}/frames/t{round(t * 1000):08d}.jpg" for t in times)
        samples.append(Sample(job.video_id, n, times, frames))
    draws = VideoDraws.for_video(seed, job.video_id)
    ask_fragments(ctx, job, samples, draws, out)
    out.account("speed", job.video_id)
    for variant in SPEED_VARIANTS:
        clip = f"media/{job.video_id}/speed_{variant}"
        frames = [f"{clip}_frames/{k:04d}.jpg" for k in range(ctx.params.scene_frames)]
        rng = UnitRng(seed, f"{job.video_id}/speed/{variant}")
        out.scenes.append(speed_question(variant, f"{clip}.mp4", frames, rng, draws, ctx.phrasings))
    if job.label is None:
        out.account("action", job.video_id, "no_action_label", "no label for this video")
    else:
        out.account("action", job.video_id)
        wrong = action_wrong_options(UnitRng(seed, f"{job.video_id}/action/wrong"), job.label, ctx.vocabulary,
                                     ctx.simmap)
        out.scenes.append(action_question(job.label, f"media/{job.video_id}/scene.mp4", [], wrong,
                                          UnitRng(seed, f"{job.video_id}/action"), draws, ctx.phrasings))
    out.account("effect", job.video_id, "no_effect_annotation", "no effect annotation for this video")
    tally = Tally()
    for stage in STAGES:
        tally.count(stage, out.inputs[stage], out.accepted[stage])
    tally.rejects.extend(out.rejects)
    return UnitResult(job.video_id, tally, payload=out)


def synthetic_plan(build: Build) -> Plan:
    count = build.options["videos"]
    context = FragmentsContext(build.params, load_phrasings(), load_similarity_map(SIMILARITY_MAP), LABELS,
                               build.build_dir.absolute(), False)
    jobs = [VideoJob(f"video_{i:05d}", Path(f"video_{i:05d}.mp4"), (), LABELS[i % 8] if i % 8 < 6 else None,
                     None) for i in range(count)]
    return Plan(UnitPass("videos", synthetic_video, context, jobs, [j.video_id for j in jobs]))


def build(count: int, out: Path) -> None:
    """One synthetic build of ``count`` videos (run in its own process)."""
    (out / "videos").mkdir(parents=True, exist_ok=True)
    recipe = dataclasses.replace(RECIPE, plan=synthetic_plan, input_files=lambda inputs: InputFiles(
        {"synthetic": str(count)}, inputs.described()))
    run_build(recipe, FragmentsInputs(out / "videos"), FragmentsParams(), out, "0.1.0",
              LocalExecutor(1, progress=False), options={"videos": count})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--blind-sample", type=int,
                        help="questions per scope the text-only models see (default: the recipe's "
                             "20,000); lower it to see what the rest of the build costs")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.blind_sample:
            from pipelines.fragments import fold

            fold.SAMPLE = args.blind_sample
        build(args.child, args.out)
        return
    print("driver peak RSS of a fragments build on synthetic FineVideo-shaped units (MB)"
          + (f", text-only sample {args.blind_sample} per scope" if args.blind_sample else ""))
    peaks = {}
    with tempfile.TemporaryDirectory() as scratch:
        for count in args.sizes:
            start = time.perf_counter()
            sample = ["--blind-sample", str(args.blind_sample)] if args.blind_sample else []
            process = subprocess.Popen([sys.executable, __file__, "--child", str(count), "--out",
                                        str(Path(scratch) / str(count)), *sample])
            _, status, usage = os.wait4(process.pid, 0)
            if status != 0:
                raise SystemExit(f"the build of {count} videos failed")
            peaks[count] = usage.ru_maxrss / 1024
            print(f"   {count:6d} videos  {peaks[count]:7.1f} MB  (wall {time.perf_counter() - start:.1f} s, "
                  f"CPU {usage.ru_utime + usage.ru_stime:.1f} s)")
    small, large = min(args.sizes), max(args.sizes)
    if small == large:
        return
    print(f"   {large:,} / {small:,} videos: {peaks[large] / peaks[small]:.2f}x, "
          f"{(peaks[large] - peaks[small]) / (large - small) * 1024:.1f} KB per video")


if __name__ == "__main__":
    main()
