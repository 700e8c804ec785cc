"""Persistent content-addressed cache of validated LLM answers: append-only segment logs.

Layout: ``<cache_dir>/v1/<segment>.jsonl``, one segment per writing process (named
``<time_ns>-<pid>-<random>``), one line per answer: ``<sha256 key>\\t<JSON>\\n`` where the JSON
is ``{"key", "model", "text", "usage": {"prompt_tokens", "completion_tokens"}}``. Only answers
that passed validation are written. On the first lookup the client reads every segment once into
an in-memory index ``key -> (segment, offset, length)`` (later segments win); a hit is one
``pread``.

Why this and not one file per answer or SQLite: appending a line to an open file costs ~3 us,
while creating and renaming a file costs 0.07-0.2 ms of blocking file-system work per answer
(measured on ext4; far more under I/O load), which at hundreds of answers per second was the
largest client-side cost. Each process appends only to its own segment, so writers never share a
file and need no lock, even on NFS (SQLite needs a writer lock, "database is locked" under many
processes, and is unsafe on NFS). A process killed mid-write leaves at most a torn last line,
which has no newline and is ignored; an unparsable entry is a miss and is written again. Entries
written by other processes after the index was read are seen by the next client, not this one.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
import weakref
from pathlib import Path

from pipelines.core.errors import ConfigError
from pipelines.core.llm.request import CACHE_VERSION, Usage

_KEY_LEN = 64


class ResponseCache:
    """Thread-safe; ``get`` never raises on a damaged entry; call :meth:`close` when done."""

    def __init__(self, root: Path) -> None:
        self.dir = Path(root) / f"v{CACHE_VERSION}"
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"{root}: cannot create the LLM cache directory: {exc}") from None
        self._index: dict[str, tuple[str, int, int]] | None = None
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._pid = 0
        self._size = 0
        self._segment = ""
        self._finalizer: weakref.finalize | None = None

    def _load(self) -> dict[str, tuple[str, int, int]]:
        index: dict[str, tuple[str, int, int]] = {}
        for segment in sorted(self.dir.glob("*.jsonl")):
            try:
                data = segment.read_bytes()
            except OSError:
                continue
            offset = 0
            for line in data.split(b"\n")[:-1]:  # the last piece is b"" or a torn tail
                if len(line) > _KEY_LEN + 1 and line[_KEY_LEN:_KEY_LEN + 1] == b"\t":
                    key = line[:_KEY_LEN].decode("ascii", "replace")
                    index[key] = (str(segment), offset + _KEY_LEN + 1, len(line) - _KEY_LEN - 1)
                offset += len(line) + 1
        return index

    def get(self, key: str) -> tuple[str, Usage] | None:
        """The cached ``(text, usage)`` for ``key``, or None (missing or unreadable)."""
        with self._lock:
            if self._index is None:
                self._index = self._load()
            where = self._index.get(key)
        if where is None:
            return None
        path, offset, length = where
        try:
            with open(path, "rb") as handle:
                handle.seek(offset)
                entry = json.loads(handle.read(length))
            if entry["key"] != key or not isinstance(entry["text"], str):
                return None
            usage = entry.get("usage") or {}
            return entry["text"], Usage(int(usage.get("prompt_tokens", 0)),
                                        int(usage.get("completion_tokens", 0)))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, text: str, usage: Usage, model: str) -> None:
        """Append a validated answer to this process's segment (raises OSError, e.g. disk full)."""
        tokens = {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens}
        entry = {"key": key, "model": model, "text": text, "usage": tokens}
        line = f"{key}\t{json.dumps(entry, ensure_ascii=False, sort_keys=True)}\n".encode()
        with self._lock:
            if self._fd is None or self._pid != os.getpid():  # first write, or a forked child
                self._open_segment()
            assert self._fd is not None
            try:
                written = 0
                while written < len(line):
                    written += os.write(self._fd, line[written:])
            except OSError:
                self.close_segment()  # the torn line stays the last one of that segment
                raise
            if self._index is not None:
                self._index[key] = (self._segment, self._size + _KEY_LEN + 1, len(line) - _KEY_LEN - 2)
            self._size += len(line)

    def _open_segment(self) -> None:
        self._pid = os.getpid()
        name = f"{time.time_ns():020d}-{self._pid}-{secrets.token_hex(4)}.jsonl"
        self._segment = str(self.dir / name)
        self._fd = os.open(self._segment, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        self._size = 0
        self._finalizer = weakref.finalize(self, os.close, self._fd)

    def close_segment(self) -> None:
        if self._finalizer is not None and self._pid == os.getpid():
            self._finalizer()
        self._fd, self._finalizer = None, None

    def close(self) -> None:
        with self._lock:
            self.close_segment()
