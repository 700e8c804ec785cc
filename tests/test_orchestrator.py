"""The orchestrator's own rules, on a tiny recipe defined here (not registered): media resume by
listed files, tallies added in pass then unit order, declared configs only, optional dependencies
checked first; and the tally's arithmetic."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from datasets import Features, Value

from pipelines.core.atomic import write_text
from pipelines.core.config import StrictModel
from pipelines.core.errors import ConfigError
from pipelines.core.executors import LocalExecutor
from pipelines.core.orchestrator import run_build
from pipelines.core.recipe import (
    Build,
    CliSpec,
    ConfigSpec,
    InputFiles,
    Plan,
    Recipe,
    Rows,
    UnitPass,
    UnitResult,
)
from pipelines.core.requires import Requirement
from pipelines.core.tally import Tally
from tests.test_run_contract import CountingExecutor

FEATURES = Features({"key": Value("string"), "square": Value("int64")})


class ToyParams(StrictModel):
    seed: int = 0


def square_unit(_context: None, number: int) -> UnitResult:
    tally = Tally()
    if number % 3 == 0:
        tally.count("numbers", 1, 0)
        tally.reject("numbers", f"n{number}", "multiple_of_three")
        return UnitResult(f"n{number}", tally)
    tally.count("numbers", 1, 1)
    return UnitResult(f"n{number}", tally, payload={"key": f"n{number}", "square": number * number})


def write_unit(build_dir: Path, row: dict[str, Any]) -> UnitResult:
    name = f"media/{row['key']}/square.txt"
    write_text(build_dir / name, f"{row['square']}\n")
    tally = Tally()
    tally.count("files", 1, 1)
    return UnitResult(row["key"], tally, (name,))


def plan(build: Build) -> Plan:
    numbers = list(range(1, 8))
    tally = Tally()
    tally.count("inputs", 8, 7)
    tally.reject("inputs", "line 8", "bad_number")
    return Plan(UnitPass("numbers", square_unit, None, numbers, [f"n{n}" for n in numbers]), tally)


def rows(build: Build) -> list[dict[str, Any]]:
    return [p for p in build.payloads("numbers") if p is not None]


def media(build: Build) -> list[UnitPass]:
    kept = rows(build)
    return [UnitPass("files", write_unit, build.build_dir, kept, [r["key"] for r in kept], ("files",))]


def assemble(build: Build) -> dict[str, Rows]:
    return {"squares": rows(build)}


def toy_recipe(**changes: Any) -> Recipe:
    fields: dict[str, Any] = dict(
        name="toy", params=ToyParams, stages=("inputs", "numbers"),
        configs={"squares": ConfigSpec(FEATURES, "train")},
        input_files=lambda _inputs: InputFiles({}, {}), plan=plan, media=media, assemble=assemble,
        publish=lambda _build, _tables: {}, demo=lambda _folder: (None, {}),
        cli=CliSpec("toy", "toy", "toy", lambda _p: None, lambda _a, _p: (None, {}), lambda _o: {}))
    return Recipe(**(fields | changes))


class Stop(Exception):
    pass


def test_cached_media_unit_with_a_missing_file_is_redone_and_nothing_else(tmp_path: Path) -> None:
    def stop_after_three(name: str, done: int) -> None:
        if name == "files" and done == 3:
            raise Stop

    with pytest.raises(Stop):
        run_build(toy_recipe(), None, ToyParams(), tmp_path, "1.0.0", LocalExecutor(1, False),
                  on_unit=stop_after_three)
    build_dir = tmp_path / "toy" / "1.0.0"
    kept = build_dir / "media/n1/square.txt"
    before = kept.stat().st_mtime_ns
    (build_dir / "media/n2/square.txt").unlink()  # n2's unit is cached, but its file is gone
    executor = CountingExecutor()
    outcome = run_build(toy_recipe(), None, ToyParams(), tmp_path, "1.0.0", executor)
    assert +executor.calls == Counter({"files": 3})  # n2 again, n5 and n7 for the first time
    assert kept.stat().st_mtime_ns == before
    assert (build_dir / "media/n2/square.txt").read_text() == "4\n"
    assert outcome.manifest["configs"] == {"squares": 5}
    assert outcome.manifest["files"]["media/n2/square.txt"]


def test_tallies_are_added_in_pass_then_unit_order(tmp_path: Path) -> None:
    outcome = run_build(toy_recipe(), None, ToyParams(), tmp_path, "1.0.0", LocalExecutor(1, False))
    counts = outcome.manifest["counts"]
    assert list(counts) == ["inputs", "numbers", "files"]
    assert counts["numbers"] == {"inputs": 7, "accepted": 5, "rejected": {"multiple_of_three": 2},
                                 "rejected_total": 2, "reconciles": True}
    assert counts["files"]["accepted"] == 5
    units = [r.unit for r in outcome.ledger.rejects]
    assert units == ["line 8", "n3", "n6"]


def test_assemble_must_return_exactly_the_declared_configs(tmp_path: Path) -> None:
    recipe = toy_recipe(assemble=lambda build: {"squares": rows(build), "extra": []})
    with pytest.raises(ConfigError, match="declared"):
        run_build(recipe, None, ToyParams(), tmp_path, "1.0.0", LocalExecutor(1, False))


def test_missing_optional_dependency_stops_before_any_work(tmp_path: Path) -> None:
    recipe = toy_recipe(requires=(Requirement("no_such_module_xyz", "no-such-package", "toy: masks"),))
    with pytest.raises(ConfigError) as error:
        run_build(recipe, None, ToyParams(), tmp_path, "1.0.0", LocalExecutor(1, False))
    assert str(error.value) == ("missing optional dependency: toy: masks needs no_such_module_xyz "
                                "(pip install no-such-package)")
    assert not (tmp_path / "toy").exists()


def test_tallies_add_up_and_keep_rejection_order() -> None:
    first, second = Tally(), Tally()
    first.count("a", 3, 2)
    first.reject("a", "u1", "bad")
    second.count("b", 2, 0)
    second.reject_many("b", [("u2", "worse", "x"), ("u3", "worse", "")])
    second.count("a", 1, 1)
    total = first + second
    assert total.inputs == {"a": 4, "b": 2} and total.accepted == {"a": 3, "b": 0}
    assert [r[1] for r in total.rejects] == ["u1", "u2", "u3"]
    assert first.inputs == {"a": 3}  # + makes a new tally
