"""JSON input files, read one way by every recipe.

:func:`parse_json` is ``json.loads`` whose every failure is a ``json.JSONDecodeError``: nesting
too deep for the parser, an integer of thousands of digits and malformed text alike (rows of a
file can then be rejected with one reason). :func:`load_json_file` reads a whole input file: a
missing file, a directory, a named pipe (never opened, so never a hang), bad UTF-8 or bad JSON is
one-line :class:`InputError` naming the file and, for bad JSON, the line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipelines.core.errors import InputError
from pipelines.core.validate import read_text_checked


def parse_json(text: str | bytes) -> Any:
    """``json.loads``; nesting too deep or numbers too long are invalid JSON like any other."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", "", 0) from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise json.JSONDecodeError(str(exc)[:80], "", 0) from None


def load_json_file(path: Path) -> Any:
    """The parsed content of the JSON file at ``path`` (UTF-8, BOM allowed); see the module doc."""
    try:
        return parse_json(read_text_checked(path))
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON ({exc.msg})", line=exc.lineno or None) from None
