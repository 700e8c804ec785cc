"""The shipped fragments demo: videos FineForge renders itself (lavfi sources, no downloads), an
AVA-format presence CSV, action labels and one effect annotation.

- ``demo_scenes``: five 2-second scenes from different test sources (content changes visibly).
- ``demo_walker`` / ``demo_walker_back``: a black figure crosses a busy background from left to
  right / right to left: off screen at 2-3 s, fully in view at 4-9 s, gone at 10-11 s (the AVA
  CSV says so, in AVA's movie seconds 900 + t).
- ``demo_still``: a grey frame with faint noise: too few distinguishable frames for any N, so its
  (video, N) units are rejected with that reason (speed renders still work on it).
- ``demo_empty.mp4``: a zero-length file, rejected as a bad video while the rest builds.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from pipelines.core.atomic import write_bytes, write_text
from pipelines.core.video.ffmpeg_bin import atomic_output, run

SIZE, FPS, WIDTH, HEIGHT = "320x240", 25, 320, 240
FIGURE = (24, 80, 80)  # width, height, top (px)
AVA_OFFSET = 900
SCENES = ("testsrc2", "smptebars", "mandelbrot", "rgbtestsrc", "cellauto=rule=110:seed=7")
LABELS = {"demo_scenes": "watch (e.g., TV)", "demo_walker": "walk", "demo_walker_back": "walk",
          "demo_still": "stand"}
WALKERS = {"demo_walker": False, "demo_walker_back": True}  # video id -> moves right to left
EFFECT = ("demo_walker", "The figure ends up out of the picture on the right",
          "The figure ends up out of the picture on the left", "The figure stops in the middle",
          "The figure falls down")


def walker_x(t: float, backwards: bool = False) -> float:
    """Left edge of the figure (px) at ``t`` seconds."""
    x = 55.0 * (t - 4.0) + 8.0
    return WIDTH - FIGURE[0] - x if backwards else x


def walker_expression(backwards: bool) -> str:
    return f"{WIDTH - FIGURE[0]}-(55*(t-4)+8)" if backwards else "55*(t-4)+8"


def walker_rows() -> list[str]:
    """AVA rows (video_id, timestamp, x1, y1, x2, y2, action_id, person_id) at every whole second
    a figure is entirely in view; action 14 is AVA's "walk"."""
    width, height, top = FIGURE
    rows = []
    for video_id, backwards in WALKERS.items():
        for t in range(0, 12):
            x = walker_x(t, backwards)
            if x >= 0 and x + width <= WIDTH:
                rows.append(f"{video_id},{AVA_OFFSET + t},{x / WIDTH:.3f},{top / HEIGHT:.3f},"
                            f"{(x + width) / WIDTH:.3f},{(top + height) / HEIGHT:.3f},14,1")
    return rows


def _encode(path: Path, inputs: list[str], graph: str, seconds: float) -> None:
    with atomic_output(path) as tmp:
        run([*inputs, "-filter_complex", graph, "-map", "[v]", "-t", f"{seconds}", "-c:v", "libx264",
             "-preset", "veryfast", "-crf", "23", "-threads", "1", "-x264-params", "threads=1",
             "-pix_fmt", "yuv420p", "-an", "-fflags", "+bitexact", "-flags:v", "+bitexact",
             "-map_metadata", "-1", "-y", str(tmp)], subject=path, what="render demo video", timeout=300)


def render_scenes(path: Path) -> None:
    inputs: list[str] = []
    for source in SCENES:
        spec = f"{source}:size={SIZE}:rate={FPS}" if "=" in source else f"{source}=size={SIZE}:rate={FPS}"
        inputs += ["-t", "2", "-f", "lavfi", "-i", spec]
    labels = "".join(f"[{i}:v]format=yuv420p,setsar=1[s{i}];" for i in range(len(SCENES)))
    chain = "".join(f"[s{i}]" for i in range(len(SCENES)))
    _encode(path, inputs, f"{labels}{chain}concat=n={len(SCENES)}:v=1:a=0[v]", 10)


def render_walker(path: Path, backwards: bool) -> None:
    width, height, top = FIGURE
    inputs = ["-f", "lavfi", "-i", f"testsrc2=size={SIZE}:rate={FPS}:d=12",
              "-f", "lavfi", "-i", f"color=c=black:size={width}x{height}:rate={FPS}:d=12"]
    x = walker_expression(backwards)
    _encode(path, inputs, f"[0:v][1:v]overlay=x='{x}':y={top}:eval=frame,format=yuv420p[v]", 12)


def render_still(path: Path) -> None:
    inputs = ["-f", "lavfi", "-i", f"color=c=0x808080:size={SIZE}:rate={FPS}:d=8"]
    _encode(path, inputs, "[0:v]noise=alls=3:allf=t,format=yuv420p[v]", 8)


def write_demo_inputs(folder: Path) -> dict[str, Path]:
    """Write the demo under ``folder``; returns {"videos", "ava_csv", "labels", "effects"}. Videos
    already there are kept (they are deterministic), so repeated demo builds are fast."""
    videos = folder / "videos"
    videos.mkdir(parents=True, exist_ok=True)
    renders: dict[str, Callable[[Path], None]] = {"demo_scenes": render_scenes, "demo_still": render_still}
    renders |= {v: partial(render_walker, backwards=b) for v, b in WALKERS.items()}
    for name, render in renders.items():
        if not (videos / f"{name}.mp4").exists():
            render(videos / f"{name}.mp4")
    write_bytes(videos / "demo_empty.mp4", b"")
    ava = folder / "presence_ava.csv"
    write_text(ava, "\n".join(walker_rows()) + "\n")
    labels = folder / "labels.csv"
    write_text(labels, "video_id,label\n" + "".join(f'{v},"{a}"\n' for v, a in LABELS.items()))
    effects = folder / "effects.csv"
    write_text(effects, "video_id,answer,wrong_1,wrong_2,wrong_3\n" + ",".join(EFFECT) + "\n")
    return {"videos": videos, "ava_csv": ava, "labels": labels, "effects": effects}
