"""fragments' command line beyond the flags derived from :class:`FragmentsParams`: the inputs,
the demo fallback and the summary lines."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pipelines.core.errors import FineForgeError
from pipelines.core.recipe import CliSpec
from pipelines.fragments.demo import write_demo_inputs
from pipelines.fragments.inputs import FragmentsInputs


def add_inputs(build: argparse.ArgumentParser) -> None:
    build.add_argument("--videos", type=Path, help="folder of videos (any container)")
    build.add_argument("--ava-csv", type=Path, help="AVA v2.2 CSV: person presence for meaning-of-order")
    build.add_argument("--masks", type=Path,
                       help="ReVOS / MeViS root (meta_expressions*.json + mask_dict.json): object "
                            "presence for meaning-of-order, from non-empty masks")
    build.add_argument("--labels", type=Path, help="CSV video_id,label: scene-level action questions")
    build.add_argument("--effects", type=Path,
                       help="CSV video_id,answer,wrong_1,wrong_2,wrong_3[,question]: effect questions")


def demo_inputs(folder: Path) -> FragmentsInputs:
    demo = write_demo_inputs(folder)
    return FragmentsInputs(demo["videos"], demo["ava_csv"], demo["labels"], demo["effects"])


def inputs_from_args(args: argparse.Namespace, _params: Any) -> tuple[FragmentsInputs, dict[str, Any]]:
    """The inputs named on the command line, or the demo rendered under ``--out``."""
    if args.videos is None:
        if args.ava_csv or args.masks or args.labels or args.effects:
            raise FineForgeError("--ava-csv, --masks, --labels and --effects need --videos")
        inputs = demo_inputs(args.out / "demo_inputs" / "fragments")
        print(f"no --videos given: building the demo input in {inputs.videos.parent}", file=sys.stderr)
        return inputs, {}
    return FragmentsInputs(args.videos, args.ava_csv, args.labels, args.effects, args.masks), {}


def summary(outcome: Any) -> dict[str, Any]:
    return {"rows": dict(outcome.counts)}


CLI = CliSpec(
    help="any videos -> fragment and scene questions (SF2T)",
    description="Frames sampled from any videos -> frame count, meaning of order, frame comparison, "
                "adjust or not, rearrangement; scene-level speed, action and effect.",
    build_description="Build out/fragments/<version>/: configs sft (train), bench_fragment and "
                      "bench_scene (test, other videos); frames and speed renders under media/; trainer "
                      "and evaluator exports; data card; manifest; rejects; report. Without --videos, "
                      "a demo the project renders itself.",
    add_inputs=add_inputs, inputs=inputs_from_args, summary=summary)
