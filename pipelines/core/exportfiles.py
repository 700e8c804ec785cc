"""Export files that grow as rows arrive (a streamed build writes its exports unit by unit).

:class:`ExportFiles` is a context manager over files under one folder. Each streamed file lives
under a temporary name while it grows; a clean exit completes them (closes JSON arrays), renames
them all, then writes the files given whole (:meth:`ExportFiles.text`). An exit on an error
removes every temporary file and renames none, so a failed build leaves no partial export.

The line formats are the whole-list ones, byte for byte: :class:`JsonList` writes what
``json_list`` gives (a JSON array, one record per line), :meth:`ExportFiles.jsonl` what
``core.evalformats.jsonl_text`` gives, :meth:`ExportFiles.tsv` what ``core.evalformats.tsv_text``
gives (tab-separated, minimal quoting).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from pipelines.core.atomic import atomic_open, write_text
from pipelines.core.evalformats import TSV_DIALECT, jsonl_text


def json_list(records: Sequence[Mapping[str, Any]]) -> str:
    """A whole JSON array with one record per line (what :class:`JsonList` writes as it grows)."""
    body = ",\n".join(json.dumps(r, ensure_ascii=False) for r in records)
    return "[\n" + body + ("\n" if records else "") + "]\n"


class JsonList:
    """A JSON array, one record per line, written as it grows (same text as :func:`json_list`)."""

    def __init__(self, handle: IO[str]) -> None:
        self.handle, self.empty = handle, True
        handle.write("[\n")

    def add(self, records: Iterable[Mapping[str, Any]]) -> None:
        for record in records:
            self.handle.write(("" if self.empty else ",\n") + json.dumps(record, ensure_ascii=False))
            self.empty = False

    def close(self) -> None:
        self.handle.write(("" if self.empty else "\n") + "]\n")


class JsonLines:
    """One compact JSON object per line, keys in the given order (same text as ``jsonl_text``)."""

    def __init__(self, handle: IO[str]) -> None:
        self.handle = handle

    def add(self, records: Iterable[Mapping[str, Any]]) -> None:
        self.handle.write(jsonl_text(records))


class ExportFiles:
    """Context manager: open streamed files with :meth:`json_list`, :meth:`jsonl`, :meth:`tsv` or
    :meth:`handle`; give whole files with :meth:`text`. ``files`` lists every file written, in the
    order they were named (streamed and whole), once the block exited cleanly."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.files: list[Path] = []
        self._named: list[Path] = []
        self._lists: list[JsonList] = []
        self._texts: dict[Path, str] = {}
        self._stack = ExitStack()

    def __enter__(self) -> ExportFiles:
        return self

    def handle(self, name: str) -> IO[str]:
        """A text handle on ``out/name`` under its temporary name."""
        path = self.out / name
        self._named.append(path)
        return self._stack.enter_context(atomic_open(path))

    def json_list(self, name: str) -> JsonList:
        writer = JsonList(self.handle(name))
        self._lists.append(writer)
        return writer

    def jsonl(self, name: str) -> JsonLines:
        return JsonLines(self.handle(name))

    def tsv(self, name: str, header: Sequence[str]) -> Any:
        """A ``csv`` writer on ``out/name`` with ``header`` already written."""
        writer = csv.writer(self.handle(name), **TSV_DIALECT)
        writer.writerow(header)
        return writer

    def text(self, name: str, text: str) -> None:
        """``out/name`` written whole, after the streamed files are complete."""
        path = self.out / name
        self._named.append(path)
        self._texts[path] = text

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if kind is not None:  # every temporary file is removed, none renamed
            self._stack.__exit__(kind, error, trace)
            return
        try:
            for writer in self._lists:
                writer.close()
        except BaseException as failure:
            self._stack.__exit__(type(failure), failure, failure.__traceback__)
            raise
        self._stack.close()
        for path, text in self._texts.items():
            write_text(path, text)
        self.files = list(dict.fromkeys(self._named))
