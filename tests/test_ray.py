"""Ray executor: same contract as the local pool, byte-identical builds (a local Ray instance)."""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="the Ray extra is not installed (pip install 'fineforge[ray]')")

from pipelines.core.executors import LocalExecutor  # noqa: E402
from pipelines.core.ray_executor import RayExecutor  # noqa: E402
from pipelines.core.registry import load_recipe, recipe_names  # noqa: E402
from pipelines.core.unitfail import UnitFailure, worker_died_detail  # noqa: E402
from tests.test_run_contract import Demo  # noqa: E402
from tests.test_unit_failures import build as faulty_build  # noqa: E402
from tests.test_unit_failures import failures, published, second_key  # noqa: E402

TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def local_ray():
    # workers import this module's functions by name: give them the same import path as pytest
    # (a local instance's workers inherit the driver's environment)
    path = os.pathsep.join([str(TESTS.parent), str(TESTS), os.environ.get("PYTHONPATH", "")])
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PYTHONPATH", path)
        env.setenv("RAY_AUTH_MODE", "disabled")
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    yield
    ray.shutdown()


def digests(build_dir: Path) -> dict[str, str]:
    return {p.relative_to(build_dir).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(build_dir.rglob("*")) if p.is_file()}


def _square(offset: int, item: int) -> int:
    return item * item + offset


def _fail_on_three(offset: int, item: int) -> int:
    if item == 3:
        raise RuntimeError("bad unit")
    return item


def _die_once(marker: str, item: int) -> int:
    """Kills its worker process the first time it sees item 2 (Ray retries the task elsewhere)."""
    if item == 2 and not os.path.exists(marker):
        Path(marker).write_text("died")
        os._exit(1)
    return item


def test_results_in_input_order_with_a_small_window(local_ray):
    executor = RayExecutor(max_in_flight=3, progress=False)
    assert list(executor.map(_square, 1, list(range(20)))) == [i * i + 1 for i in range(20)]


def test_failing_unit_is_yielded_as_a_failure(local_ray):
    executor = RayExecutor(max_retries=0, progress=False)
    assert list(executor.map(_fail_on_three, 0, list(range(6)))) == [
        0, 1, 2, UnitFailure("RuntimeError: bad unit"), 4, 5]


@pytest.fixture(scope="module")
def faulty_demo(tmp_path_factory):
    from pipelines.timewarp.demo import write_demo_inputs

    meta_dir, _ = write_demo_inputs(tmp_path_factory.mktemp("faulty"))
    return meta_dir


def test_raising_unit_is_the_same_rejection_on_ray(local_ray, faulty_demo, tmp_path):
    local = faulty_build(faulty_demo, tmp_path / "local", "raise", LocalExecutor(2, progress=False))
    on_ray = faulty_build(faulty_demo, tmp_path / "ray", "raise", RayExecutor(progress=False))
    assert len(failures(on_ray)) == 1
    assert published(on_ray) == published(local)  # rejects.jsonl, manifest and shards included


def test_a_bad_input_file_still_stops_the_build_on_ray(local_ray, faulty_demo, tmp_path):
    from pipelines.core.errors import InputError

    with pytest.raises(InputError, match=r"videos/broken.json:3: not JSON") as error:
        faulty_build(faulty_demo, tmp_path, "input", RayExecutor(progress=False))
    assert type(error.value) is InputError  # the unit's own error (one line), not Ray's wrapper


@pytest.mark.timeout(300)  # the harness's guard against a hang; no timed assertion
def test_worker_killed_every_time_is_rejected_on_ray(local_ray, faulty_demo, tmp_path):
    killed = faulty_build(faulty_demo, tmp_path, "kill", RayExecutor(max_retries=1, progress=False))
    [failure] = failures(killed)
    assert failure["unit"] == second_key(faulty_demo) and failure["detail"] == worker_died_detail(2)


def test_lost_worker_is_retried(local_ray, tmp_path):
    executor = RayExecutor(max_retries=2, progress=False)
    marker = str(tmp_path / "died")
    assert list(executor.map(_die_once, marker, list(range(5)))) == list(range(5))
    assert Path(marker).exists()  # the worker really died once


def test_build_folder_must_be_shared(local_ray, tmp_path):
    RayExecutor(progress=False).prepare(tmp_path / "build")  # one node: always visible
    assert not any((tmp_path / "build" / ".work" / "ray-probe").iterdir())


def _cli(*args: str) -> int:
    from pipelines.cli import main

    return main([*args, "--no-progress"])


def test_finebench_real_excerpt_identical_to_local(local_ray, tmp_path, ava_files):
    real = ["--ava-csv", str(ava_files["csv"]), "--labels", str(ava_files["labels"]),
            "--excluded", str(ava_files["excluded"])]
    assert _cli("finebench", "build", *real, "--out", str(tmp_path / "local")) == 0
    assert _cli("finebench", "build", *real, "--out", str(tmp_path / "ray"), "--executor", "ray") == 0
    local, on_ray = (digests(tmp_path / kind / "finebench" / "0.1.0") for kind in ("local", "ray"))
    assert any(name.endswith(".parquet") for name in local)
    assert local == on_ray


def _ray_task_processes() -> list[int]:
    """Pids of Ray worker processes currently running one of our units (Ray sets their title)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if b"ray::_run_unit" in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


@pytest.mark.parametrize("name", recipe_names())
def test_demo_on_ray_identical_to_local_with_a_worker_killed_mid_media(local_ray, tmp_path, name):
    """Every registered recipe's demo on Ray equals its local build byte for byte, even when a
    worker is SIGKILLed while a media unit (render, frames) runs: Ray retries the task."""
    demo = Demo(load_recipe(name), tmp_path)
    local = demo.build("local", LocalExecutor(1, progress=False))
    build_dir = tmp_path / "ray" / name / "1.0.0"
    killed: list[int] = []
    done = threading.Event()

    def kill_one_media_task() -> None:
        while not done.is_set() and not killed:
            if (build_dir / "media").exists():
                for pid in _ray_task_processes():
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    break
            time.sleep(0.02)

    killer = threading.Thread(target=kill_one_media_task, daemon=True)
    killer.start()
    try:
        on_ray = demo.build("ray", RayExecutor(progress=False))
    finally:
        done.set()
        killer.join(timeout=5)
    expected = digests(local.build_dir)
    assert any(name.endswith(".parquet") for name in expected)
    assert digests(on_ray.build_dir) == expected
    if name == "timewarp":
        assert killed, "no render task was running to kill"
