"""Scale-out figures, measured side by side in one run (needs the Ray extra).

1. Per-unit overhead: a trivial unit over 2,000 items on the local pool (1 and 2 workers) and on a
   local Ray instance (2 CPUs).
2. Rendering speed-up: the render pass of a timewarp build over the demo videos, each under
   ``RENDER_COPIES`` ids (16 units: with 8, one long unit left at the end weighs on the ratio),
   with 1 and 2 workers, locally and on Ray, ``--repeats`` times in alternating order; the median
   ratio is printed with every run's figures and the load average (other users of the machine
   slow the 2-worker runs most). x264 runs with the profile's fixed thread count (1, the same in
   every run: the bytes must not depend on the core count). Beside it, the CPU-seconds of one
   render unit run alone and its CPU / wall ratio, the cores one worker keeps busy: two workers on
   two idle cores can be at most ``2 / ratio`` times faster than one (ffmpeg's pipeline stages
   overlap even with every thread count at 1: ~1.34 on a quiet machine, lower under load). On
   Linux it also prints where one render step's CPU goes, per ffmpeg thread kind (the decoders,
   the filter graph and the audio encoder run beside x264 in their own threads), and runs the
   1-worker build a third time confined to one CPU (the build and all it starts: workers, ffmpeg,
   Ray): 2 workers on 2 CPUs over that is the executor's scaling from one core to two, apart from
   the parallelism ffmpeg finds inside one unit.
3. Driver memory: peak RSS of a metadata-only timewarp build as a synthetic FineVideo-shaped input
   grows from 500 to 8,000 videos (``--sizes`` to change; each build in its own process,
   ``ru_maxrss`` of that process), the ratios 2,000 / 500 and largest / smallest, and the growth
   per video.

Run: ``make bench-scale`` (or ``.venv/bin/python benchmarks/scale.py [--repeats N]``;
``--memory-only`` runs section 3 alone, without Ray).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipelines.core.executors import LocalExecutor
from pipelines.core.ray_executor import RayExecutor
from pipelines.core.rng import UnitRng
from pipelines.core.video.variants import MATCHED_PROFILE
from pipelines.timewarp.config import TimewarpParams
from pipelines.timewarp.demo import metadata, write_demo_inputs
from pipelines.timewarp.inputs import read_units
from pipelines.timewarp.render import RenderJob, render_job, render_jobs
from pipelines.timewarp.units import process_video

RENDER_COPIES = 4  # ids per demo video in section 2 (4 videos -> 16 render units)
ACTIVITIES = ["A player runs along the line", "The coach shouts instructions", "The ball is kicked high",
              "A defender slides in", "The crowd stands up", "The keeper catches the ball",
              "Players shake hands", "A replay shows the goal", "The referee shows a card"]


def trivial(offset: int, item: int) -> int:
    return item + offset


def unit_overhead(count: int = 2000) -> dict[str, float]:
    figures = {}
    for name, executor in (("local x1", LocalExecutor(1, progress=False)),
                           ("local x2", LocalExecutor(2, progress=False)),
                           ("ray (2 CPUs)", RayExecutor(num_cpus=2, progress=False))):
        list(executor.map(trivial, 0, list(range(10))))  # warm-up: pool / cluster start
        start = time.perf_counter()
        assert list(executor.map(trivial, 1, list(range(count)))) == [i + 1 for i in range(count)]
        figures[name] = (time.perf_counter() - start) / count * 1e6
    return figures


def synthetic_finevideo(folder: Path, count: int) -> Path:
    """``count`` FineVideo-shaped metadata files (2-6 scenes of 4-20 s, 1-3 timed activities)."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        rng = UnitRng(0, f"synthetic/{number}")
        scenes = [(f"Scene {s}", 4 + rng.below(17),
                   [ACTIVITIES[rng.below(len(ACTIVITIES))] + f" ({number}.{s}.{a})"
                    for a in range(1 + rng.below(3))]) for s in range(2 + rng.below(5))]
        (folder / f"video_{number:05d}.json").write_text(json.dumps(metadata(f"video_{number:05d}", scenes)))
    return folder


def copied_demo(folder: Path, copies: int) -> tuple[Path, Path]:
    """The timewarp demo's metadata and videos, each video also under ``copies - 1`` more ids."""
    meta_dir, video_dir = write_demo_inputs(folder)
    for path in sorted(meta_dir.glob("*.json")):
        data = json.loads(path.read_text())
        for copy in range(1, copies):
            twin = f"{path.stem}_copy{copy}"
            data["original_video_filename"] = f"{twin}.mp4"
            (meta_dir / f"{twin}.json").write_text(json.dumps(data))
            if (video_dir / f"{path.stem}.mp4").exists():
                (video_dir / f"{twin}.mp4").write_bytes((video_dir / f"{path.stem}.mp4").read_bytes())
    return meta_dir, video_dir


def run_cli(args: list[str], one_cpu: bool = False) -> tuple[float, float, dict[str, float]]:
    """Wall seconds, peak RSS (MB) and the stage times printed by one ``python -m pipelines``;
    ``one_cpu``: the build and everything it starts (workers, ffmpeg, Ray) confined to one CPU."""
    start = time.perf_counter()
    confine = (lambda: os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})) if one_cpu else None
    process = subprocess.Popen([sys.executable, "-m", "pipelines", *args, "--no-progress"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=confine)
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"build failed: {' '.join(args)}: {process.stderr.read().decode()[-500:]}")
    stages = {}
    for line in output.splitlines():
        if line.startswith("time:"):
            for part in line.removeprefix("time:").split(","):
                name, seconds = part.split()
                stages[name] = float(seconds.rstrip("s"))
    return time.perf_counter() - start, usage.ru_maxrss / 1024, stages


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (ffmpeg runs), user + system."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def demo_jobs(params: TimewarpParams, meta_dir: Path, video_dir: Path, scratch: Path) -> list[RenderJob]:
    """The render jobs of the demo's videos, as a build in ``scratch`` would run them."""
    metas, _ = read_units(meta_dir, None)
    return render_jobs(scratch, [process_video(params, meta) for meta in metas], video_dir)


def unit_cost(meta_dir: Path, video_dir: Path, scratch: Path) -> list[tuple[str, float, float]]:
    """(video id, CPU s, wall s) of each render unit of the demo, run one after the other here."""
    params = TimewarpParams()
    jobs = demo_jobs(params, meta_dir, video_dir, scratch)
    costs = []
    for job in jobs:
        cpu, start = cpu_seconds(), time.perf_counter()
        outcome = render_job(params, job)
        if outcome.reason:
            raise SystemExit(f"render of {job.video_id} failed: {outcome.reason} {outcome.detail}")
        costs.append((job.video_id, cpu_seconds() - cpu, time.perf_counter() - start))
    return costs


THREAD_KINDS = (("dec", "decoders"), ("enc0:0:", "x264"), ("enc", "audio encoder"),
                ("fc", "filter graph"), ("mux", "muxer"), ("dmx", "demuxers"))


def render_threads(meta_dir: Path, video_dir: Path, scratch: Path) -> tuple[dict[str, float], float]:
    """CPU seconds per ffmpeg thread kind of the render steps (the encodes of the variants) of the
    demo's longest unit, summed, and their wall seconds (read from /proc while ffmpeg runs)."""
    from pipelines.core.video import edit, ffmpeg_bin

    kinds: dict[str, float] = {}
    wall = 0.0

    def watched(args: list[str], **_: object) -> None:
        nonlocal wall
        start = time.perf_counter()
        process = subprocess.Popen([ffmpeg_bin.ffmpeg_exe(), *ffmpeg_bin.BASE_ARGS, "-loglevel", "error",
                                    *args], stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seen: dict[str, tuple[str, float]] = {}
        while process.poll() is None:
            seen.update(_thread_cpu(process.pid))
            time.sleep(0.005)
        wall += time.perf_counter() - start
        for name, cpu in seen.values():
            kind = next((label for prefix, label in THREAD_KINDS if name.startswith(prefix)), "main")
            kinds[kind] = kinds.get(kind, 0.0) + cpu

    params = TimewarpParams()
    jobs = demo_jobs(params, meta_dir, video_dir, scratch)
    job = max(jobs, key=lambda job: sum(end - start for start, end in job.segments))
    original, edit.run = edit.run, watched
    try:
        render_job(params, job)
    finally:
        edit.run = original
    return kinds, wall


def _thread_cpu(pid: int) -> dict[str, tuple[str, float]]:
    """{thread id: (thread name, CPU seconds so far)} of a running process (Linux /proc)."""
    threads = {}
    for tid in os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else ():
        try:
            stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        threads[tid] = (stat[stat.index("(") + 1:stat.rindex(")")],
                        (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
    return threads


def render_speedup(root: Path, repeats: int) -> None:
    """Section 2 (see module docstring)."""
    meta_dir, video_dir = copied_demo(root / "demo", RENDER_COPIES)
    units = len(list(video_dir.glob("*.mp4")))
    print(f"2) render pass of {units} demo videos, x264 threads={MATCHED_PROFILE.threads} per worker "
          f"({os.cpu_count()} CPUs; load average before: {_load()})")
    demo = write_demo_inputs(root / "alone")  # one copy of the demo inputs for both measures below
    costs = unit_cost(*demo, root / "alone" / "build")
    for video_id, cpu, wall in costs:
        print(f"   one unit alone: {video_id:14s} CPU {cpu:5.2f} s  wall {wall:5.2f} s  "
              f"CPU/wall {cpu / wall:.2f}")
    print(f"   mean CPU per unit {sum(c for _, c, _ in costs) / len(costs):.2f} s, CPU/wall "
          f"{sum(c for _, c, _ in costs) / sum(w for _, _, w in costs):.2f}")
    if sys.platform == "linux":
        kinds, wall = render_threads(*demo, root / "threads")
        total = sum(kinds.values())
        print("   its longest unit's 3 encodes, CPU per ffmpeg thread kind: " + ", ".join(
            f"{kind} {cpu:.2f} s ({cpu / total:.0%})" for kind, cpu in
            sorted(kinds.items(), key=lambda item: -item[1])))
        print(f"   CPU {total:.2f} s in {wall:.2f} s wall: {total / wall:.2f} cores busy with 1 thread "
              f"for x264 (bound on 2 workers over 1: {2 / (total / wall):.2f}x for these steps)")
    one_core = sys.platform == "linux"
    for executor in ("local", "ray"):
        ratios, scaling = [], []
        for repeat in range(repeats):
            times, busy = {}, {}
            runs = [(1, False), (2, False)] + ([(1, True)] if one_core else [])
            for workers, confined in (runs if repeat % 2 == 0 else runs[::-1]):
                out = root / f"render_{executor}_{workers}_{confined}_{repeat}"
                before = _cpu_jiffies()
                _, _, stages = run_cli(["timewarp", "build", "--finevideo", str(meta_dir), "--videos",
                                        str(video_dir), "--out", str(out), "--workers", str(workers),
                                        "--executor", executor], one_cpu=confined)
                busy[workers, confined] = _busy_cores(before, _cpu_jiffies())
                times[workers, confined] = stages["render"]
                shutil.rmtree(out, ignore_errors=True)
            ratios.append(times[1, False] / times[2, False])
            line = (f"   {executor:6s} 1 worker {times[1, False]:6.1f} s   2 workers "
                    f"{times[2, False]:6.1f} s   speed-up {ratios[-1]:.2f}x")
            if one_core:
                scaling.append(times[1, True] / times[2, False])
                line += (f"   | 1 worker on 1 core {times[1, True]:6.1f} s: 2 workers on 2 cores "
                         f"{scaling[-1]:.2f}x")
            print(f"{line}   (cores busy, all users: " + " / ".join(
                f"{busy[run]:.2f}" for run in runs) + f"; load average after: {_load()})")
        print(f"   {executor:6s} median speed-up {statistics.median(ratios):.2f}x over {repeats} "
              "run(s) (target >= 1.6x)" + (f"; from 1 core to 2: {statistics.median(scaling):.2f}x"
                                           if one_core else ""))


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _cpu_jiffies() -> tuple[int, int]:
    """(idle, total) CPU ticks of the machine since boot (Linux /proc/stat; zeros elsewhere)."""
    try:
        ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0, 0
    return ticks[3] + ticks[4], sum(ticks)  # idle + iowait


def _busy_cores(before: tuple[int, int], after: tuple[int, int]) -> float:
    """Cores the whole machine kept busy on average between two readings (all users). On a quiet
    machine a 1-worker build keeps ~1 busy and a 2-worker build ~2; more means other work shared
    the cores, and a 2-worker build then cannot reach 2x."""
    total = after[1] - before[1]
    return (1 - (after[0] - before[0]) / total) * (os.cpu_count() or 1) if total else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2, help="render speed-up runs per executor")
    parser.add_argument("--memory-only", action="store_true",
                        help="run only section 3 (driver memory; no Ray needed)")
    parser.add_argument("--sizes", type=lambda text: tuple(int(x) for x in text.split(",")),
                        default=(500, 1000, 2000, 4000, 8000),
                        help="input sizes (videos) of section 3, comma-separated")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        if args.memory_only:
            driver_memory(root, args.sizes)
            return
        print("1) per-unit overhead, trivial unit, 2,000 units (microseconds per unit)")
        for name, micros in unit_overhead().items():
            print(f"   {name:14s} {micros:9.1f}")

        render_speedup(root, args.repeats)

        driver_memory(root, args.sizes)


def driver_memory(root: Path, sizes: tuple[int, ...]) -> None:
    """Section 3: peak RSS per input size, the largest/smallest ratio and the growth per video."""
    print("3) driver peak RSS of a metadata-only timewarp build (MB)")
    print(f"   load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    peaks = {}
    for count in sizes:
        source = synthetic_finevideo(root / f"finevideo_{count}", count)
        seconds, peaks[count], _ = run_cli(["timewarp", "build", "--finevideo", str(source),
                                            "--out", str(root / f"meta_{count}")])
        print(f"   {count:5d} videos  {peaks[count]:7.1f} MB  ({seconds:.1f} s)", flush=True)
        shutil.rmtree(source)
        shutil.rmtree(root / f"meta_{count}", ignore_errors=True)
    small, large = min(sizes), max(sizes)
    if 500 in peaks and 2000 in peaks:
        print(f"   2,000 / 500 videos: {peaks[2000] / peaks[500]:.2f}x")
    per_video = (peaks[large] - peaks[small]) / (large - small) * 1024
    print(f"   largest/smallest ({small:,} -> {large:,} videos): {peaks[large] / peaks[small]:.2f}x "
          f"(target: flat), growth {per_video:.1f} KB per video")
    print(f"   load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

if __name__ == "__main__":
    main()
