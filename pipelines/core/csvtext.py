"""CSV text of input files split into fields without ever raising ``csv.Error``.

The ``csv`` module refuses some text outright (a field longer than its limit of 131,072 characters,
for one). For a file read row by row that is a bad *row*; for a small file read whole it is a bad
*file*. These helpers return ``None`` for the first and raise one-line :class:`InputError` naming
the file and line for the second, so neither surfaces as a traceback.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from pipelines.core.errors import InputError


def split_line(line: str) -> list[str] | None:
    """The fields of one CSV line, or None when the ``csv`` module cannot parse it."""
    try:
        return next(csv.reader([line]), [])
    except csv.Error:
        return None


def csv_problem(line: str) -> str:
    """Why :func:`split_line` returned None for ``line`` (for a rejection detail or an error)."""
    try:
        next(csv.reader([line]), [])
    except csv.Error as err:
        return f"malformed CSV ({err})"
    return "malformed CSV"


def read_rows(path: Path, source: Iterable[str]) -> list[list[str]]:
    """Every record ``csv.reader(source)`` yields; text it refuses is :class:`InputError` naming
    ``path`` and the line the reader had reached."""
    reader = csv.reader(source)
    try:
        return list(reader)
    except csv.Error as err:
        raise InputError(path, f"malformed CSV ({err})", line=reader.line_num) from None
