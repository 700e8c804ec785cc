"""Command line: ``python -m pipelines <recipe> <action> [options]`` (see ``--help``).

Errors in inputs or parameters are printed as one line (``error: <file>:<line>: <problem>``) with
exit status 2; no traceback is shown for them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from pipelines.core.errors import FineForgeError

DEFAULT_OUT = Path("out")


def _add_push(sub: argparse._SubParsersAction, recipe: str) -> None:
    push = sub.add_parser("push", help=f"publish a {recipe} build folder to the Hugging Face Hub",
                          description="Upload out/<recipe>/<version>/ as ONE commit and tag it "
                                      "v<version>. Refuses if the tag exists. The token comes from "
                                      "HF_TOKEN or `hf auth login` and is never printed.")
    push.add_argument("--hub-repo", required=True, help="dataset repo id, e.g. my-org/finebench")
    push.add_argument("--version", required=True, help="X.Y.Z: the build to push and the tag to make")
    push.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output root (default: out)")
    push.add_argument("--dry-run", action="store_true", help="print the plan, contact nobody")
    push.add_argument("--private", action="store_true", help="create the repo as private")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipelines",
                                     description="FineForge: fine-grained video-understanding datasets "
                                                 "from raw annotations.")
    recipes = parser.add_subparsers(dest="recipe", required=True, metavar="RECIPE")
    finebench = recipes.add_parser("finebench", help="AVA v2.2 -> human-centric 4-way MCQs",
                                   description="AVA v2.2 person actions -> fine-grained MCQs.")
    actions = finebench.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = actions.add_parser(
        "build", help="build the dataset (demo input when no --ava-csv is given)",
        description="Build out/finebench/<version>/: parquet shards (configs mcq, subset), exports "
                    "(VLMEvalKit TSV, lmms-eval task), data card, manifest, rejects, report. "
                    "Without --ava-csv, builds FineForge's own demo input.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    build.add_argument("--ava-csv", type=Path, help="AVA v2.2 annotation CSV (no header)")
    build.add_argument("--labels", type=Path, help="label map ava_action_list_v2.2.pbtxt")
    build.add_argument("--excluded", type=Path, help="excluded timestamps CSV (video_id,timestamp)")
    build.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output root")
    build.add_argument("--version", default="0.1.0", help="dataset version X.Y.Z")
    build.add_argument("--seed", type=int, default=0, help="random seed")
    build.add_argument("--workers", type=int, default=1, help="worker processes")
    build.add_argument("--executor", choices=["local"], default="local", help="where work runs")
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
    build.add_argument("--no-progress", action="store_true", help="hide progress bars")
    _add_push(actions, "finebench")
    demo = actions.add_parser("demo-inputs", help="write the demo AVA-format input files to a folder")
    demo.add_argument("folder", type=Path)
    return parser


def _finebench_build(args: argparse.Namespace) -> int:
    from pipelines.core.executors import LocalExecutor
    from pipelines.core.summary import format_summary
    from pipelines.finebench.build import FinebenchInputs, build_finebench
    from pipelines.finebench.config import FinebenchParams, FrameWindow
    from pipelines.finebench.demo import write_demo_inputs

    params = FinebenchParams(seed=args.seed, similarity_map=args.similarity_map,
                             min_center_gap=args.min_center_gap,
                             max_answer_share=args.max_answer_share,
                             frames=FrameWindow(mode=args.frames_mode, num_frames=args.num_frames,
                                                stride=args.stride))
    if args.ava_csv is None:
        if args.labels or args.excluded:
            raise FineForgeError("--labels/--excluded need --ava-csv")
        inputs = write_demo_inputs(args.out / "demo_inputs" / "finebench")
        print(f"no --ava-csv given: building the demo input in {inputs.annotations.parent}",
              file=sys.stderr)
    else:
        if args.labels is None:
            raise FineForgeError("--ava-csv needs --labels (ava_action_list_v2.2.pbtxt)")
        inputs = FinebenchInputs(args.ava_csv, args.labels, args.excluded)
    executor = LocalExecutor(args.workers, progress=False if args.no_progress else None)
    result = build_finebench(inputs, params, args.out, args.version, executor)
    stats = result.stats
    print(format_summary(f"finebench v{args.version}", result.ledger, {
        "questions": f"{stats['questions']} ({stats['subset_questions']} in subset)",
        "answer letters": stats["letters"]["counts"],
        "blind baselines": {k: round(v, 3) for k, v in stats["blind_baselines"].items()},
        "output": result.build_dir,
        "time": result.timings.format(),
    }))
    return 0 if result.ledger.reconciles() else 1


def _push(args: argparse.Namespace) -> int:
    from pipelines.core.hub import format_plan, plan_push, push_build

    plan = plan_push(args.out / args.recipe / args.version, args.hub_repo, args.version)
    print(format_plan(plan))
    if args.dry_run:
        print("dry run: nothing was sent")
        return 0
    commit = push_build(plan, private=args.private)
    print(f"pushed {args.hub_repo} commit {commit}, tag {plan.tag}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.action == "build":
            return _finebench_build(args)
        if args.action == "push":
            return _push(args)
        if args.action == "demo-inputs":
            from pipelines.finebench.demo import write_demo_inputs
            print(write_demo_inputs(args.folder).annotations)
            return 0
    except FineForgeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        first = exc.errors()[0]
        print(f"error: invalid parameter {'.'.join(map(str, first['loc']))}: {first['msg']}",
              file=sys.stderr)
        return 2
    return 2
