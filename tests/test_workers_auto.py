"""``--workers auto``: one worker per CPU the build may use (affinity mask, cgroup quota), same outputs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.core import cpus
from pipelines.core.cpus import quota_from_cpu_max
from tests.badinput import run_cli
from tests.conftest import shared_file

pytestmark = pytest.mark.timeout(120)

ASK = "from pipelines.core.cli import workers_count; print(workers_count('auto'))"
NO_QUOTA = cpus.cgroup_quota() is None


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or not NO_QUOTA,
                    reason="needs CPU affinity (Linux) and no cgroup CPU quota")
def test_auto_counts_the_cpus_of_the_affinity_mask() -> None:
    allowed = sorted(os.sched_getaffinity(0))
    one = subprocess.run([sys.executable, "-c", ASK], capture_output=True, text=True, check=True,
                         preexec_fn=lambda: os.sched_setaffinity(0, {allowed[-1]}))
    assert one.stdout.strip() == "1"  # taskset / a batch scheduler limits what auto takes
    every = subprocess.run([sys.executable, "-c", ASK], capture_output=True, text=True, check=True)
    assert every.stdout.strip() == str(len(allowed))


def test_a_word_other_than_auto_is_one_usage_line(tmp_path: Path) -> None:
    outcome = run_cli("finebench", "build", "--out", tmp_path, "--workers", "many", "--no-progress")
    assert outcome.status == 2
    assert "--workers: expected a whole number or 'auto', not 'many'" in outcome.stderr
    assert "Traceback" not in outcome.stderr


def test_auto_gives_the_same_shards_as_one_worker(tmp_path: Path) -> None:
    csv = shared_file("ava", "ava_val_v2.2_excerpt.csv")
    labels = shared_file("ava", "ava_action_list_v2.2.pbtxt")
    built = {}
    for workers in ("1", "auto"):
        out = tmp_path / workers
        outcome = run_cli("finebench", "build", "--out", out, "--ava-csv", csv, "--labels", labels,
                          "--workers", workers, "--blind-sample", "0", "--no-progress")
        assert outcome.status == 0, outcome.stderr
        built[workers] = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*.parquet"))}
    assert built["1"] and built["auto"] == built["1"]


def test_cgroup_quota_text_is_read_as_cpus() -> None:
    assert quota_from_cpu_max("200000 100000") == 2.0
    assert quota_from_cpu_max("150000 100000") == 1.5
    assert quota_from_cpu_max("max 100000") is None
    assert quota_from_cpu_max("") is None
    assert quota_from_cpu_max("-1 100000") is None  # cgroup v1 spelling of "no limit"


def test_a_quota_caps_auto_below_the_affinity_mask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A container limited to 1.5 CPUs on a bigger host: auto takes 2, not every CPU it sees."""
    own = tmp_path / "proc_cgroup"
    own.write_text("0::/job\n")
    (tmp_path / "job").mkdir()
    (tmp_path / "job" / "cpu.max").write_text("150000 100000\n")
    monkeypatch.setattr(cpus, "CGROUP_ROOT", tmp_path)
    monkeypatch.setattr(cpus, "OWN_CGROUP", own)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(64)), raising=False)
    assert cpus.cgroup_quota() == 1.5
    assert cpus.usable_cpus() == 2
    (tmp_path / "job" / "cpu.max").write_text("max 100000\n")
    assert cpus.usable_cpus() == 64
