"""revos as a declared recipe: referring masks, AVA boxes and FineVideo scenes -> one generation
pass over every unit -> (with ``--llm openai``) descriptions re-rendered into the Pix*QA texts ->
eight configs; exports, card, report with mask outlines.

Hooks only; :func:`pipelines.core.orchestrator.run_build` runs them (see core/recipe.py). The
rows are published as a stream (streaming.py): the driver never holds every unit's rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines.core.errors import ConfigError
from pipelines.core.recipe import Build, ConfigSpec, InputFiles, Plan, Recipe, UnitPass
from pipelines.revos import cli
from pipelines.revos.config import RevosParams
from pipelines.revos.plan import RevosInputs, input_sums, read_inputs
from pipelines.revos.schema import FEATURES, SPLITS
from pipelines.revos.streaming import STREAM
from pipelines.revos.units import CONFIGS, STAGES, process_unit


def check(_inputs: RevosInputs, params: RevosParams, options: dict[str, Any]) -> None:
    if params.llm != "offline" and options.get("llm") is None:
        raise ConfigError("params.llm is 'openai' but no LLM configuration was given")


def input_files(inputs: RevosInputs) -> InputFiles:
    sums = input_sums(inputs)
    return InputFiles(sums, dict(inputs.given()), {"input_files": sums})


def plan(build: Build) -> Plan:
    read = read_inputs(build.inputs, build.params)
    build.state["units"] = read.units
    return Plan(UnitPass("units", process_unit, build.params, read.units, read.keys), read.tally)


def demo(folder: Path) -> tuple[RevosInputs, dict[str, Any]]:
    from pipelines.revos.demo_tpo import write_demo_inputs

    written = write_demo_inputs(folder)
    return RevosInputs(revos=written.revos, ava_csv=written.ava_csv, finevideo=written.finevideo), {}


RECIPE = Recipe(
    name="revos", params=RevosParams, stages=STAGES,
    configs={c: ConfigSpec(FEATURES[c], SPLITS[c]) for c in CONFIGS},
    input_files=input_files, plan=plan, demo=demo, cli=cli.CLI, check=check, stream=STREAM)
