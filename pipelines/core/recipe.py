"""The declared shape of a recipe: what it is (:class:`Recipe`) and the units it runs (:class:`UnitPass`).

A recipe says what it is; :func:`pipelines.core.orchestrator.run_build` runs it. The build is always
the same sequence:

1. ``plan(build)`` reads and validates the inputs (a bad file raises ``InputError``) and returns a
   :class:`Plan`: the first :class:`UnitPass` (the pure per-unit generation) and a :class:`Tally`
   for the input stage (bad rows as reasoned rejections).
2. Every pass runs on the executor through the work cache, unit by unit. A unit that fails (it
   raised, or its worker died on every attempt: core/unitfail.py) is counted as one input of the
   stage named after its pass, rejected ``unit_failed``; its result has ``failed`` set and no
   payload (a media hook sees it as a unit that produced nothing).
3. ``media(build)`` returns the media passes (frames, renders), built from the earlier results;
   they run the same way. A cached unit whose listed files are missing is redone.
4. ``assemble(build)`` returns one table (or list of row dicts) per declared config, in canonical
   order: subsets, LLM post-passes, dropping rows whose media failed.
5. The orchestrator adds every tally into the ledger (plan, then passes in order, then units in
   order), writes the shards of exactly the declared configs, then ``publish(build, tables)``
   writes exports, card and report and returns the statistics.
6. The manifest, the work cache cleared.

A recipe whose inputs can be large declares a :class:`Stream` instead of using ``assemble`` and
``publish``: its unit results stay in the work cache (``build.results`` reads them back one at a
time) and its rows are never all in memory. Steps 4-5 become passes over the first pass's results
in unit order (core/streamed.py): ``prepare`` (build-wide decisions such as caps, from its own
passes over ``build.results``), a counting pass of ``emit``, then one pass that writes the shards,
feeds the recipe's sink (exports, folded statistics, samples) and adds each unit's tally (as
``emit`` left it) into the ledger; then ``publish`` writes card and report from the sink.

Rules every recipe keeps: unit keys are unique and stable; randomness comes from
``UnitRng(seed, "<unit key>/<purpose>")``; a media unit writes only its own files, atomically, and
lists them (relative to the build folder) in its :class:`UnitResult`; unit functions are
module-level and their context and units picklable (they may run in another process, or on Ray).
A recipe never touches the work cache, the shard writer or the manifest writer.

How a new recipe registers: write ``pipelines/<name>/recipe.py`` defining ``RECIPE = Recipe(...)``
and add one line to :data:`pipelines.core.registry.RECIPES`. The CLI (``python -m pipelines <name>
build``), the run-contract test suite and ``push`` then pick it up.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
from datasets import Features

from pipelines.core.accounting import Ledger
from pipelines.core.config import StrictModel
from pipelines.core.executors import Executor
from pipelines.core.requires import Requirement
from pipelines.core.summary import Stopwatch
from pipelines.core.tally import Tally

Row = dict[str, Any]
Rows = pa.Table | list[Row]


@dataclass
class UnitResult:
    """What one unit produced: its tally, the files it wrote (relative to the build folder) and a
    payload for later hooks (rows, records, anything picklable).

    ``failed``: the unit failed (core/unitfail.py); the orchestrator made this result, with no
    payload and a tally rejecting the unit, and :meth:`Build.payloads` leaves it out."""

    key: str
    tally: Tally = field(default_factory=Tally)
    files: tuple[str, ...] = ()
    payload: Any = None
    failed: bool = False


@dataclass(frozen=True)
class UnitPass:
    """One resumable executor map: ``fn(context, unit) -> UnitResult`` over ``units``.

    ``keys`` are the units' stable keys (same order); ``stages`` are ledger stages this pass owns,
    created (even with no units) when the pass runs, after the recipe's declared stages."""

    name: str
    fn: Callable[[Any, Any], UnitResult]
    context: Any
    units: Sequence[Any]
    keys: Sequence[str]
    stages: tuple[str, ...] = ()


@dataclass
class Plan:
    first: UnitPass
    tally: Tally = field(default_factory=Tally)


@dataclass(frozen=True)
class ConfigSpec:
    """A published config: its Hugging Face features and its one split."""

    features: Features
    split: str


@dataclass(frozen=True)
class InputFiles:
    """How a build's inputs are described: ``sums`` (file name -> sha256) key the work cache;
    ``manifest`` (name -> path) and ``extra`` go into the manifest."""

    sums: Mapping[str, str]
    manifest: Mapping[str, Path | None]
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Build:
    """The state of one build, handed to every hook. ``state`` is the recipe's scratch space
    (things ``plan`` learnt that later hooks need); ``results`` holds each pass's unit results in
    unit order; ``manifest_extra`` is merged into the manifest."""

    recipe: Recipe
    inputs: Any
    params: Any
    build_dir: Path
    version: str
    executor: Executor
    options: Mapping[str, Any] = field(default_factory=dict)
    clock: Stopwatch = field(default_factory=Stopwatch)
    ledger: Ledger = field(default_factory=Ledger)
    passes: list[UnitPass] = field(default_factory=list)  # the passes run, in order
    results: dict[str, Sequence[UnitResult]] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    manifest_extra: dict[str, Any] = field(default_factory=dict)
    input_files: InputFiles | None = None  # set by the orchestrator once the inputs are read

    def payloads(self, pass_name: str) -> list[Any]:
        """The payloads of the pass's units that did not fail, in unit order (for a streamed
        recipe, all read into memory: prefer iterating :meth:`stream_payloads`)."""
        return list(self.stream_payloads(pass_name))

    def stream_payloads(self, pass_name: str) -> Iterator[Any]:
        """The payloads of the pass's units that did not fail, in unit order, one at a time."""
        return (result.payload for result in self.results[pass_name] if not result.failed)

    def emitted_rows(self) -> Iterator[Mapping[str, Sequence[Row]]]:
        """A streamed recipe's rows again, unit by unit in unit order (``Stream.emit`` over the
        stored results of the first pass): the extra passes its publication takes."""
        stream = self.recipe.stream
        if stream is None:
            raise ValueError(f"{self.recipe.name}: emitted_rows needs a streamed recipe")
        return (stream.emit(self, result) for result in self.results[self.passes[0].name])


def no_media(_build: Build) -> list[UnitPass]:
    return []


@dataclass(frozen=True)
class CliSpec:
    """The recipe's command line beyond the flags derived from its Params model.

    ``add_inputs(parser)`` adds the input flags; ``inputs(args, params) -> (inputs, options)`` reads them
    (falling back to the demo); ``flag_names`` renames derived flags (dotted field -> flag);
    ``summary(result) -> {label: value}`` adds lines to the end-of-run summary;
    ``extra(actions)`` registers more actions (e.g. ``demo-inputs``)."""

    help: str
    description: str
    build_description: str
    add_inputs: Callable[[argparse.ArgumentParser], None]
    inputs: Callable[[argparse.Namespace, Any], tuple[Any, dict[str, Any]]]  # (args, params)
    summary: Callable[[Any], dict[str, Any]]
    flag_names: Mapping[str, str] = field(default_factory=dict)
    extra: Callable[[argparse._SubParsersAction], None] | None = None


class Sink(Protocol):
    """What a streamed recipe's rows are fed to, unit by unit in unit order."""

    def add(self, result: UnitResult, rows: Mapping[str, Sequence[Row]]) -> None: ...


@dataclass(frozen=True)
class Stream:
    """The hooks of a streamed recipe (see the module docstring).

    - ``prepare(build)``: build-wide decisions, kept in ``build.state``; it may rewrite stored
      results (``build.results[name].replace``), e.g. after LLM post-passes.
    - ``emit(build, result) -> {config: rows}``: the rows of one unit of the first pass in
      canonical order (a failed unit's result is passed too); it may adjust ``result.tally``. It
      must be pure: it runs once to count rows and once to write them.
    - ``sink(build, counts)``: a context manager giving the :class:`Sink` (``counts``: rows per
      config, known before the first row arrives); ``publish(build, sink) -> stats`` after it closed.
    """

    prepare: Callable[[Build], None]
    emit: Callable[[Build, UnitResult], Mapping[str, Sequence[Row]]]
    sink: Callable[[Build, Mapping[str, int]], AbstractContextManager[Any]]
    publish: Callable[[Build, Any], dict[str, Any]]


@dataclass(frozen=True)
class Recipe:
    name: str
    params: type[StrictModel]
    stages: tuple[str, ...]  # ledger stages in report order, present in every build
    configs: Mapping[str, ConfigSpec]
    input_files: Callable[[Any], InputFiles]
    plan: Callable[[Build], Plan]
    demo: Callable[[Path], tuple[Any, dict[str, Any]]]  # folder -> (inputs, options)
    cli: CliSpec
    media: Callable[[Build], list[UnitPass]] = no_media
    assemble: Callable[[Build], dict[str, Rows]] | None = None  # with publish, unless stream is set
    publish: Callable[[Build, dict[str, Rows]], dict[str, Any]] | None = None
    requires: tuple[Requirement, ...] = ()
    check: Callable[[Any, Any, Mapping[str, Any]], None] | None = None  # (inputs, params, options)
    stream: Stream | None = None  # set: assemble/publish are not used (see the module docstring)


@dataclass
class BuildOutcome:
    """What :func:`run_build` returns."""

    build: Build
    tables: dict[str, Rows]  # a streamed recipe's only when the build was asked to keep them
    stats: dict[str, Any]
    manifest: dict[str, Any]
    counts: dict[str, int] = field(default_factory=dict)  # rows per config

    @property
    def build_dir(self) -> Path:
        return self.build.build_dir

    @property
    def ledger(self) -> Ledger:
        return self.build.ledger

    @property
    def timings(self) -> Stopwatch:
        return self.build.clock
