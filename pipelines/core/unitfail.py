"""A unit that keeps failing becomes a reasoned rejection (``unit_failed``), never a hang or a crash.

Semantics, identical on every executor (the run contract: same output locally and on Ray):

- A unit whose function raises an ordinary exception (a bug tripped by one odd record, a library
  error on one file) is not retried (units are deterministic: it would raise again). Its executor
  yields a :class:`UnitFailure` in its place, whose ``detail`` is one redacted line
  ``"<exception type>: <first line of the message>"``.
- A unit whose worker process dies (killed, out of memory, a crash in native code) is run again, up
  to ``retries`` more times; when it died on every attempt it becomes a :class:`UnitFailure` with
  :func:`worker_died_detail` (the same text on every executor).
- What is not the unit's own fault still stops the build: a bad input file (``InputError``) and
  every other :class:`~pipelines.core.errors.FineForgeError` (output faults, the build lock...), an
  ``OSError`` that means the output location refused a write, ``MemoryError``, and
  ``KeyboardInterrupt`` / ``SystemExit`` (:func:`stops_build`).

The orchestrator turns a failure into one input of the stage named after the pass, rejected with
reason :data:`REASON`; it is never stored in the work cache, so a resumed build runs it again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pipelines.core.errors import FineForgeError, is_output_fault
from pipelines.core.redact import redact

REASON = "unit_failed"
DEFAULT_RETRIES = 3  # extra attempts of a unit whose worker process died
_DETAIL_CHARS = 200


@dataclass(frozen=True)
class UnitFailure:
    """Yielded by an executor in place of the result of a unit that failed (see module docstring)."""

    detail: str


def stops_build(exc: BaseException) -> bool:
    """Whether ``exc`` raised by a unit must stop the whole build instead of rejecting the unit."""
    return (not isinstance(exc, Exception) or isinstance(exc, FineForgeError | MemoryError)
            or is_output_fault(exc))


def describe(exc: BaseException) -> str:
    """``"<type>: <first line of the message>"``, at most 200 characters of message, redacted."""
    lines = str(exc).strip().splitlines()
    message = lines[0][:_DETAIL_CHARS] if lines else ""
    return redact(f"{type(exc).__name__}: {message}" if message else type(exc).__name__)


def worker_died_detail(attempts: int) -> str:
    return f"worker process died on each of {attempts} attempts"


def run_guarded(fn: Callable[[Any, Any], Any], context: Any, item: Any) -> Any:
    """``fn(context, item)``, or a :class:`UnitFailure` when it raised an exception that does not
    stop the build (those propagate unchanged)."""
    try:
        return fn(context, item)
    except Exception as exc:
        if stops_build(exc):
            raise
        return UnitFailure(describe(exc))
