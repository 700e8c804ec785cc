"""Command line: ``python -m pipelines <recipe> <action> [options]`` (see ``--help``).

Each recipe registers its own subcommands (``pipelines/<recipe>/cli.py``). Errors in inputs,
parameters or outputs are printed as one line (``error: <file>:<line>: <problem>``) with exit
status 2; no traceback is shown for them. Every printed line passes through the redaction layer.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from pipelines.core.errors import FineForgeError, OutputError, is_output_fault
from pipelines.core.redact import install_log_redaction, redact

DEFAULT_OUT = Path("out")


def add_push(actions: argparse._SubParsersAction, recipe: str) -> None:
    push = actions.add_parser("push", help=f"publish a {recipe} build folder to the Hugging Face Hub",
                              description="Upload out/<recipe>/<version>/ as ONE commit and tag it "
                                          "v<version>. Refuses if the tag exists. The token comes from "
                                          "HF_TOKEN or `hf auth login` and is never printed.")
    push.add_argument("--hub-repo", required=True, help="dataset repo id, e.g. my-org/" + recipe)
    push.add_argument("--version", required=True, help="X.Y.Z: the build to push and the tag to make")
    push.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output root (default: out)")
    push.add_argument("--dry-run", action="store_true", help="print the plan, contact nobody")
    push.add_argument("--private", action="store_true", help="create the repo as private")
    push.set_defaults(handler=push_handler, recipe=recipe)


def push_handler(args: argparse.Namespace) -> int:
    from pipelines.core.buildlock import build_lock
    from pipelines.core.hub import format_plan, plan_push, push_build
    from pipelines.core.validate import require_version

    build_dir = args.out / args.recipe / require_version(args.version)
    with build_lock(build_dir, "push", create=False):  # no build may run while we read the folder
        plan = plan_push(build_dir, args.hub_repo, args.version)
        print(format_plan(plan))
        if args.dry_run:
            print("dry run: nothing was sent")
            return 0
        commit = push_build(plan, private=args.private)
    print(f"pushed {args.hub_repo} commit {commit}, tag {plan.tag}")
    return 0


def add_common_build_arguments(build: argparse.ArgumentParser) -> None:
    build.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output root")
    build.add_argument("--version", default="0.1.0", help="dataset version X.Y.Z")
    build.add_argument("--seed", type=int, default=0, help="random seed")
    build.add_argument("--workers", type=int, default=1, help="worker processes")
    build.add_argument("--executor", choices=["local"], default="local", help="where work runs")
    build.add_argument("--no-progress", action="store_true", help="hide every progress bar")
    build.add_argument("--allow-empty", action="store_true",
                       help="exit 0 even when every input unit was rejected (default: exit 1)")


def check_build_options(args: argparse.Namespace) -> None:
    """Validate the shared build options (pydantic, so API callers get the same rules)."""
    from pipelines.core.validate import BuildOptions

    BuildOptions(version=args.version, workers=args.workers, seed=args.seed)


def empty_build_status(kept: int, ledger: object, allow_empty: bool) -> int:
    """0 when the build kept something; else print a loud line and return 1 (0 with --allow-empty)."""
    if kept:
        return 0
    rejected = {stage: dict(count.rejected) for stage, count in getattr(ledger, "stages", {}).items()
                if count.rejected}
    print(f"error: EMPTY BUILD: every input unit was rejected, nothing to publish (rejections: "
          f"{rejected}); see rejects.jsonl{'' if allow_empty else '; pass --allow-empty to accept'}",
          file=sys.stderr)
    return 0 if allow_empty else 1


def build_parser() -> argparse.ArgumentParser:
    from pipelines.finebench.cli import register as register_finebench
    from pipelines.timewarp.cli import register as register_timewarp

    parser = argparse.ArgumentParser(prog="python -m pipelines",
                                     description="FineForge: fine-grained video-understanding datasets "
                                                 "from raw annotations.")
    recipes = parser.add_subparsers(dest="recipe", required=True, metavar="RECIPE")
    register_finebench(recipes)
    register_timewarp(recipes)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    install_log_redaction()
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except FineForgeError as exc:
        return _fail(str(exc))
    except ValidationError as exc:
        first = exc.errors()[0]
        return _fail(f"invalid parameter {'.'.join(map(str, first['loc'])) or 'value'}: {first['msg']}")
    except OSError as exc:  # a write refused below the atomic writers (e.g. a library's own file)
        if is_output_fault(exc):
            return _fail(str(OutputError.from_os_error(exc.filename or "output", exc)))
        raise


def _fail(message: str) -> int:
    print(f"error: {redact(' '.join(message.split()))}", file=sys.stderr)
    return 2
