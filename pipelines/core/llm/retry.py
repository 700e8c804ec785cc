"""Retry policy: which failures are retried, how long to wait, which ones stop the run.

==============================  =====================  ===============================
outcome                         cause (reason code)    policy
==============================  =====================  ===============================
HTTP 429, 408, 409, 5xx         ``http_<status>``      retry (transport budget)
timeout (client-side)           ``timeout``            retry (transport budget)
connection refused/reset        ``connection``         retry (transport budget)
2xx body not a completion       ``malformed_response`` retry (transport budget)
empty / invalid answer          ``empty_output``,      retry with a repair turn
                                ``invalid_output``     (``max_invalid_retries``)
other 4xx (400, 413, 422, ...)  ``http_<status>``      no retry: the request is failed
401, 403, 404                   --                     fatal: the whole run stops
==============================  =====================  ===============================

Wait before retry *n* (0-based): the server's ``retry-after-ms`` / ``Retry-After`` (seconds or an
HTTP date) when present, capped at ``max_retry_after_s`` and stretched by up to 10 % jitter;
otherwise exponential backoff with "equal jitter": ``d = min(cap, base * 2**n)``, wait uniform in
``[d/2, d]`` (always backs off, never synchronises clients). Jitter only affects timing, never
answers, so it uses an unseeded generator.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass

import openai

from pipelines.core.errors import FineForgeError
from pipelines.core.redact import redact

RETRYABLE_STATUS = frozenset({408, 409, 429})
FATAL_STATUS = frozenset({401, 403, 404})


class LLMFatalError(FineForgeError):
    """The endpoint refuses every request (bad key, model or URL): retrying cannot help.
    The message is redacted: an endpoint may echo the key back in its error body."""

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))


class MalformedResponse(Exception):
    """A 2xx response whose body is not a chat completion."""


@dataclass(frozen=True)
class Failure:
    cause: str
    message: str
    retryable: bool
    fatal: bool = False
    retry_after: float | None = None


def classify(exc: BaseException) -> Failure:
    """Map an exception raised while sending one request to a :class:`Failure`."""
    if isinstance(exc, openai.APITimeoutError | asyncio.TimeoutError | TimeoutError):
        return Failure("timeout", "request timed out", retryable=True)
    if isinstance(exc, openai.APIConnectionError):
        return Failure("connection", f"connection error: {exc}", retryable=True)
    if isinstance(exc, MalformedResponse):
        return Failure("malformed_response", str(exc), retryable=True)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        message = f"HTTP {status}: {_one_line(exc.message)}"
        return Failure(f"http_{status}", message, retryable=status in RETRYABLE_STATUS or status >= 500,
                       fatal=status in FATAL_STATUS, retry_after=parse_retry_after(exc.response.headers))
    raise exc


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds from ``retry-after-ms`` or ``Retry-After`` (delta-seconds or HTTP date), else None."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except ValueError:
            try:
                date = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                continue
            seconds = date.timestamp() - (time.time() if now is None else now)
        if seconds == seconds and seconds != float("inf"):  # not NaN / inf
            return max(0.0, seconds)
    return None


def retry_delay(retry_index: int, *, base_s: float, max_s: float, retry_after: float | None,
                max_retry_after_s: float, rng: random.Random) -> float:
    """Seconds to wait before retry number ``retry_index`` (0-based); see the module docstring."""
    if retry_after is not None:
        return min(retry_after, max_retry_after_s) * (1.0 + 0.1 * rng.random())
    cap = min(max_s, base_s * 2.0 ** min(retry_index, 60))
    return cap / 2 + rng.random() * cap / 2


def _one_line(text: str) -> str:
    return " ".join(str(text).split())[:300]
