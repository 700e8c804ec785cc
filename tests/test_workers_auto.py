"""``--workers auto``: one worker per CPU the process may use (its affinity mask), same outputs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.badinput import run_cli
from tests.conftest import shared_file

pytestmark = pytest.mark.timeout(120)

ASK = "from pipelines.core.cli import workers_count; print(workers_count('auto'))"


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs CPU affinity (Linux)")
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
