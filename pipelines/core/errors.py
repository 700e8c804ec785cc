"""Error types shared by every recipe.

Contract: a bad *file* stops the run with :class:`InputError`, whose ``str()`` is one line naming
the file, the line (or key) and the problem. The CLI prints that line and exits with status 2,
never a traceback. A bad *row* is never an exception: it becomes a rejection with a reason code.
"""

from __future__ import annotations

from pathlib import Path


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

    def one_line(self) -> str:
        where = self.path or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        if self.key is not None:
            where += f" [{self.key}]"
        return f"{where}: {self.problem}".replace("\n", " ")


class ConfigError(FineForgeError):
    """Invalid parameters (unknown field, out-of-range value)."""


class UnitFailed(FineForgeError):
    """A unit's task failed on every attempt on a distributed executor (worker lost repeatedly,
    or the unit raised there). Printed as one line; finished units stay in the work cache, so a
    re-run resumes."""

    def __init__(self, unit: str, cause: str) -> None:
        self.unit = unit
        self.cause = cause
        super().__init__(f"unit {unit} failed after retries: {cause}")
