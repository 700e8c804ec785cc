"""Worker processes exit when their parent dies, even by SIGKILL (no orphan keeps working).

A daemon thread in each worker polls the parent pid; once the parent is gone the worker is
re-parented (its ppid changes) and exits within ``POLL_SECONDS``. ``prctl(PR_SET_PDEATHSIG)`` is
deliberately not used: it fires when the parent *thread* that spawned the worker ends, which would
kill healthy workers spawned from a short-lived thread.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

POLL_SECONDS = 0.5
PR_SET_PDEATHSIG = 1


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(POLL_SECONDS)
    os._exit(1)  # the parent is gone: nobody will collect what this worker produces


def exit_with_parent(parent: int) -> None:
    """Call once at worker start-up (a process-pool initializer) with the pid of the process that
    created the pool: a worker that finishes starting after its parent died exits at once."""
    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), daemon=True, name="exit-with-parent").start()


def kill_with_parent() -> None:
    """``preexec_fn`` for helper programs (ffmpeg): Linux sends them SIGKILL when the thread that
    started them dies. Safe here because that thread waits for the helper until it ends."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
