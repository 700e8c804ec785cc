"""timewarp's command line beyond the flags derived from :class:`TimewarpParams`: the inputs,
the LLM back-end options, the demo fallback and the summary lines."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pipelines.core.errors import FineForgeError
from pipelines.core.llm import add_llm_arguments, recipe_config
from pipelines.core.recipe import CliSpec
from pipelines.timewarp.demo import write_demo_inputs
from pipelines.timewarp.inputs import TimewarpInputs


def add_inputs(build: argparse.ArgumentParser) -> None:
    build.add_argument("--finevideo", type=Path,
                       help="folder of FineVideo JSON metadata files, or of parquet shards (json+mp4)")
    build.add_argument("--videos", type=Path, help="folder with <video_id>.mp4 files to render from")
    add_llm_arguments(build)
    build.set_defaults(llm=None)  # the derived params flag: unset unless given (--params may set it)


def inputs_from_args(args: argparse.Namespace, params: Any) -> tuple[TimewarpInputs, dict[str, Any]]:
    """The inputs named on the command line (or the demo written under ``--out``) and the LLM
    configuration when ``params.llm`` is not offline."""
    llm = recipe_config(args, params.llm, progress=not args.no_progress)
    if args.finevideo is None:
        if args.videos is not None:
            raise FineForgeError("--videos needs --finevideo")
        source, videos = write_demo_inputs(args.out / "demo_inputs" / "timewarp")
        print(f"no --finevideo given: building the demo input in {source.parent}", file=sys.stderr)
        return TimewarpInputs(source, videos), {"llm": llm}
    return TimewarpInputs(args.finevideo, args.videos), {"llm": llm}


def summary(outcome: Any) -> dict[str, Any]:
    return {"rows": outcome.stats["rows"]}


CLI = CliSpec(
    help="FineVideo scenes -> temporal QA, DPO/KTO, TimeWar",
    description="FineVideo scene metadata -> temporal preference data and the TimeWar benchmark.",
    build_description="Build out/timewarp/<version>/: configs sft, dpo, kto, timewar_normal, "
                      "timewar_shuffled, implicit, ordering_probe; trainer and evaluator exports; data "
                      "card; manifest; rejects; report. With --videos, also renders normal/shuffled/"
                      "reversed clips and trainer frame folders under media/.",
    add_inputs=add_inputs, inputs=inputs_from_args, summary=summary)
