"""Atomic file writes: write to a hidden temporary name beside the target, then rename.

A killed run therefore never leaves a partial file under its final name (its hidden temporary
is removed by the next run, see :mod:`pipelines.core.buildlock`). A write the output location
refuses (disk full, read-only, permission) raises :class:`OutputError` naming the path.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from pipelines.core.errors import OutputError, is_output_fault


def temp_path_for(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


@contextlib.contextmanager
def atomic_open(path: Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
    """Open a temporary file; on clean exit rename it to ``path``, on error delete it."""
    tmp = temp_path_for(path)
    kwargs: dict[str, Any] = {} if "b" in mode else {"encoding": encoding, "newline": "\n"}
    with output_faults(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(tmp, mode, **kwargs) as handle:
                yield handle
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            raise


@contextlib.contextmanager
def output_faults(path: Path) -> Iterator[None]:
    """Turn an OSError that means "this location refuses writes" into :class:`OutputError`."""
    try:
        yield
    except OSError as err:
        if is_output_fault(err):
            raise OutputError.from_os_error(path, err) from None
        raise


# Most bytes (or characters) per write call: the kernel copies a large buffer into the page cache
# several times slower than the same bytes in 1 MiB calls (measured on the shared VM: a finebench
# build's 145 MB of exports, written 10-20 MB a call, cost 0.2-0.3 s more system time).
WRITE_SLICE = 1 << 20


def write_sliced(handle: IO[Any], data: Any) -> None:
    """``handle.write(data)`` in :data:`WRITE_SLICE` pieces; ``data``: text, or any object with
    the buffer protocol (bytes, memoryview, pyarrow.Buffer)."""
    view = data if isinstance(data, str) else memoryview(data).cast("B")
    for start in range(0, len(view), WRITE_SLICE):
        handle.write(view[start:start + WRITE_SLICE])


def write_text(path: Path, text: str) -> None:
    with atomic_open(path) as handle:
        write_sliced(handle, text)


def write_bytes(path: Path, data: bytes) -> None:
    with atomic_open(path, "wb") as handle:
        write_sliced(handle, data)


def write_json(path: Path, obj: Any) -> None:
    """Stable JSON (sorted keys, 2-space indent, trailing newline)."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with atomic_open(path) as handle:
        for row in rows:
            handle.write(json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n")
