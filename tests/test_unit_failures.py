"""A unit that keeps failing ends as a reasoned rejection (``unit_failed``), never a crash or a hang,
with the same bytes on the local pool (1 and 2 workers) and on Ray; what is not the unit's fault
(a bad input file) still stops the build; a failed unit is never stored as done.

The faulty units wrap the real timewarp generation unit over the demo metadata: one chosen video
raises (or kills its worker process) every time, the others run as usual.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import pytest

from pipelines.core.errors import InputError
from pipelines.core.executors import LocalExecutor
from pipelines.core.orchestrator import run_build
from pipelines.core.recipe import Build, Plan
from pipelines.core.unitfail import REASON, UnitFailure, worker_died_detail
from pipelines.core.workcache import WorkCache, map_cached
from pipelines.timewarp.demo import write_demo_inputs
from pipelines.timewarp.inputs import TimewarpInputs
from pipelines.timewarp.recipe import RECIPE, video_unit

SECRET = "sk-test1234567890abcdefXYZ"


@dataclasses.dataclass(frozen=True)
class Fault:
    """Context of the faulty pass: the real one, the unit that fails, how, and the test's pid."""

    params: Any
    target: str
    kind: str  # "raise" | "kill" | "input"
    driver: int


def faulty_video_unit(fault: Fault, meta: Any) -> Any:
    if f"{meta.source}/{meta.video_id}" == fault.target:
        if fault.kind == "input":
            raise InputError("videos/broken.json", "not JSON", line=3)
        if fault.kind == "kill":
            if os.getpid() == fault.driver:
                raise AssertionError("a kill test must run its units in worker processes")
            os._exit(9)
        raise ValueError(f"scene 2 has no end (token {SECRET})\nsecond line")
    return video_unit(fault.params, meta)


def faulty_recipe(kind: str) -> Any:
    def plan(build: Build) -> Plan:
        real = RECIPE.plan(build)
        fault = Fault(real.first.context, real.first.keys[1], kind, os.getpid())
        return dataclasses.replace(real, first=dataclasses.replace(real.first, fn=faulty_video_unit,
                                                                  context=fault))
    return dataclasses.replace(RECIPE, plan=plan)


@pytest.fixture(scope="module")
def metadata(tmp_path_factory: pytest.TempPathFactory) -> Path:
    meta_dir, _videos = write_demo_inputs(tmp_path_factory.mktemp("demo"))
    return meta_dir


def build(metadata: Path, out: Path, kind: str, executor: Any) -> Path:
    outcome = run_build(faulty_recipe(kind), TimewarpInputs(metadata, None), RECIPE.params(), out,
                        "1.0.0", executor)
    return outcome.build_dir


def second_key(metadata: Path) -> str:
    """The key of the unit the fault targets (the plan's second unit)."""
    from pipelines.timewarp.inputs import read_units

    metas, _ = read_units(metadata, None)
    return f"{metas[1].source}/{metas[1].video_id}"


def failures(build_dir: Path) -> list[dict[str, str]]:
    lines = (build_dir / "rejects.jsonl").read_text().splitlines()
    return [row for row in map(json.loads, lines) if row["reason"] == REASON]


def published(build_dir: Path) -> dict[str, bytes]:
    return {p.relative_to(build_dir).as_posix(): p.read_bytes()
            for p in sorted(build_dir.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def raised(metadata: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """The build with the raising unit, on 1 and on 2 local workers."""
    out = tmp_path_factory.mktemp("raised")
    return {workers: build(metadata, out / str(workers), "raise", LocalExecutor(workers, progress=False))
            for workers in (1, 2)}


@pytest.mark.parametrize("workers", [1, 2])
def test_raising_unit_becomes_a_reasoned_rejection(metadata, raised, workers):
    build_dir = raised[workers]
    [failure] = failures(build_dir)
    assert failure["stage"] == "videos" and failure["unit"] == second_key(metadata)
    # one line: type and first line of the message, the secret-shaped token redacted
    assert failure["detail"] == "ValueError: scene 2 has no end (token <redacted>)"
    videos = json.loads((build_dir / "manifest.json").read_text())["counts"]["videos"]
    assert videos["rejected"][REASON] == 1 and videos["reconciles"]
    video_id = failure["unit"].split("/")[-1].encode()
    shards = list((build_dir / "data").rglob("*.parquet"))
    assert shards and all(video_id not in path.read_bytes() for path in shards)  # none of its rows


def test_same_bytes_on_one_and_two_workers(raised):
    assert published(raised[1]) == published(raised[2])


@pytest.mark.timeout(300)  # the harness's guard against a hang; no timed assertion
def test_worker_killed_every_time_is_rejected_after_the_retries(metadata, raised, tmp_path):
    killed = build(metadata, tmp_path, "kill", LocalExecutor(2, progress=False, retries=1))
    [failure] = failures(killed)
    assert failure["unit"] == second_key(metadata) and failure["detail"] == worker_died_detail(2)
    # every other video went through (the units in flight with the dying one were settled alone)
    shards = [name for name in published(killed) if name.startswith("data/")]
    assert shards and all(published(killed)[name] == published(raised[1])[name] for name in shards)


def test_a_bad_input_file_still_stops_the_build(metadata, tmp_path):
    with pytest.raises(InputError, match=r"videos/broken.json:3: not JSON"):
        build(metadata, tmp_path, "input", LocalExecutor(2, progress=False))


def _fail_on_three(attempt: str, item: int) -> int:
    if item == 3 and attempt == "first":
        raise RuntimeError("bad unit")
    return item * 10


def test_a_failed_unit_is_not_stored_and_a_rerun_tries_it_again(tmp_path):
    cache = WorkCache(tmp_path, "fingerprint")
    keys = [f"units/{i}" for i in range(5)]
    first = map_cached(LocalExecutor(1, progress=False), _fail_on_three, "first", list(range(5)), keys,
                       cache, "test")
    assert first == [0, 10, 20, UnitFailure("RuntimeError: bad unit"), 40]
    assert cache.get("units/3") is None and cache.get("units/4") == 40
    ran: list[int] = []

    class Recording(LocalExecutor):
        def map(self, fn, context, items, *, desc=""):
            ran.extend(items)
            return super().map(fn, context, items, desc=desc)

    again = map_cached(Recording(1, progress=False), _fail_on_three, "again", list(range(5)), keys,
                       cache, "test")
    assert again == [0, 10, 20, 30, 40] and ran == [3]
