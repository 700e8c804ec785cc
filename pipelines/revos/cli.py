"""revos's command line beyond the flags derived from :class:`RevosParams`: the inputs, the LLM
back-end options, the demo fallback, the token flag names and the summary lines."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pipelines.core.llm import add_llm_arguments, recipe_config
from pipelines.core.recipe import CliSpec
from pipelines.revos.plan import RevosInputs


def add_inputs(build: argparse.ArgumentParser) -> None:
    build.add_argument("--revos", type=Path,
                       help="ReVOS root (meta_expressions_*_.json, mask_dict.json, optional JPEGImages/)")
    build.add_argument("--mevis", type=Path, help="MeViS root (meta_expressions.json, mask_dict.json)")
    build.add_argument("--refytvos", type=Path, help="Ref-YouTube-VOS meta_expressions.json or its folder "
                                                     "(Annotations/ beside it gives masks)")
    build.add_argument("--ava-csv", type=Path, help="AVA v2.2 annotation CSV (tracking, spatial grounding)")
    build.add_argument("--finevideo", type=Path, help="folder of FineVideo JSON files (temporal grounding)")
    add_llm_arguments(build)
    build.set_defaults(llm=None)  # the derived params flag: unset unless given (--params may set it)


def inputs_from_args(args: argparse.Namespace, params: Any) -> tuple[RevosInputs, dict[str, Any]]:
    """The inputs named on the command line, or the drawn demo written under ``--out``."""
    llm = recipe_config(args, params.llm)
    inputs = RevosInputs(args.revos, args.mevis, args.refytvos, args.ava_csv, args.finevideo)
    if not inputs.given():
        from pipelines.revos.demo_tpo import write_demo_inputs

        demo = write_demo_inputs(args.out / "demo_inputs" / "revos")
        inputs = RevosInputs(revos=demo.revos, ava_csv=demo.ava_csv, finevideo=demo.finevideo)
        print(f"no input given: building the drawn demo in {demo.revos.parent}", file=sys.stderr)
    return inputs, {"llm": llm}


def summary(outcome: Any) -> dict[str, Any]:
    return {"rows": outcome.stats["rows"]}


CLI = CliSpec(
    help="referring masks -> Pix*QA and TPO-style task instructions",
    description="ReVOS / MeViS / Ref-YouTube-VOS masks, AVA boxes and FineVideo scenes -> pixel + "
                "temporal referring QA and textualised vision-task instructions.",
    build_description="Build out/revos/<version>/: configs pixtrqa, pixhqa, pixrqa, when_mcq, "
                      "temporal_grounding, tracking, spatial_grounding, referring_segmentation; "
                      "exports; data card; manifest; rejects; report with mask outlines. With no input, "
                      "draws and builds the demo.",
    add_inputs=add_inputs, inputs=inputs_from_args, summary=summary,
    flag_names={"tokens.region": "--region-token", "tokens.seg": "--seg-token",
                "tokens.time_format": "--time-token-format", "tokens.time_bins": "--time-bins"})
