"""Validation at the edge: checks every recipe applies to what users and input files hand it.

Pure checks return a reason (or ``None``); ``require_*`` helpers raise one-line errors.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field

from pipelines.core.config import StrictModel
from pipelines.core.errors import InputError

SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
MAX_ID_LENGTH = 128  # leaves room for suffixes such as ".shuffled.mp4" under NAME_MAX (255)
INT32_MAX = (1 << 31) - 1  # schema integers (timestamps, person ids) are int32


def version_problem(version: str) -> str | None:
    """Why ``version`` is not a plain ``X.Y.Z`` (it names a folder and a tag), or None."""
    if SEMVER.fullmatch(version):
        return None
    hint = " (drop the leading 'v')" if SEMVER.fullmatch(version.lstrip("vV")) else ""
    return f"version {version[:40]!r} is not a semantic version X.Y.Z such as 1.2.0{hint}"


def _semver(version: str) -> str:
    if (problem := version_problem(version)) is not None:
        raise ValueError(problem)
    return version


Version = Annotated[str, AfterValidator(_semver)]


class BuildOptions(StrictModel):
    """Options every build shares (``--version``, ``--workers``, ``--seed``)."""

    version: Version = "0.1.0"
    workers: int = Field(1, ge=1, le=1024)
    seed: int = Field(0, ge=0, le=2**63 - 1)


def require_version(version: str) -> str:
    if (problem := version_problem(version)) is not None:
        raise InputError(None, problem, key="version")
    return version


def id_problem(unit_id: str) -> str | None:
    """Why ``unit_id`` cannot name files of the build (media folders, frame files), or None."""
    if not unit_id:
        return "empty id"
    if len(unit_id) > MAX_ID_LENGTH:
        return f"id of {len(unit_id)} characters (at most {MAX_ID_LENGTH})"
    if unit_id.startswith("."):
        return "id starts with '.' (hidden files are not published)"
    if any(c in unit_id for c in "/\\\x00") or any(ord(c) < 32 for c in unit_id):
        return "id contains a path separator or a control character"
    if any(unicodedata.category(c) == "Cf" for c in unit_id):  # U+202E would reorder file names as shown
        return "id contains an invisible formatting character (e.g. a right-to-left override)"
    return None


def int_in_range(value: int, low: int = 0, high: int = INT32_MAX) -> bool:
    return low <= value <= high


def require_regular_file(path: Path) -> os.stat_result:
    """``stat`` of ``path`` if it is an existing regular file; else one-line :class:`InputError`
    (missing, directory, FIFO or device, symlink loop, permission). Never opens the file, so a
    named pipe cannot hang the run."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except OSError as err:
        raise InputError(path, f"cannot be read ({err.strerror or type(err).__name__})") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(path, "is a directory, expected a file")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(path, "is not a regular file (named pipe, socket or device)")
    if not os.access(path, os.R_OK):
        raise InputError(path, "cannot be read (permission denied)")
    return info


def require_folder(path: Path, missing: str = "folder not found") -> Path:
    """``path`` if it is a folder this process may list and open files in; else one-line
    :class:`InputError` (``missing`` when absent, "not a folder", "cannot be read")."""
    if not path.exists():
        raise InputError(path, missing)
    if not path.is_dir():
        raise InputError(path, "not a folder")
    if not os.access(path, os.R_OK | os.X_OK):
        raise InputError(path, "cannot be read (permission denied)")
    return path


def read_bytes_checked(path: Path) -> bytes:
    """The bytes of a regular file; any problem is one-line :class:`InputError`."""
    require_regular_file(path)
    try:
        return path.read_bytes()
    except OSError as err:
        raise InputError(path, f"cannot be read ({err.strerror or type(err).__name__})") from None


def read_text_checked(path: Path) -> str:
    """The UTF-8 text of a regular file (a BOM removed); not UTF-8 is one-line :class:`InputError`
    naming the first bad byte, like any problem of :func:`read_bytes_checked`."""
    try:
        return read_bytes_checked(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 text (byte {exc.start})") from None
