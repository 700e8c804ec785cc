"""``python -m pipelines revos {build,push}``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines.core.errors import FineForgeError


def register(recipes: argparse._SubParsersAction) -> None:
    from pipelines.cli import add_common_build_arguments, add_push
    from pipelines.core.llm import add_llm_arguments

    revos = recipes.add_parser("revos", help="referring masks -> Pix*QA and TPO-style task instructions",
                               description="ReVOS / MeViS / Ref-YouTube-VOS masks, AVA boxes and FineVideo "
                                           "scenes -> pixel + temporal referring QA and textualised "
                                           "vision-task instructions.")
    actions = revos.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = actions.add_parser(
        "build", help="build the dataset (the drawn demo input when no input is given)",
        description="Build out/revos/<version>/: configs pixtrqa, pixhqa, pixrqa, when_mcq, "
                    "temporal_grounding, tracking, spatial_grounding, referring_segmentation; exports; "
                    "data card; manifest; rejects; report with mask outlines.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    build.add_argument("--revos", type=Path, help="ReVOS root (meta_expressions_*_.json, mask_dict.json, "
                                                  "JPEGImages/)")
    build.add_argument("--mevis", type=Path, help="MeViS root (meta_expressions.json, mask_dict.json)")
    build.add_argument("--refytvos", type=Path, help="Ref-YouTube-VOS meta_expressions.json or its folder "
                                                     "(Annotations/ beside it gives masks)")
    build.add_argument("--ava-csv", type=Path, help="AVA v2.2 annotation CSV (tracking, spatial grounding)")
    build.add_argument("--finevideo", type=Path, help="folder of FineVideo JSON files (temporal grounding)")
    add_common_build_arguments(build)
    build.add_argument("--frame-fps", type=float, default=30.0,
                       help="frame names are frame numbers at this rate")
    build.add_argument("--region-token", default="<region>")
    build.add_argument("--seg-token", default="[SEG]")
    build.add_argument("--time-token-format", default="<TEMP-{:02d}>",
                       help="str.format pattern of a time bin")
    add_llm_arguments(build)
    build.set_defaults(handler=build_handler)
    add_push(actions, "revos")


def build_handler(args: argparse.Namespace) -> int:
    from pipelines.core.executors import make_executor
    from pipelines.core.llm import config_from_args
    from pipelines.core.summary import format_summary
    from pipelines.revos.build import build_revos
    from pipelines.revos.config import RevosParams
    from pipelines.revos.convention import Tokens
    from pipelines.revos.plan import RevosInputs

    tokens = Tokens(region=args.region_token, seg=args.seg_token, time_format=args.time_token_format)
    try:
        tokens.time_format.format(0)
    except (IndexError, KeyError, ValueError) as exc:
        raise FineForgeError(f"--time-token-format {tokens.time_format!r} is not a format pattern ({exc})"
                             ) from None
    params = RevosParams(seed=args.seed, frame_fps=args.frame_fps, tokens=tokens, llm=args.llm)
    inputs = RevosInputs(args.revos, args.mevis, args.refytvos, args.ava_csv, args.finevideo)
    if not inputs.given():
        from pipelines.revos.demo_tpo import write_demo_inputs

        demo = write_demo_inputs(args.out / "demo_inputs" / "revos")
        inputs = RevosInputs(revos=demo.revos, ava_csv=demo.ava_csv, finevideo=demo.finevideo)
        print(f"no input given: building the drawn demo in {demo.revos.parent}", file=sys.stderr)
    executor = make_executor(args.executor, args.workers, False if args.no_progress else None)
    llm = config_from_args(args) if args.llm != "offline" else None
    result = build_revos(inputs, params, args.out, args.version, executor, llm)
    print(format_summary(f"revos v{args.version}", result.ledger, {
        "rows": result.stats["rows"], "output": result.build_dir, "time": result.timings.format()}))
    return 0 if result.ledger.reconciles() else 1
