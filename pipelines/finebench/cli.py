"""``python -m pipelines finebench {build,push,demo-inputs}``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines.core.errors import FineForgeError


def register(recipes: argparse._SubParsersAction) -> None:
    from pipelines.cli import add_common_build_arguments, add_push

    finebench = recipes.add_parser("finebench", help="AVA v2.2 -> human-centric 4-way MCQs",
                                   description="AVA v2.2 person actions -> fine-grained MCQs.")
    actions = finebench.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = actions.add_parser(
        "build", help="build the dataset (demo input when no --ava-csv is given)",
        description="Build out/finebench/<version>/: parquet shards (configs mcq, subset), exports "
                    "(VLMEvalKit TSV + dataset class, lmms-eval task), data card, manifest, rejects, "
                    "report. Without --ava-csv, builds FineForge's own demo input.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    build.add_argument("--ava-csv", type=Path, help="AVA v2.2 annotation CSV (no header)")
    build.add_argument("--labels", type=Path, help="label map ava_action_list_v2.2.pbtxt")
    build.add_argument("--excluded", type=Path, help="excluded timestamps CSV (video_id,timestamp)")
    build.add_argument("--videos", type=Path,
                       help="folder of <video_id>.mp4/.mkv/.webm: extract every needed frame once")
    add_common_build_arguments(build)
    build.add_argument("--similarity-map", default="curated", help="similarity_maps/ava_<name>.yaml")
    build.add_argument("--frames-mode", choices=["window", "streaming"], default="window",
                       help="target frame in the middle (window) or last (streaming)")
    build.add_argument("--num-frames", type=int, default=5, help="frames per question")
    build.add_argument("--stride", type=float, default=1.0, help="seconds between frames")
    build.add_argument("--min-center-gap", type=float, default=0.03,
                       help="persons closer than this (fraction of width) are not ordered")
    build.add_argument("--max-answer-share", type=float, default=0.25,
                       help="cap on one answer's share of its category (1 = keep all); "
                            "keeps blind text-only baselines near chance")
    build.set_defaults(handler=build_handler)
    add_push(actions, "finebench")
    demo = actions.add_parser("demo-inputs", help="write the demo AVA-format input files to a folder")
    demo.add_argument("folder", type=Path)
    demo.set_defaults(handler=lambda args: print(write_demo(args.folder)) or 0)


def write_demo(folder: Path) -> Path:
    from pipelines.finebench.demo import write_demo_inputs

    return write_demo_inputs(folder).annotations


def build_handler(args: argparse.Namespace) -> int:
    from pipelines.cli import check_build_options, empty_build_status
    from pipelines.core.executors import make_executor
    from pipelines.core.summary import format_summary
    from pipelines.finebench.build import FinebenchInputs, build_finebench
    from pipelines.finebench.config import FinebenchParams, FrameWindow
    from pipelines.finebench.demo import write_demo_inputs

    check_build_options(args)
    params = FinebenchParams(seed=args.seed, similarity_map=args.similarity_map,
                             min_center_gap=args.min_center_gap, max_answer_share=args.max_answer_share,
                             frames=FrameWindow(mode=args.frames_mode, num_frames=args.num_frames,
                                                stride=args.stride))
    if args.ava_csv is None:
        if args.labels or args.excluded or args.videos:
            raise FineForgeError("--labels/--excluded/--videos need --ava-csv")
        inputs = write_demo_inputs(args.out / "demo_inputs" / "finebench")
        print(f"no --ava-csv given: building the demo input in {inputs.annotations.parent}",
              file=sys.stderr)
    else:
        if args.labels is None:
            raise FineForgeError("--ava-csv needs --labels (ava_action_list_v2.2.pbtxt)")
        inputs = FinebenchInputs(args.ava_csv, args.labels, args.excluded, args.videos)
    executor = make_executor(args.executor, args.workers, False if args.no_progress else None)
    result = build_finebench(inputs, params, args.out, args.version, executor)
    stats = result.stats
    print(format_summary(f"finebench v{args.version}", result.ledger, {
        "questions": f"{stats['questions']} ({stats['subset_questions']} in subset)",
        "answer letters": stats["letters"]["counts"],
        "blind baselines": {k: round(v, 3) for k, v in stats["blind_baselines"].items()},
        "output": result.build_dir,
        "time": result.timings.format(),
    }))
    status = 0 if result.ledger.reconciles() else 1
    return status or empty_build_status(result.table.num_rows, result.ledger, args.allow_empty)
