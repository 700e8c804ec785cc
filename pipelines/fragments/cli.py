"""``python -m pipelines fragments {build,push}``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines.core.errors import FineForgeError


def register(recipes: argparse._SubParsersAction) -> None:
    from pipelines.cli import add_common_build_arguments, add_push

    fragments = recipes.add_parser("fragments", help="any videos -> fragment and scene questions (SF2T)",
                                   description="Frames sampled from any videos -> frame count, meaning of "
                                               "order, frame comparison, adjust or not, rearrangement; "
                                               "scene-level speed, action and effect.")
    actions = fragments.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = actions.add_parser(
        "build", help="build the dataset (a demo the project renders itself when no --videos)",
        description="Build out/fragments/<version>/: configs sft (train), bench_fragment and bench_scene "
                    "(test, other videos); frames and speed renders under media/; trainer and evaluator "
                    "exports; data card; manifest; rejects; report.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    build.add_argument("--videos", type=Path, help="folder of videos (any container)")
    build.add_argument("--ava-csv", type=Path, help="AVA v2.2 CSV: person presence for meaning-of-order")
    build.add_argument("--labels", type=Path, help="CSV video_id,label: scene-level action questions")
    build.add_argument("--effects", type=Path,
                       help="CSV video_id,answer,wrong_1,wrong_2,wrong_3[,question]: effect questions")
    add_common_build_arguments(build)
    build.add_argument("--frame-counts", default="2,3,4,5,6", help="N values, comma-separated")
    build.add_argument("--ava-time-offset", type=float, default=900.0,
                       help="AVA timestamp of the videos' first frame (900: clips cut at 15:00)")
    build.add_argument("--bench-share", type=float, default=0.5, help="share of videos in the benchmark")
    build.set_defaults(handler=build_handler)
    add_push(actions, "fragments")


def build_handler(args: argparse.Namespace) -> int:
    from pipelines.core.executors import make_executor
    from pipelines.core.summary import format_summary
    from pipelines.fragments.build import FragmentsInputs, build_fragments
    from pipelines.fragments.config import FragmentsParams

    try:
        counts = tuple(int(x) for x in args.frame_counts.split(","))
    except ValueError:
        raise FineForgeError(f"--frame-counts: not a list of numbers: {args.frame_counts!r}") from None
    params = FragmentsParams(seed=args.seed, frame_counts=counts, ava_time_offset=args.ava_time_offset,
                             bench_share=args.bench_share)
    if args.videos is None:
        if args.ava_csv or args.labels or args.effects:
            raise FineForgeError("--ava-csv, --labels and --effects need --videos")
        from pipelines.fragments.demo import write_demo_inputs

        demo = write_demo_inputs(args.out / "demo_inputs" / "fragments")
        inputs = FragmentsInputs(demo["videos"], demo["ava_csv"], demo["labels"], demo["effects"])
        print(f"no --videos given: building the demo input in {demo['videos'].parent}", file=sys.stderr)
    else:
        inputs = FragmentsInputs(args.videos, args.ava_csv, args.labels, args.effects)
    executor = make_executor(args.executor, args.workers, False if args.no_progress else None)
    result = build_fragments(inputs, params, args.out, args.version, executor)
    rows = {c: len(r) for c, r in result.records.items()}
    print(format_summary(f"fragments v{args.version}", result.ledger, {
        "rows": rows, "output": result.build_dir, "time": result.timings.format()}))
    return 0 if result.ledger.reconciles() else 1
