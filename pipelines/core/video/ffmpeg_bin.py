"""Find and run ffmpeg: no system ffmpeg or ffprobe is needed.

Contract:
- :func:`ffmpeg_exe` is ``$FINEFORGE_FFMPEG`` when set, else the binary shipped in the
  ``imageio-ffmpeg`` wheel (a system ffmpeg is never picked up implicitly, so every machine runs
  the same build and renders the same bytes).
- :func:`media_arg` turns a user path into ``file:/absolute/path``: a name starting with ``-`` or
  holding ``:`` can never be read by ffmpeg as an option or a protocol.
- Every command runs its filters on one thread (``BASE_ARGS``); decoders and the encoder are given
  one thread where they are opened (parallelism comes from workers). ffmpeg's pipeline stages
  (demux, decode, filter, encode, mux) still run on their own threads and overlap.
- :func:`run` runs one ffmpeg command with a timeout; a failure, a timeout or a kill raises
  :class:`InputError` naming ``subject`` (the user's file) with a one-line cause.
- :func:`atomic_output` yields a dot-prefixed temporary path next to the output and renames it
  into place only on success; on any error the temporary file is removed.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from pipelines.core.errors import InputError
from pipelines.core.orphans import kill_with_parent

ENV_VAR = "FINEFORGE_FFMPEG"
# One filter thread: parallelism comes from running workers side by side (the decoders and x264
# are set to one thread where they are opened).
BASE_ARGS = ("-nostdin", "-hide_banner", "-nostats", "-filter_threads", "1", "-filter_complex_threads", "1")


def ffmpeg_exe() -> str:
    """Return the ffmpeg executable to run (see module contract)."""
    return _resolve(os.environ.get(ENV_VAR) or None)


@functools.lru_cache(maxsize=4)
def _resolve(override: str | None) -> str:
    if override:
        found = shutil.which(override)
        if not found:
            raise InputError(override, f"${ENV_VAR} names no executable ffmpeg")
        return found
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def media_arg(path: str | Path) -> str:
    """Spell a user path for ffmpeg's command line: ``file:`` plus the absolute path."""
    return "file:" + str(Path(path).absolute())


def default_timeout(media_seconds: float) -> float:
    """A generous timeout (s) for an ffmpeg job touching ``media_seconds`` of video."""
    return 60.0 + 10.0 * max(0.0, media_seconds)


_NOISE = re.compile(r"^\[[^\]]+ @ 0x[0-9a-f]+\]\s*|^\[(?:in|out|vist|aist|vost|aost|dec|enc)#[^\]]*\]\s*")
_GENERIC = ("conversion failed", "error opening", "terminating thread", "task finished",
            "nothing was written", "error while filtering", "exiting normally", "last message repeated")


def summarise(stderr: str, limit: int = 220) -> str:
    """The most telling line of ffmpeg's stderr, stripped of ``[ctx @ 0x..]`` prefixes."""
    lines = [_NOISE.sub("", ln).strip() for ln in stderr.splitlines()]
    lines = [ln for ln in lines if ln]
    telling = [ln for ln in lines if not any(g in ln.lower() for g in _GENERIC)]
    pick = telling[0] if telling else (lines[-1] if lines else "no message")
    pick = re.sub(r"file:/\S+", "<file>", pick)
    return pick[:limit]


def run(args: Sequence[str], *, subject: str | Path, what: str, timeout: float,
        stdout: int | IO[bytes] | None = subprocess.DEVNULL) -> subprocess.CompletedProcess[bytes]:
    """Run ``ffmpeg <args>``; raise InputError(subject, ...) on failure or timeout."""
    cmd = [ffmpeg_exe(), *BASE_ARGS, "-loglevel", "error", *args]
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE,
                              timeout=timeout, check=False, preexec_fn=kill_with_parent)
    except subprocess.TimeoutExpired:
        raise InputError(subject, f"{what}: ffmpeg timed out after {timeout:g} s "
                                  "(unreadable, blocking or very slow input)") from None
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace")
        raise InputError(subject, f"{what}: ffmpeg failed ({summarise(err)})")
    return proc


@contextmanager
def stream(args: Sequence[str], *, subject: str | Path, what: str, timeout: float,
           stdin: int | IO[bytes] | None = subprocess.DEVNULL) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``ffmpeg <args>`` with stdout piped; a watchdog kills it after ``timeout`` s.

    On leaving the block the rest of stdout is drained and the exit status checked: a failure,
    a kill or a timeout raises InputError(subject, ...). If the block raises, ffmpeg is killed.
    """
    cmd = [ffmpeg_exe(), *BASE_ARGS, "-loglevel", "error", *args]
    with tempfile.TemporaryFile() as errf:  # a file, not a pipe: ffmpeg never blocks on stderr
        proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=errf,
                                preexec_fn=kill_with_parent)
        fired = threading.Event()
        timer = threading.Timer(timeout, lambda: (fired.set(), proc.kill()))
        timer.start()
        try:
            yield proc
            if proc.stdin:
                proc.stdin.close()
            assert proc.stdout is not None
            while proc.stdout.read(1 << 20):
                pass
        except BaseException:
            proc.kill()
            raise
        finally:
            timer.cancel()
            if proc.stdin and not proc.stdin.closed:
                proc.stdin.close()
            if proc.stdout:
                proc.stdout.close()
            rc = proc.wait()
        if fired.is_set():
            raise InputError(subject, f"{what}: ffmpeg timed out after {timeout:g} s "
                                      "(unreadable, blocking or very slow input)")
        if rc != 0:
            errf.seek(0)
            err = errf.read().decode("utf-8", "replace")
            raise InputError(subject, f"{what}: ffmpeg failed ({summarise(err)})")


def temp_sibling(out: Path, tag: str = "tmp") -> Path:
    """A fresh dot-prefixed path next to ``out`` that keeps its suffix (ffmpeg picks by suffix)."""
    return out.with_name(f".{out.stem}.{tag}-{secrets.token_hex(4)}{out.suffix}")


@contextmanager
def atomic_output(out: str | Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``out``; rename it to ``out`` on success, delete it on error."""
    out = Path(out).absolute()
    if not out.parent.is_dir():
        raise InputError(out, "output folder does not exist")
    tmp = temp_sibling(out)
    try:
        yield tmp
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def check_readable(path: str | Path) -> Path:
    """Return ``path`` as an absolute Path, or raise InputError if it is no readable, non-empty file."""
    p = Path(path).absolute()
    if not p.exists():
        raise InputError(path, "file not found")
    if p.is_dir():
        raise InputError(path, "is a directory, not a video file")
    if p.is_file() and p.stat().st_size == 0:
        raise InputError(path, "empty file (0 bytes), not a video")
    if not os.access(p, os.R_OK):
        raise InputError(path, "file is not readable (permission denied)")
    return p
