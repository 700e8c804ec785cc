"""One build per folder, leftovers of killed runs removed, and output faults named as such.

Disk-full and read-only outputs are tested twice: with errors injected at the OS calls (always),
and on a real tiny tmpfs when the runner may mount one (root on Linux; skipped otherwise).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.core.buildlock import build_lock
from pipelines.core.errors import InputError
from pipelines.timewarp.demo import write_demo_inputs
from tests.badinput import run_cli
from tests.conftest import REPO, excerpt_head, shared_file

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return excerpt_head(tmp_path_factory.mktemp("small"), 60)


def finebench(out: Path, csv: Path, *extra: str):
    # --max-key-ratio 1: a 60-row input is too small to balance keys; these tests are about I/O
    return run_cli("finebench", "build", "--out", out, "--ava-csv", csv, "--labels",
                   shared_file("ava", "ava_action_list_v2.2.pbtxt"), "--no-progress",
                   "--max-key-ratio", "1", *extra)


# -- the lock -------------------------------------------------------------------------------------

def test_second_build_and_push_fail_at_once_while_a_build_holds_the_folder(tmp_path, small_csv) -> None:
    build_dir = tmp_path / "out" / "finebench" / "0.1.0"
    with build_lock(build_dir):
        line = finebench(tmp_path / "out", small_csv).assert_one_line_error(str(build_dir), "in use by build")
        assert f"pid {os.getpid()}" in line
        push = run_cli("finebench", "push", "--hub-repo", "o/n", "--version", "0.1.0", "--out",
                       tmp_path / "out", "--dry-run")
        push.assert_one_line_error("in use by build")
    assert not (build_dir / "manifest.json").exists()  # the refused build wrote nothing
    assert finebench(tmp_path / "out", small_csv).status == 0  # released on exit


HOLD = ("import sys, time; from pathlib import Path; from pipelines.core.buildlock import build_lock\n"
        "with build_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(120)\n")


def test_lock_of_a_killed_run_is_stale_and_taken_over(tmp_path, small_csv) -> None:
    """A concurrent build in another process is refused; once that process is SIGKILLed its lock
    is recognised as stale and the next build runs (and says the previous one did not finish)."""
    build_dir = tmp_path / "out" / "finebench" / "0.1.0"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(build_dir)], cwd=REPO,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        finebench(tmp_path / "out", small_csv).assert_one_line_error(f"pid {holder.pid}")
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    outcome = finebench(tmp_path / "out", small_csv)
    assert outcome.status == 0 and "did not finish (killed?)" in outcome.stderr


def test_temp_files_of_earlier_runs_are_removed_at_start(tmp_path, small_csv) -> None:
    build_dir = tmp_path / "out" / "finebench" / "0.1.0"
    leftovers = [build_dir / ".manifest.json.tmp-4242", build_dir / "data/mcq/.test-00000-of-00001"
                 ".parquet.tmp-77", build_dir / "media/v/.normal.tmp-1a2b3c4d.mp4"]
    for path in leftovers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 1000)
    assert finebench(tmp_path / "out", small_csv).status == 0
    assert not [p for p in build_dir.rglob("*") if ".tmp-" in p.name]


# -- injected output faults -----------------------------------------------------------------------

def _failing(real, code: int, under: Path, after: int = 0):
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        target = str(args[-1] if real is os.replace else args[0])
        if target.startswith(str(under)):
            calls["n"] += 1
            if calls["n"] > after:
                raise OSError(code, os.strerror(code), target)
        return real(*args, **kwargs)
    return wrapper


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES])
@pytest.mark.parametrize("after", [0, 3, 12])
def test_refused_write_stops_with_one_line_naming_the_output(tmp_path, small_csv, monkeypatch, code,
                                                            after) -> None:
    out = tmp_path / "out"
    (out / "finebench" / "0.1.0").mkdir(parents=True)
    monkeypatch.setattr(os, "replace", _failing(os.replace, code, out, after))
    line = finebench(out, small_csv).assert_one_line_error("cannot write", str(out), os.strerror(code))
    assert "Traceback" not in line
    assert not (out / "finebench" / "0.1.0" / "manifest.json").exists()


def test_read_only_output_folder_is_one_line(tmp_path, small_csv, monkeypatch) -> None:
    out = tmp_path / "out"
    monkeypatch.setattr(os, "mkdir", _failing(os.mkdir, errno.EROFS, out))
    finebench(out, small_csv).assert_one_line_error("cannot write", "Read-only file system")


def test_render_failing_for_lack_of_space_is_an_output_error_not_a_bad_video(tmp_path, monkeypatch) -> None:
    """ffmpeg reports a full disk as a failed render: it must stop the build, not reject the
    video as ``video_unreadable`` (which would blame the source and publish an empty dataset)."""
    from pipelines.timewarp import render

    meta, videos = write_demo_inputs(tmp_path / "inputs")

    def full_disk(src, segments, out, **_):
        raise InputError(src, "render: ffmpeg failed (av_interleaved_write_frame(): No space left on device)")

    monkeypatch.setattr(render, "assemble", full_disk)
    outcome = run_cli("timewarp", "build", "--out", tmp_path / "out", "--finevideo", meta, "--videos",
                      videos, "--no-progress")
    outcome.assert_one_line_error("cannot write", "media", "No space left on device")
    assert not (tmp_path / "out/timewarp/0.1.0/manifest.json").exists()


# -- real tiny file systems -----------------------------------------------------------------------

@contextlib.contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root); the injected-error tests cover this")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.skipif(not sys.platform.startswith("linux") or os.geteuid() != 0, reason="needs root")
def test_full_and_read_only_tmpfs(tmp_path, small_csv) -> None:
    with tmpfs(tmp_path / "full", "48k") as full:
        finebench(full, small_csv).assert_one_line_error("cannot write", str(full), "No space left")
    with tmpfs(tmp_path / "ro", "1m") as ro:
        subprocess.run(["mount", "-o", "remount,ro", str(ro)], check=True)
        finebench(ro, small_csv).assert_one_line_error("cannot write", str(ro), "Read-only file system")


@pytest.mark.skipif(not sys.platform.startswith("linux") or os.geteuid() != 0, reason="needs root")
def test_render_into_a_full_tmpfs_stops_the_build(tmp_path) -> None:
    meta, videos = write_demo_inputs(tmp_path / "inputs")
    with tmpfs(tmp_path / "full", "400k") as full:
        outcome = run_cli("timewarp", "build", "--out", full, "--finevideo", meta, "--videos", videos,
                          "--no-progress")
        outcome.assert_one_line_error("cannot write", str(full))
        assert "video_unreadable" not in outcome.stderr
