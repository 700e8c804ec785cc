"""One process at a time per build folder: an exclusive lock held for a whole build or push.

``<build folder>/.lock`` is locked with ``flock``; the kernel releases the lock when its holder
exits for any reason (SIGKILL included), so a lock left by a killed run is stale by construction
and the next run simply takes it (and says so). The file records the holder's pid, action and
start time only to name it in the refusal message.

On entry the lock also removes hidden temporary files left by earlier, killed runs (``.name.tmp-*``
written by the atomic writers): while we hold the lock no other process can be writing them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from pipelines.core.errors import FineForgeError, OutputError, is_output_fault

LOCK_NAME = ".lock"
TEMP_MARK = ".tmp-"


class BuildLockedError(FineForgeError):
    """Another FineForge process holds the build folder."""


def _holder(lock_file: Path) -> str:
    try:
        info = json.loads(lock_file.read_text(encoding="utf-8"))
        started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(float(info["started"])))
        return f"{info['action']} (pid {int(info['pid'])}, started {started})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another FineForge process"


def stale_temp_files(folder: Path) -> list[Path]:
    """Hidden temporary files (``.<name>.tmp-<tag>``) anywhere below ``folder``."""
    return sorted(p for p in folder.rglob(f".*{TEMP_MARK}*") if p.is_file() or p.is_symlink())


def require_folder_path(folder: Path) -> None:
    """:class:`OutputError` when a file stands where ``folder`` or one of its parents must be a
    folder (``--out`` naming a file); creates nothing."""
    blocker = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise OutputError(folder, f"{blocker} is a file, not a folder")


def make_build_folder(build_dir: Path) -> None:
    """Create ``build_dir`` (and its parents). A file standing where a folder must be, or a
    location that refuses writes, is :class:`OutputError` naming the path."""
    require_folder_path(build_dir)
    try:
        build_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        if not is_output_fault(err):
            raise
        raise OutputError.from_os_error(build_dir, err) from None


@contextlib.contextmanager
def build_lock(build_dir: Path, action: str = "build", *, create: bool = True) -> Iterator[Path]:
    """Hold ``build_dir`` exclusively for ``action``; raise :class:`BuildLockedError` at once if
    another process holds it. With ``create`` the folder is made first (a build); without, a
    missing folder is left for the caller to report (a push)."""
    if create:
        make_build_folder(build_dir)
    try:
        if not create and not build_dir.is_dir():
            yield build_dir
            return
        lock_file = build_dir / LOCK_NAME
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        if not is_output_fault(err):
            raise
        if create:
            raise OutputError.from_os_error(build_dir, err) from None
        yield build_dir  # a read-only folder: nobody can be building into it
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildLockedError(f"{build_dir} is in use by {_holder(lock_file)}; wait for it to "
                                   f"finish or stop it, then run {action} again") from None
        previous = _holder(lock_file) if os.fstat(fd).st_size else None
        if previous and previous != "another FineForge process":
            print(f"note: {build_dir}: the previous {previous} did not finish (killed?); resuming",
                  file=sys.stderr)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "action": action, "started": time.time()})
                  .encode(), 0)
        for leftover in stale_temp_files(build_dir):
            leftover.unlink(missing_ok=True)
        try:
            yield build_dir
        except Exception:
            os.ftruncate(fd, 0)  # stopped by an error: it finished, it was not killed
            raise
        os.ftruncate(fd, 0)  # a clean exit leaves an empty lock file: nothing to report next time
    finally:
        os.close(fd)  # closing releases the flock
