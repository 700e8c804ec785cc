"""revos as a declared recipe: referring masks, AVA boxes and FineVideo scenes -> one generation
pass over every unit -> (with ``--llm openai``) descriptions re-rendered into the Pix*QA texts ->
eight configs; exports, card, report with mask outlines.

Hooks only; :func:`pipelines.core.orchestrator.run_build` runs them (see core/recipe.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines.core.errors import ConfigError
from pipelines.core.recipe import Build, ConfigSpec, InputFiles, Plan, Recipe, Rows, UnitPass
from pipelines.revos import cli
from pipelines.revos.config import RevosParams
from pipelines.revos.pix import render
from pipelines.revos.plan import RevosInputs, input_sums, read_inputs
from pipelines.revos.schema import FEATURES, SPLITS
from pipelines.revos.units import CONFIGS, STAGES, process_unit

PIX_CONFIGS = ("pixtrqa", "pixhqa", "pixrqa")


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


def assemble(build: Build) -> dict[str, Rows]:
    records: dict[str, list[dict[str, Any]]] = {c: [] for c in CONFIGS}
    for payload in build.payloads("units"):
        for config, rows in payload.items():
            records[config].extend(rows)
    build.manifest_extra["llm"] = {"backend": build.params.llm}
    if build.params.llm != "offline":
        from pipelines.revos.describe import describe_all

        described, build.manifest_extra["llm"] = describe_all(
            build.state["units"], build.params, build.options["llm"], build.build_dir)
        for config in PIX_CONFIGS:
            records[config] = [render(r, described[key], build.params.tokens)
                               if (key := r["id"].rsplit("/", 1)[0]) in described else r
                               for r in records[config]]
    return records  # type: ignore[return-value]


def publish(build: Build, tables: dict[str, Rows]) -> dict[str, Any]:
    from pipelines.revos.publish import build_stats, write_card_exports_report

    assert build.input_files is not None
    records: dict[str, list[dict[str, Any]]] = tables  # type: ignore[assignment]
    stats = build_stats(records, build.ledger, build.params.seed)
    build.manifest_extra["blind_when_mcq"] = stats["blind_when_mcq"]
    write_card_exports_report(build.build_dir, records, stats, build.ledger, build.params, build.version,
                              dict(build.input_files.sums), build.state["units"])
    return stats


def demo(folder: Path) -> tuple[RevosInputs, dict[str, Any]]:
    from pipelines.revos.demo_tpo import write_demo_inputs

    written = write_demo_inputs(folder)
    return RevosInputs(revos=written.revos, ava_csv=written.ava_csv, finevideo=written.finevideo), {}


RECIPE = Recipe(
    name="revos", params=RevosParams, stages=STAGES,
    configs={c: ConfigSpec(FEATURES[c], SPLITS[c]) for c in CONFIGS},
    input_files=input_files, plan=plan, assemble=assemble, publish=publish, demo=demo, cli=cli.CLI,
    check=check)
