"""SIGKILL a build at the worst moments, resume it, and get the same bytes as an unbroken build.

Kills land during generation and shard writing (the build kills itself right after a chosen call,
so the moment is exact), during rendering with two workers and their ffmpeg children, and during
LLM calls (killed from outside once the endpoint has answered some requests). After each kill no
process of the build may outlive it by more than 5 s, and after the resume no temporary file is
left and every published file equals the reference build's.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from tests.conftest import REPO, SHARED_DATA, shared_file
from tests.llm_server import LoopbackLLMServer, user_text

pytestmark = pytest.mark.timeout(400)

# Runs the CLI after wrapping ``module:attr`` (``attr`` may be ``Class.method``) so the process
# SIGKILLs itself once the wrapped call has returned ``after`` times (or at once for -1).
KILL_AFTER = """
import importlib, os, signal, sys
from pipelines.cli import main
spec, after = sys.argv[1], int(sys.argv[2])
module, attr = spec.split(":")
owner = importlib.import_module(module)
*path, name = attr.split(".")
for part in path:
    owner = getattr(owner, part)
real, calls = getattr(owner, name), [0]
def wrapped(*args, **kwargs):
    result = real(*args, **kwargs)
    calls[0] += 1
    if calls[0] > after:
        os.kill(os.getpid(), signal.SIGKILL)
    return result
setattr(owner, name, wrapped)
sys.exit(main(sys.argv[3:]))
"""


def cli(*argv: str | Path, kill_at: tuple[str, int] | None = None, env: dict | None = None
        ) -> subprocess.Popen:
    prefix = ["-c", KILL_AFTER, kill_at[0], str(kill_at[1])] if kill_at else ["-m", "pipelines"]
    return subprocess.Popen([sys.executable, *prefix, *map(str, argv)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def published(build: Path) -> dict[str, bytes]:
    return {p.relative_to(build).as_posix(): p.read_bytes() for p in sorted(build.rglob("*"))
            if p.is_file() and not any(s.startswith(".") for s in p.relative_to(build).parts)}


def assert_resumed_identical(build: Path, reference: Path, run_stats: bool = False) -> None:
    """Every published file equal; with ``run_stats`` the manifest may differ only in the LLM
    traffic of this run (``llm.stats``: a resumed run answers part of the batch from its cache)."""
    assert not [p for p in build.rglob("*") if ".tmp-" in p.name], "a temp file was left"
    got, want = published(build), published(reference)
    assert sorted(got) == sorted(want)
    if run_stats:
        mine, theirs = (json.loads(files.pop("manifest.json")) for files in (got, want))
        assert mine["llm"].pop("stats")["cache_hits"] > 0 and theirs["llm"].pop("stats")
        assert mine == theirs
    assert [k for k in want if got[k] != want[k]] == []


def descendants(root: int) -> set[int]:
    """Live (non-zombie) processes below ``root``, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if stat[0] != "Z":
                parents[int(entry.name)] = int(stat[1])
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    out = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            out.add(pid)
    return out


def kill_when(proc: subprocess.Popen, ready, timeout: float = 240) -> set[int]:
    """SIGKILL ``proc`` once ``ready()`` holds; return its descendants at that moment."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, f"build ended before the kill point: {proc.stderr.read()}"
        assert time.monotonic() < deadline, "kill point never reached"
        time.sleep(0.05)
    children = descendants(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return children


def assert_no_survivors(children: set[int]) -> None:
    deadline = time.monotonic() + 5.0
    while alive(children) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = {pid: _cmdline(pid) for pid in alive(children)}
    assert survivors == {}, "processes outlived the killed build by more than 5 s"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:160]
    except OSError:
        return "?"


# -- finebench: generation and shard writing ------------------------------------------------------

@pytest.fixture(scope="module")
def ava_args() -> list[str | Path]:
    return ["finebench", "build", "--ava-csv", shared_file("ava", "ava_val_v2.2_excerpt.csv"),
            "--labels", shared_file("ava", "ava_action_list_v2.2.pbtxt"), "--excluded",
            shared_file("ava", "ava_val_excluded_timestamps_v2.2.csv"), "--no-progress"]


@pytest.fixture(scope="module")
def finebench_reference(ava_args, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fb_ref")
    assert cli(*ava_args, "--out", out).wait() == 0
    return out / "finebench" / "0.1.0"


@pytest.mark.parametrize("kill_at", [("pipelines.core.workcache:WorkCache.put", 2),
                                     ("pyarrow.parquet:write_table", 1),
                                     ("pipelines.core.manifest:output_files", 0)],
                         ids=["generation", "second_shard", "manifest"])
def test_finebench_killed_then_resumed_is_identical(ava_args, finebench_reference, tmp_path, kill_at) -> None:
    out = tmp_path / "out"
    killed = cli(*ava_args, "--out", out, kill_at=kill_at)
    assert killed.wait() == -signal.SIGKILL
    build = out / "finebench" / "0.1.0"
    assert not (build / "manifest.json").exists()
    resumed = cli(*ava_args, "--out", out)
    assert resumed.wait() == 0, resumed.stderr.read()
    assert_resumed_identical(build, finebench_reference)


# -- timewarp: rendering with two workers (and their ffmpeg children) -----------------------------

@pytest.fixture(scope="module")
def demo_inputs(tmp_path_factory) -> tuple[Path, Path]:
    from pipelines.timewarp.demo import write_demo_inputs

    meta, videos = write_demo_inputs(tmp_path_factory.mktemp("demo"))
    for extra in ("demo_kitchen", "demo_match"):  # two videos keep the suite short
        (meta / f"{extra}.json").unlink()
    return meta, videos


def rendered_units(build: Path) -> dict[str, int]:
    """Videos whose render unit is stored in the work cache -> mtime of their normal clip."""
    stored = {p.name for p in build.glob(".work/*/*.pkl")}
    return {d.name: (d / "normal.mp4").stat().st_mtime_ns for d in sorted((build / "media").glob("*"))
            if hashlib.sha1(f"render/{d.name}".encode()).hexdigest() + ".pkl" in stored}


def test_render_killed_with_workers_then_resumed(demo_inputs, tmp_path) -> None:
    meta, videos = demo_inputs
    args = ["timewarp", "build", "--finevideo", meta, "--videos", videos, "--no-progress"]
    assert cli(*args, "--out", tmp_path / "ref").wait() == 0
    build = tmp_path / "out" / "timewarp" / "0.1.0"
    killed = cli(*args, "--out", tmp_path / "out", "--workers", "2")
    children = kill_when(killed, lambda: (build / "media").is_dir() and bool(rendered_units(build)))
    assert children, "the build had no worker processes to check"
    assert_no_survivors(children)
    finished = rendered_units(build)
    resumed = cli(*args, "--out", tmp_path / "out", "--workers", "2")
    assert resumed.wait() == 0, resumed.stderr.read()
    for video_id, mtime in finished.items():  # finished renders are reused, not redone
        assert (build / "media" / video_id / "normal.mp4").stat().st_mtime_ns == mtime
    assert_resumed_identical(build, tmp_path / "ref" / "timewarp" / "0.1.0")


# -- timewarp: LLM calls ------------------------------------------------------------------------

def _answer(body: dict) -> str:
    import re

    text = user_text(body)
    events = [re.sub(r"^\d+\. ", "", line) for line in
              text.split("order they happen:\n", 1)[1].split("\n\n", 1)[0].splitlines()]
    if "Write " in text:
        count = int(re.search(r"Write (\d+) different questions", text).group(1))
        return json.dumps({"items": [{"question": f"What happens right after {e}?", "answer": e}
                                     for e in events[:count]]})
    asked = re.findall(r"^\d+\. What happens right after (.*)\?$", text.split("same order:\n", 1)[1], re.M)
    return json.dumps({"answers": asked})


def test_llm_build_killed_mid_batch_then_resumed(tmp_path) -> None:
    source = tmp_path / "fv"
    source.mkdir()
    for index in range(12):
        shutil.copy(SHARED_DATA / "finevideo" / f"sample_{index}.json", source)
    env = {"OPENAI_API_KEY": "loopback"}
    key = lambda body: str(zlib.crc32(user_text(body).encode()))  # noqa: E731
    with LoopbackLLMServer(reply=_answer, latency_s=0.3, key_fn=key) as server:
        def args(out: Path) -> list:
            return ["timewarp", "build", "--finevideo", source, "--out", out, "--no-progress", "--llm",
                    "openai", "--base-url", server.base_url, "--llm-concurrency", "2",
                    "--llm-cache-dir", out / "cache"]
        assert cli(*args(tmp_path / "ref"), env=env).wait() == 0
        before = len(server.seen)
        killed = cli(*args(tmp_path / "out"), env=env)
        children = kill_when(killed, lambda: len(server.seen) >= before + 4)
        assert_no_survivors(children)
        resumed = cli(*args(tmp_path / "out"), env=env)
        assert resumed.wait() == 0, resumed.stderr.read()
    assert_resumed_identical(tmp_path / "out" / "timewarp" / "0.1.0", tmp_path / "ref" / "timewarp" / "0.1.0",
                             run_stats=True)
