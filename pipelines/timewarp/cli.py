"""``python -m pipelines timewarp {build,push}``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines.core.errors import FineForgeError


def register(recipes: argparse._SubParsersAction) -> None:
    from pipelines.cli import add_common_build_arguments, add_push

    timewarp = recipes.add_parser("timewarp", help="FineVideo scenes -> temporal QA, DPO/KTO, TimeWar",
                                  description="FineVideo scene metadata -> temporal preference data "
                                              "and the TimeWar benchmark.")
    actions = timewarp.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = actions.add_parser(
        "build", help="build the dataset (demo input with rendered videos when no --finevideo)",
        description="Build out/timewarp/<version>/: configs sft, dpo, kto, timewar_normal, "
                    "timewar_shuffled, implicit, ordering_probe; trainer and evaluator exports; data "
                    "card; manifest; rejects; report. With --videos, also renders normal/shuffled/"
                    "reversed clips and trainer frame folders under media/.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    build.add_argument("--finevideo", type=Path,
                       help="folder of FineVideo JSON metadata files, or of parquet shards (json+mp4)")
    build.add_argument("--videos", type=Path, help="folder with <video_id>.mp4 files to render from")
    add_common_build_arguments(build)
    build.add_argument("--cap-seconds", type=float, default=105.0, help="keep scenes ending by this time")
    build.add_argument("--qa-per-video", type=int, default=3, help="temporal questions per video")
    build.add_argument("--mcq-per-video", type=int, default=3, help="TimeWar questions per video")
    from pipelines.core.llm import add_llm_arguments

    add_llm_arguments(build)
    build.set_defaults(handler=build_handler)
    add_push(actions, "timewarp")


def build_handler(args: argparse.Namespace) -> int:
    from pipelines.cli import check_build_options, empty_build_status
    from pipelines.core.executors import make_executor
    from pipelines.core.llm import config_from_args
    from pipelines.core.summary import format_summary
    from pipelines.timewarp.build import build_timewarp
    from pipelines.timewarp.config import TimewarpParams

    check_build_options(args)
    params = TimewarpParams(seed=args.seed, cap_seconds=args.cap_seconds, qa_per_video=args.qa_per_video,
                            mcq_per_video=args.mcq_per_video, llm=args.llm)
    source, videos = args.finevideo, args.videos
    if source is None:
        if videos is not None:
            raise FineForgeError("--videos needs --finevideo")
        from pipelines.timewarp.demo import write_demo_inputs

        source, videos = write_demo_inputs(args.out / "demo_inputs" / "timewarp")
        print(f"no --finevideo given: building the demo input in {source.parent}", file=sys.stderr)
    executor = make_executor(args.executor, args.workers, False if args.no_progress else None)
    llm = config_from_args(args, progress=not args.no_progress) if args.llm != "offline" else None
    result = build_timewarp(source, params, args.out, args.version, executor, videos, llm)
    print(format_summary(f"timewarp v{args.version}", result.ledger, {
        "rows": result.stats["rows"], "output": result.build_dir, "time": result.timings.format()}))
    status = 0 if result.ledger.reconciles() else 1
    return status or empty_build_status(sum(result.stats["rows"].values()), result.ledger,
                                        args.allow_empty)
