"""Tell output faults from input faults when a helper program (ffmpeg, an encoder) fails.

ffmpeg reports "No space left on device" on a full output disk as a failed render, which the
recipes would otherwise record as the *source* video being unreadable. :func:`media_output` wraps
one unit's media writing: a failure while the output location is full, read-only or not writable
(or whose message says so) becomes :class:`OutputError` and stops the build, naming the folder.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from pipelines.core.errors import InputError, OutputError, is_output_fault

MIN_FREE_BYTES = 4 << 20  # below this a render cannot finish
_WRITE_FAULT_TEXT = ("No space left on device", "Read-only file system", "Disk quota exceeded",
                     "File too large")


def _existing(folder: Path) -> Path:
    folder = folder.absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def output_problem(folder: Path) -> str | None:
    """Why ``folder`` cannot take more output (read-only, full, not writable), or None."""
    here = _existing(folder)
    try:
        fs = os.statvfs(here)
    except OSError:
        return None
    if fs.f_flag & os.ST_RDONLY:
        return "read-only file system"
    free = fs.f_bavail * fs.f_frsize
    if free < MIN_FREE_BYTES:
        return f"no space left on device ({free} bytes free)"
    if not os.access(here, os.W_OK):
        return "permission denied"
    return None


def write_fault(folder: Path, exc: InputError) -> str | None:
    """The output fault behind a helper's failure ``exc`` while writing into ``folder``, or None."""
    problem = output_problem(folder)
    if problem is None:
        problem = next((text for text in _WRITE_FAULT_TEXT if text in exc.problem), None)
    return problem


@contextlib.contextmanager
def media_output(folder: Path) -> Iterator[None]:
    """Around writing one unit's media into ``folder``: output faults raise :class:`OutputError`;
    genuine input faults (:class:`InputError`) pass through unchanged. A location that is already
    full or read-only is refused before starting (ffmpeg can spin until its timeout on a full disk)."""
    if (problem := output_problem(folder)) is not None:
        raise OutputError(folder, problem)
    try:
        yield
    except InputError as exc:
        if (problem := write_fault(folder, exc)) is not None:
            raise OutputError(folder, problem) from None
        raise
    except OSError as err:
        if is_output_fault(err):
            raise OutputError.from_os_error(folder, err) from None
        raise
