"""Demo inputs of the TPO tasks: an AVA-format CSV and FineVideo-format scene files (see ``demo``).

Nothing here is random: boxes follow fixed straight paths so tests can recompute every target.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pipelines.core.atomic import write_text
from pipelines.revos.demo import write_revos

AVA_VIDEO = "demo_ava_plaza"
AVA_STAMPS = tuple(range(902, 914))
# person id -> (x1 at the first keyframe, x1 step per second, y1, seconds in view, action ids)
PEOPLE = {
    1: (0.05, 0.02, 0.20, tuple(range(902, 914)), (14, 80)),   # walks right all along
    2: (0.45, 0.0, 0.15, (*range(902, 906), *range(909, 914)), (12,)),  # leaves, comes back
    3: (0.47, 0.0, 0.25, tuple(range(902, 914)), (12, 79)),    # stands next to person 2: ambiguous
    4: (0.80, 0.0, 0.10, (913,), (12,)),                          # one keyframe: nothing to track
}
SCENES = {  # FineVideo-format demo: video -> (duration, [(title, start, end) or (title, None, None)])
    "demo_street": (3.8, [("A red ball rolls into the street", 0.0, 1.2),
                          ("Ball and square cross paths", 1.2, 3.0),
                          ("The street empties", 3.0, 3.8)]),
    "demo_plaza": (30.0, [("People gather in the plaza", 0.0, 9.5),
                          ("A street musician starts playing", 9.5, 21.0),
                          ("A scene nobody timed", None, None),
                          ("The crowd walks away", 21.0, 30.0)]),
}


@dataclass(frozen=True)
class DemoInputs:
    revos: Path
    ava_csv: Path
    finevideo: Path


def ava_box(person: int, stamp: int) -> tuple[float, float, float, float]:
    x1, step, y1, _, _ = PEOPLE[person]
    left = round(x1 + step * (stamp - AVA_STAMPS[0]), 3)
    return (left, y1, round(left + 0.12, 3), round(y1 + 0.6, 3))


def ava_lines() -> list[str]:
    lines = []
    for stamp in AVA_STAMPS:
        for person, (_, _, _, seen, actions) in PEOPLE.items():
            if stamp in seen:
                box = ",".join(f"{v:.3f}" for v in ava_box(person, stamp))
                lines += [f"{AVA_VIDEO},{stamp},{box},{action},{person}" for action in actions]
    return [*lines, f"{AVA_VIDEO},0913,0.1,0.1,0.2,0.2,12,x9"]  # malformed person id: rejected


def _stamp(seconds: float) -> str:
    whole = int(seconds)
    return f"00:{whole // 60:02d}:{whole % 60:02d}.{round((seconds - whole) * 1000):03d}"


def finevideo_json(video_id: str) -> dict:
    duration, scenes = SCENES[video_id]
    return {"original_video_filename": f"{video_id}.mp4", "duration_seconds": duration,
            "content_metadata": {"title": video_id, "fps": 30, "scenes": [
                {"sceneId": i + 1, "title": title, "activities": [],
                 "timestamps": {"start_timestamp": None if start is None else _stamp(start),
                                "end_timestamp": None if end is None else _stamp(end)}}
                for i, (title, start, end) in enumerate(scenes)]}}


def write_demo_inputs(root: Path) -> DemoInputs:
    """Write every demo input under ``root`` (idempotent: same bytes each time)."""
    write_revos(root / "revos")
    write_text(root / "ava" / "demo_ava.csv", "\n".join(ava_lines()) + "\n")
    for video_id in SCENES:
        write_text(root / "finevideo" / f"{video_id}.json", json.dumps(finevideo_json(video_id)) + "\n")
    return DemoInputs(root / "revos", root / "ava" / "demo_ava.csv", root / "finevideo")
