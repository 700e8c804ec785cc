"""Scale-out figures, measured side by side in one run (needs the Ray extra).

1. Per-unit overhead: a trivial unit over 2,000 items on the local pool (1 and 2 workers) and on a
   local Ray instance (2 CPUs).
2. Rendering speed-up: the render pass of a timewarp build over the demo videos, each twice under
   another id (8 videos), with 1 and 2 workers, locally and on Ray (x264 runs with the profile's
   fixed thread count, the same in every run: the bytes must not depend on the core count).
3. Driver memory: peak RSS of a metadata-only timewarp build as a synthetic FineVideo-shaped input
   grows from 500 to 4,000 videos (each build in its own process; ``ru_maxrss`` of that process),
   the ratio largest/smallest and the growth per video.

Run: ``make bench-scale`` (or ``.venv/bin/python benchmarks/scale.py``; ``--memory-only`` runs
section 3 alone, without Ray).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipelines.core.executors import LocalExecutor
from pipelines.core.ray_executor import RayExecutor
from pipelines.core.rng import UnitRng
from pipelines.timewarp.demo import metadata, write_demo_inputs

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


def doubled_demo(folder: Path) -> tuple[Path, Path]:
    """The timewarp demo's metadata and videos, each video also under a second id."""
    meta_dir, video_dir = write_demo_inputs(folder)
    for path in sorted(meta_dir.glob("*.json")):
        data = json.loads(path.read_text())
        twin = path.stem + "_twin"
        data["original_video_filename"] = f"{twin}.mp4"
        (meta_dir / f"{twin}.json").write_text(json.dumps(data))
        if (video_dir / f"{path.stem}.mp4").exists():
            (video_dir / f"{twin}.mp4").write_bytes((video_dir / f"{path.stem}.mp4").read_bytes())
    return meta_dir, video_dir


def run_cli(args: list[str]) -> tuple[float, float, dict[str, float]]:
    """Wall seconds, peak RSS (MB) and the stage times printed by one ``python -m pipelines``."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "pipelines", *args, "--no-progress"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory-only", action="store_true",
                        help="run only section 3 (driver memory; no Ray needed)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        if args.memory_only:
            driver_memory(root)
            return
        print("1) per-unit overhead, trivial unit, 2,000 units (microseconds per unit)")
        for name, micros in unit_overhead().items():
            print(f"   {name:14s} {micros:9.1f}")

        print("2) render pass of 8 demo videos (seconds; speed-up of 2 workers over 1)")
        meta_dir, video_dir = doubled_demo(root / "demo")
        for executor in ("local", "ray"):
            times = {}
            for workers in (1, 2):
                out = root / f"render_{executor}_{workers}"
                _, _, stages = run_cli(["timewarp", "build", "--finevideo", str(meta_dir), "--videos",
                                        str(video_dir), "--out", str(out), "--workers", str(workers),
                                        "--executor", executor])
                times[workers] = stages["render"]
            print(f"   {executor:6s} 1 worker {times[1]:6.1f} s   2 workers {times[2]:6.1f} s   "
                  f"speed-up {times[1] / times[2]:.2f}x (target >= 1.6x)")

        driver_memory(root)


def driver_memory(root: Path, sizes: tuple[int, ...] = (500, 1000, 2000, 4000)) -> None:
    """Section 3: peak RSS per input size, the largest/smallest ratio and the growth per video."""
    print("3) driver peak RSS of a metadata-only timewarp build (MB)")
    print(f"   load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    peaks = {}
    for count in sizes:
        source = synthetic_finevideo(root / f"finevideo_{count}", count)
        seconds, peaks[count], _ = run_cli(["timewarp", "build", "--finevideo", str(source),
                                            "--out", str(root / f"meta_{count}")])
        print(f"   {count:5d} videos  {peaks[count]:7.1f} MB  ({seconds:.1f} s)")
    small, large = min(sizes), max(sizes)
    per_video = (peaks[large] - peaks[small]) / (large - small) * 1024
    print(f"   largest/smallest ({small:,} -> {large:,} videos): {peaks[large] / peaks[small]:.2f}x "
          f"(target: flat), growth {per_video:.1f} KB per video")
    print(f"   load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

if __name__ == "__main__":
    main()
