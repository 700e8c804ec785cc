"""The command line of one recipe, built from its :class:`~pipelines.core.recipe.Recipe`:
``build`` (inputs from the recipe, parameters derived from its Params model, the common options),
``push``, and any extra actions the recipe declares."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

from pipelines.core.buildlock import build_lock, require_folder_path
from pipelines.core.cpus import usable_cpus
from pipelines.core.errors import ConfigError
from pipelines.core.executors import make_executor
from pipelines.core.orchestrator import run_build
from pipelines.core.params_cli import add_params_arguments, params_from_args
from pipelines.core.recipe import Recipe
from pipelines.core.registry import load_recipe
from pipelines.core.summary import format_summary
from pipelines.core.validate import BuildOptions, require_version

DEFAULT_OUT = Path("out")


def add_recipe(recipes: argparse._SubParsersAction, recipe: Recipe) -> None:
    spec = recipe.cli
    parser = recipes.add_parser(recipe.name, help=spec.help, description=spec.description)
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = actions.add_parser("build", help="build the dataset (the demo input when no input is given)",
                               description=spec.build_description)
    spec.add_inputs(build)
    add_common_build_arguments(build)
    add_params_arguments(build, recipe.params, spec.flag_names)
    build.set_defaults(handler=build_handler)
    add_push(actions, recipe.name)
    if spec.extra is not None:
        spec.extra(actions)


def add_common_build_arguments(build: argparse.ArgumentParser) -> None:
    build.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output root (default: out)")
    build.add_argument("--version", default="0.1.0", help="dataset version X.Y.Z (default: 0.1.0)")
    build.add_argument("--workers", type=workers_count, default=1,
                       help="worker processes, or 'auto' for one per CPU this process may use "
                            "(default: 1; outputs are the same for any count)")
    build.add_argument("--executor", choices=["local", "ray"], default="local",
                       help="where units run: a local process pool, or Ray (pip install 'fineforge[ray]')")
    build.add_argument("--ray-address", default=None,
                       help="with --executor ray: join this cluster (auto, ray://host:port); "
                            "default: start a local Ray instance with --workers CPUs")
    build.add_argument("--no-progress", action="store_true", help="hide every progress bar")
    build.add_argument("--allow-empty", action="store_true",
                       help="exit 0 even when every input unit was rejected (default: exit 1)")


def workers_count(text: str) -> int:
    """``--workers`` value: a count, or ``auto`` = the CPUs this build may use (core/cpus.py)."""
    if text.strip().lower() == "auto":
        return usable_cpus()
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number or 'auto', not {text!r}") from None


def check_build_options(args: argparse.Namespace) -> None:
    """Validate the shared build options (pydantic, so API callers get the same rules)."""
    BuildOptions(version=args.version, workers=args.workers)
    if args.ray_address and args.executor != "ray":  # else the cluster would be silently unused
        raise ConfigError(f"--ray-address {args.ray_address} needs --executor ray (the build would run "
                          "locally)")


def empty_build_status(counts: Mapping[str, int], ledger: object, allow_empty: bool) -> int:
    """0 when the build kept rows (``counts``: rows per config); else print one loud line and
    return 1 (0 with --allow-empty)."""
    if any(counts.values()):
        return 0
    rejected = {stage: dict(count.rejected) for stage, count in getattr(ledger, "stages", {}).items()
                if count.rejected}
    why = (f"every input unit was rejected, nothing to publish (rejections: {rejected}); see rejects.jsonl"
           if rejected else "the inputs hold no units (nothing to build from), nothing to publish")
    print(f"error: EMPTY BUILD: {why}{'' if allow_empty else '; pass --allow-empty to accept'}",
          file=sys.stderr)
    return 0 if allow_empty else 1


def build_handler(args: argparse.Namespace) -> int:
    recipe = load_recipe(args.recipe)
    check_build_options(args)
    params = params_from_args(recipe.params, args)
    require_folder_path(args.out / recipe.name / args.version)  # before a demo input is written there
    inputs, options = recipe.cli.inputs(args, params)
    executor = make_executor(args.executor, args.workers, False if args.no_progress else None,
                             args.ray_address)
    outcome = run_build(recipe, inputs, params, args.out, args.version, executor, options=options)
    print(format_summary(f"{recipe.name} v{args.version}", outcome.ledger, {
        **recipe.cli.summary(outcome), "output": outcome.build_dir, "time": outcome.timings.format()}))
    status = 0 if outcome.ledger.reconciles() else 1
    return status or empty_build_status(outcome.counts, outcome.ledger, args.allow_empty)


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
    push.set_defaults(handler=push_handler)


def push_handler(args: argparse.Namespace) -> int:
    from pipelines.core.hub import format_plan, plan_push, push_build

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
