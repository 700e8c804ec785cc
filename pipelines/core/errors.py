"""Error types shared by every recipe.

Contract: a bad *file* stops the run with :class:`InputError`, whose ``str()`` is one line naming
the file, the line (or key) and the problem. The CLI prints that line and exits with status 2,
never a traceback. A bad *row* is never an exception: it becomes a rejection with a reason code.
A failure to *write* (disk full, read-only, permission denied) is an :class:`OutputError` naming
the output path: it is never blamed on an input.
"""

from __future__ import annotations

import errno
from pathlib import Path

# errno values that mean "the output location cannot take this write", not "the input is bad".
OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT,
                           errno.EFBIG, errno.ENAMETOOLONG})


class FineForgeError(Exception):
    """Base class of errors the CLI reports as one line (exit status 2)."""


class InputError(FineForgeError):
    """A whole input file (or argument) is unusable."""

    def __init__(self, path: str | Path | None, problem: str, *, line: int | None = None,
                 key: str | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.problem = problem
        self.line = line
        self.key = key
        super().__init__(self.one_line())

    def __reduce__(self) -> tuple:  # picklable across worker processes despite the keyword init
        return (_rebuild_input_error, (self.path, self.problem, self.line, self.key))

    def one_line(self) -> str:
        where = self.path or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        if self.key is not None:
            where += f" [{self.key}]"
        return f"{where}: {self.problem}".replace("\n", " ")


def _rebuild_input_error(path: str | None, problem: str, line: int | None, key: str | None) -> InputError:
    return InputError(path, problem, line=line, key=key)


class ConfigError(FineForgeError):
    """Invalid parameters (unknown field, out-of-range value)."""


class OutputError(FineForgeError):
    """The build cannot write ``path`` (no space, read-only, permission): stop, name the path."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"cannot write {self.path}: {problem}".replace("\n", " "))

    def __reduce__(self) -> tuple:
        return (OutputError, (self.path, self.problem))

    @classmethod
    def from_os_error(cls, path: str | Path, err: OSError) -> OutputError:
        return cls(err.filename or path, err.strerror or type(err).__name__)


def is_output_fault(err: BaseException) -> bool:
    """True for an OSError that means the output location refused the write."""
    return isinstance(err, OSError) and err.errno in OUTPUT_ERRNOS
