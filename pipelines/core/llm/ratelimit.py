"""Client-side rate limiting: requests per minute, tokens per minute, and server-ordered pauses.

Both limits are token buckets refilled continuously at ``limit / 60`` per second whose capacity
is one second of budget (at least one request, resp. one token): the client never sends the
whole minute's budget in one burst, which providers that meter sub-minute windows would reject.
Admission waits until the bucket holds ``min(cost, capacity)`` and then takes ``cost``; a request
larger than the capacity therefore drives the bucket into debt that later requests wait out, so
the long-run rate holds and an oversized request can never wait forever.

Token costs are estimated before sending (:func:`estimate_tokens`: characters / 4, 765 per image,
plus ``max_tokens`` because providers count it against the TPM budget) and corrected with the
reported usage afterwards (:meth:`RateGate.settle`).

A ``Retry-After`` on a 429/503 pauses *every* request of the client (:meth:`RateGate.pause`), not
only the one that received it: the server asked the client to back off. Waiters are served in
arrival order (one lock, held while waiting).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

IMAGE_TOKENS = 765  # OpenAI's high-detail cost of a 512x512 image (85 + 4 * 170)
DEFAULT_COMPLETION_TOKENS = 512


def estimate_tokens(messages: Sequence[Mapping[str, Any]], max_tokens: int | None) -> int:
    chars, images = 0, 0
    for msg in messages:
        content = msg.get("content")
        if isinstance(content, str):
            chars += len(content)
        elif isinstance(content, list):
            for part in content:
                if part.get("type") == "text":
                    chars += len(part.get("text", ""))
                else:
                    images += 1
    return math.ceil(chars / 4) + 4 * len(messages) + IMAGE_TOKENS * images \
        + (max_tokens or DEFAULT_COMPLETION_TOKENS)


class TokenBucket:
    """Continuous token bucket allowing debt (see the module docstring)."""

    def __init__(self, per_minute: float, now: float) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate)
        self.level = self.capacity
        self._t = now

    def _refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self._t) * self.rate)
        self._t = now

    def wait_for(self, cost: float, now: float) -> float:
        """Seconds until ``cost`` may be taken (0 if now)."""
        self._refill(now)
        need = min(cost, self.capacity) - self.level
        return max(0.0, need / self.rate)

    def take(self, cost: float, now: float) -> None:
        self._refill(now)
        self.level -= cost


class RateGate:
    """Admission control shared by all requests of one batch."""

    def __init__(self, rpm: float | None, tpm: float | None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        now = clock()
        self.requests = TokenBucket(rpm, now) if rpm else None
        self.tokens = TokenBucket(tpm, now) if tpm else None
        self.paused_until = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self, tokens: int) -> None:
        """Wait until one request of ``tokens`` estimated tokens may be sent, then account it."""
        if self.requests is None and self.tokens is None and self._clock() >= self.paused_until:
            return
        async with self._lock:
            while (wait := self._wait(tokens)) > 0:
                await asyncio.sleep(wait)
            now = self._clock()
            if self.requests:
                self.requests.take(1, now)
            if self.tokens:
                self.tokens.take(tokens, now)

    def _wait(self, tokens: int) -> float:
        now = self._clock()
        wait = self.paused_until - now
        if self.requests:
            wait = max(wait, self.requests.wait_for(1, now))
        if self.tokens:
            wait = max(wait, self.tokens.wait_for(tokens, now))
        return wait

    def pause(self, seconds: float) -> None:
        """Hold every request for ``seconds`` from now (a server's ``Retry-After``)."""
        self.paused_until = max(self.paused_until, self._clock() + seconds)

    def settle(self, estimated: int, actual: int) -> None:
        """Correct the token bucket once the real usage of a request is known."""
        if self.tokens:
            self.tokens.level = min(self.tokens.capacity, self.tokens.level + estimated - actual)
