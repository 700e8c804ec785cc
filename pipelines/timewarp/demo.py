"""The shipped timewarp demo: FineVideo-format metadata written by FineForge plus matching videos
the build renders itself (no downloads).

Six metadata files: four usable videos with 2 to 5 scenes (so shuffles, reversals, TimeWar
questions and the ordering probe all appear), one whose first scene ends after the 105 s cap
(rejected ``too_few_scenes``) and one with null timestamps (rejected ``missing_timestamps``).
Each scene of a demo video is drawn by a different ffmpeg test source with its own tone, so
scenes are visibly and audibly distinct and a shuffled render is easy to check by eye. No source
draws a clock or frame counter (one that did would show the scene's original position in a
shuffled clip), and scenes have uneven lengths, so the rendered variants also exercise key frames
and stream sizes at uneven scene joins.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipelines.core.atomic import write_text
from pipelines.core.video.ffmpeg_bin import atomic_output, run

SOURCES = ("smptebars", "mandelbrot", "cellauto=rule=110:seed=7", "rgbtestsrc", "life=seed=3:mold=10")
SIZE, FPS = "320x240", 25

# video id -> list of (scene title, seconds, [activity descriptions]); activities split the scene.
# Scene lengths are uneven and whole numbers of frames at 25 fps (multiples of 0.04 s).
VIDEOS: dict[str, list[tuple[str, float, list[str]]]] = {
    "demo_kitchen": [
        ("Preparing vegetables", 9, ["A cook rinses tomatoes in the sink", "The cook dices an onion"]),
        ("Cooking on the stove", 5, ["Oil is poured into a hot pan",
                                     "The vegetables are stirred in the pan"]),
        ("Serving", 11, ["The food is spooned onto a plate", "The cook sprinkles herbs over the dish"]),
    ],
    "demo_cycling": [
        ("Getting ready", 4, ["A rider pumps up a bicycle tyre", "The rider fastens a helmet"]),
        ("On the road", 7.6, ["The rider pedals along a coastal road", "A car overtakes the rider"]),
        ("Climbing", 5, ["The rider stands on the pedals up a steep hill", "The rider reaches the summit"]),
        ("Finish", 9, ["The rider coasts into a village square", "The rider drinks from a water bottle"]),
    ],
    "demo_match": [
        ("Warm-up", 3, ["Players jog across the pitch", "A coach sets out cones"]),
        ("Kick-off", 6, ["The referee blows the whistle", "A midfielder passes the ball forward"]),
        ("Attack", 4.4, ["A winger dribbles past a defender", "The winger crosses the ball"]),
        ("Goal", 8, ["A striker heads the ball into the net", "The goalkeeper lies on the grass"]),
        ("Celebration", 5.6, ["Team-mates hug the striker", "Fans wave scarves in the stand"]),
    ],
    "demo_pair": [
        ("Serve", 10, ["A tennis player bounces the ball", "The player serves"]),
        ("Rally", 5.6, ["The opponent returns the serve", "Both players exchange long shots"]),
    ],
}


def _stamp(seconds: float) -> str:
    whole = int(seconds)
    millis = round((seconds - whole) * 1000)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}.{millis:03d}"


def _span(start: float, end: float) -> dict[str, str]:
    return {"start_timestamp": _stamp(start), "end_timestamp": _stamp(end)}


def metadata(video_id: str, scenes: list[tuple[str, float, list[str]]]) -> dict[str, Any]:
    items, position = [], 0.0
    for number, (title, seconds, activities) in enumerate(scenes, start=1):
        step = seconds / len(activities)
        items.append({
            "sceneId": number, "title": title, "timestamps": _span(position, position + seconds),
            "activities": [{"description": text,
                            "timestamp": _span(position + i * step, position + (i + 1) * step)}
                           for i, text in enumerate(activities)],
            "props": [], "mood": {"description": "Calm.", "keyMoments": []}})
        position += seconds
    return {"duration_seconds": position, "resolution": SIZE, "original_video_filename": f"{video_id}.mp4",
            "content_parent_category": "Demo",
            "content_metadata": {"fps": FPS, "title": video_id.replace("_", " "), "scenes": items,
                                 "description": "FineForge demo video."}}


def invalid_examples() -> dict[str, dict[str, Any]]:
    long_intro = metadata("demo_long_intro", [("Long intro", 120, ["A presenter talks"]),
                                              ("Outro", 10, ["Credits roll"])])
    nulls = metadata("demo_null_times", [("Start", 5, ["Something happens"]), ("End", 5, ["It ends"])])
    for scene in nulls["content_metadata"]["scenes"]:
        scene["timestamps"] = {"start_timestamp": None, "end_timestamp": None}
        for activity in scene["activities"]:
            activity["timestamp"] = None
    return {"demo_long_intro": long_intro, "demo_null_times": nulls}


def render_demo_video(path: Path, scenes: list[tuple[str, float, list[str]]]) -> None:
    """One clip whose scenes come from different test sources and tones (deterministic bytes)."""
    args: list[str] = []
    for index, (_, seconds, _) in enumerate(scenes):
        source = SOURCES[index % len(SOURCES)]
        options = f"size={SIZE}:rate={FPS}"
        spec = f"{source}:{options}" if "=" in source else f"{source}={options}"
        tone = f"sine=frequency={220 * (index + 2)}:sample_rate=48000"
        args += ["-t", f"{seconds}", "-f", "lavfi", "-i", spec, "-t", f"{seconds}", "-f", "lavfi", "-i", tone]
    inputs = "".join(f"[{2 * i}:v]format=yuv420p,setsar=1[v{i}];" for i in range(len(scenes)))
    pairs = "".join(f"[v{i}][{2 * i + 1}:a]" for i in range(len(scenes)))
    graph = f"{inputs}{pairs}concat=n={len(scenes)}:v=1:a=1[v][a]"
    with atomic_output(path) as tmp:
        run([*args, "-filter_complex", graph, "-map", "[v]", "-map", "[a]", "-c:v", "libx264",
             "-preset", "veryfast", "-crf", "23", "-threads", "1", "-x264-params", "threads=1",
             "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k", "-fflags", "+bitexact",
             "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1", "-y", str(tmp)],
            subject=path, what="render demo video", timeout=300)


def write_demo_inputs(folder: Path) -> tuple[Path, Path]:
    """Write metadata to ``folder/metadata`` and videos to ``folder/videos``; returns both folders.
    Existing videos are kept (they are deterministic), so repeated demo builds are fast."""
    meta_dir, video_dir = folder / "metadata", folder / "videos"
    examples = {vid: metadata(vid, scenes) for vid, scenes in VIDEOS.items()} | invalid_examples()
    for video_id, data in examples.items():
        write_text(meta_dir / f"{video_id}.json", json.dumps(data, sort_keys=True))
    video_dir.mkdir(parents=True, exist_ok=True)
    for video_id, scenes in VIDEOS.items():
        target = video_dir / f"{video_id}.mp4"
        if not target.exists():
            render_demo_video(target, scenes)
    return meta_dir, video_dir
