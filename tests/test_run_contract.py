"""The run contract, checked on every registered recipe's demo (a new recipe joins by registering):

- workers 1 and 2 give byte-identical build folders;
- a build stopped right after the first unit of each pass, then resumed, gives the same bytes and
  runs fewer units (only the ones not yet finished);
- the ledger reconciles and holds every declared stage and every stage of the passes that ran;
- every declared config loads with its declared Features and split;
- the manifest's hashes are the files' hashes, for exactly the published files.

The stop is deterministic: the orchestrator's ``on_unit`` hook raises after the n-th stored unit,
which is what a kill leaves behind (finished units stored, nothing published).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from pipelines.core.executors import LocalExecutor
from pipelines.core.orchestrator import run_build
from pipelines.core.recipe import BuildOutcome, Recipe
from pipelines.core.registry import load_recipe, recipe_names
from tests.conftest import load_local


class CountingExecutor:
    """A local executor that counts the units it finished, per pass."""

    name = "counting"

    def __init__(self, workers: int = 1) -> None:
        self.inner = LocalExecutor(workers, progress=False)
        self.calls: Counter[str] = Counter()

    def map(self, fn: Callable[[Any, Any], Any], context: Any, items: Sequence[Any], *,
            desc: str = "") -> Iterator[Any]:
        name = desc.split(": ", 1)[-1]
        for result in self.inner.map(fn, context, items, desc=desc):
            self.calls[name] += 1  # counted when finished, so a stopped run counts what it did
            yield result


class Killed(Exception):
    pass


def kill_after_first(pass_name: str) -> Callable[[str, int], None]:
    def hook(name: str, done: int) -> None:
        if name == pass_name and done == 1:
            raise Killed(pass_name)
    return hook


def digests(build_dir: Path) -> dict[str, str]:
    return {p.relative_to(build_dir).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(build_dir.rglob("*")) if p.is_file()}


class Demo:
    def __init__(self, recipe: Recipe, root: Path) -> None:
        self.recipe, self.root = recipe, root
        self.inputs, self.options = recipe.demo(root / "inputs")
        self.params = recipe.params()

    def build(self, out: str, executor: Any, on_unit: Callable[[str, int], None] | None = None
              ) -> BuildOutcome:
        return run_build(self.recipe, self.inputs, self.params, self.root / out, "1.0.0", executor,
                         options=self.options, on_unit=on_unit)


@pytest.fixture(scope="module", params=recipe_names())
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return Demo(load_recipe(request.param), tmp_path_factory.mktemp(request.param))


@pytest.fixture(scope="module")
def clean(demo: Demo) -> tuple[BuildOutcome, Counter[str]]:
    executor = CountingExecutor()
    return demo.build("clean", executor), executor.calls


def test_workers_one_and_two_give_identical_bytes(demo: Demo, clean) -> None:
    outcome, _ = clean
    two = demo.build("two", LocalExecutor(2, progress=False))
    one = digests(outcome.build_dir)
    assert any(name.endswith(".parquet") for name in one)
    assert digests(two.build_dir) == one


def test_killed_after_first_unit_of_each_pass_resumes_only_unfinished_units(demo: Demo, clean) -> None:
    """One chain: stop after the first unit of pass 1, resume and stop after the first unit of
    pass 2, ..., resume to the end. Each run does exactly the units earlier runs left unfinished."""
    outcome, clean_calls = clean
    passes = list(outcome.build.results)
    run_dir = demo.root / "killed" / demo.recipe.name / "1.0.0"
    for index, name in enumerate(passes):
        assert clean_calls[name] >= 2, f"the demo needs two units in pass {name} to test a resume"
        run = CountingExecutor()
        with pytest.raises(Killed):
            demo.build("killed", run, on_unit=kill_after_first(name))
        expected = Counter({name: 1})
        if index:
            expected[passes[index - 1]] = clean_calls[passes[index - 1]] - 1
        assert +run.calls == expected, name
        assert not list(run_dir.rglob("*.parquet")), "a killed build publishes no shard"
        assert not (run_dir / "manifest.json").exists()
    resumed = CountingExecutor()
    final = demo.build("killed", resumed)
    assert +resumed.calls == Counter({passes[-1]: clean_calls[passes[-1]] - 1})
    assert sum(resumed.calls.values()) < sum(clean_calls.values())
    assert digests(final.build_dir) == digests(outcome.build_dir)
    assert not (final.build_dir / ".work").exists()


def test_ledger_reconciles_with_every_stage(clean, demo: Demo) -> None:
    outcome, _ = clean
    manifest = outcome.manifest
    stages = set(demo.recipe.stages) | {s for p in outcome.build.passes for s in p.stages}
    assert stages <= set(manifest["counts"])
    assert manifest["reconciles"] and all(c["reconciles"] for c in manifest["counts"].values())
    rejects = Counter()
    for line in (outcome.build_dir / "rejects.jsonl").read_text().splitlines():
        row = json.loads(line)
        rejects[row["stage"]] += 1
    assert {s: n for s, n in rejects.items()} == {
        s: c["rejected_total"] for s, c in manifest["counts"].items() if c["rejected_total"]}


def test_every_config_loads_with_its_features_and_split(clean, demo: Demo) -> None:
    outcome, _ = clean
    assert set(outcome.manifest["configs"]) == set(demo.recipe.configs)
    for name, spec in demo.recipe.configs.items():
        loaded = load_local(outcome.build_dir, name, spec.split)
        assert loaded.features == spec.features, name
        assert loaded.num_rows == outcome.manifest["configs"][name]


def test_manifest_hashes_are_the_files(clean) -> None:
    outcome, _ = clean
    build_dir = outcome.build_dir
    listed = json.loads((build_dir / "manifest.json").read_text())["files"]
    published = {name: digest for name, digest in digests(build_dir).items()  # the card included;
                 if name != "manifest.json" and not name.startswith(".")}  # lock and build index: hidden
    assert listed == published
