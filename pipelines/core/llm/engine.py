"""The asynchronous sender behind :class:`~pipelines.core.llm.client.LLMClient` (openai back-end).

One ``openai.AsyncOpenAI`` per batch with ``max_retries=0`` (this module's retries are the only
ones, so every attempt is counted). ``2 * max_concurrency`` worker tasks pull requests from a
shared lazy iterator (the first request leaves at once; memory stays bounded for any batch
size); an ``asyncio.Semaphore`` of ``max_concurrency`` is held only around the HTTP call itself,
so workers sleeping in a backoff do not occupy a slot, and at most ``max_concurrency`` requests
are ever in flight.

Requests go through ``AsyncOpenAI.post("/chat/completions", cast_to=bytes, body=...)``, the
documented route for custom requests, rather than ``chat.completions.create``: same client, auth,
base URL, timeouts and typed HTTP errors, but it skips the SDK's TypedDict transform of the
parameters and the model construction of the response, which cost ~1 ms of CPU per request
(measured: 2.4 vs 1.4 ms per request; at concurrency 32 and 50 ms latency, 58 % vs 88 % of the
ideal throughput). The body is parsed here; a body that is not a completion is a retryable
``malformed_response``. The TLS context (CA bundle) is built once per process and shared: the SDK
would otherwise rebuild it for every batch (20-40 ms each).

Cache entries are appended inline, on the event loop, as each answer is validated (a few
microseconds, see :mod:`.cache`; a writer thread cost more in GIL hand-offs than the write itself).
A failed cache write (disk full) is logged and costs only a re-request on the next run.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import logging
import random
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import openai

from pipelines.core.llm.cache import ResponseCache
from pipelines.core.llm.config import LLMConfig
from pipelines.core.llm.ratelimit import RateGate, estimate_tokens
from pipelines.core.llm.request import ChatRequest, ChatResult, Usage
from pipelines.core.llm.retry import LLMFatalError, MalformedResponse, classify, retry_delay
from pipelines.core.llm.stats import LLMStats
from pipelines.core.llm.structured import InvalidOutput, parse_output, repair_turn
from pipelines.core.redact import redact

log = logging.getLogger("pipelines.llm")
_timeout = getattr(asyncio, "timeout", None)  # Python >= 3.11


@functools.lru_cache(maxsize=1)
def shared_ssl_context() -> ssl.SSLContext:
    """The TLS context httpx would build for every client (CA bundle, env), built once per process."""
    import httpx2  # the openai SDK's HTTP library

    return httpx2.create_ssl_context()


@dataclass(frozen=True)
class Job:
    index: int
    request: ChatRequest
    body: dict[str, Any]
    cache_key: str


Done = Callable[[Job, ChatResult, list[str]], None]


class Engine:
    def __init__(self, config: LLMConfig, api_key: str, stats: LLMStats, cache: ResponseCache | None) -> None:
        self.config, self.api_key, self.stats, self.cache = config, api_key, stats, cache
        self.reached = False  # has the endpoint ever answered (any HTTP status)?
        self._rng = random.Random()

    async def run(self, jobs: Iterator[Job], done: Done) -> None:
        """Send every job; ``done(job, result, causes)`` is called once per job, as each ends.

        ``jobs`` is consumed lazily by the workers; no client is created if it yields nothing.
        """
        cfg = self.config
        first = next(jobs, None)
        if first is None:
            return
        todo: Iterator[Job] = itertools.chain([first], jobs)
        http = openai.AsyncOpenAI(
            api_key=self.api_key, base_url=cfg.base_url, max_retries=0, timeout=cfg.timeout_s,
            http_client=openai.DefaultAsyncHttpxClient(verify=shared_ssl_context()))
        self._sem = asyncio.Semaphore(cfg.max_concurrency)
        self._gate = RateGate(cfg.rpm, cfg.tpm)

        async def worker() -> None:
            for job in todo:
                result, causes = await self._one(http, job)
                done(job, result, causes)

        tasks = [asyncio.ensure_future(worker()) for _ in range(2 * cfg.max_concurrency)]
        try:
            finished, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in finished:
                task.result()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await http.close()

    async def _one(self, http: openai.AsyncOpenAI, job: Job) -> tuple[ChatResult, list[str]]:
        cfg, model = self.config, job.request.response_model
        body, usage, causes = job.body, Usage(), []
        transport_retries = invalid_retries = 0
        while True:
            estimate = estimate_tokens(body["messages"], body.get("max_tokens"))
            async with self._sem:
                await self._gate.acquire(estimate)
                self.stats.sent += 1
                try:
                    text, got = await self._send(http, body)
                    failure = None
                except Exception as exc:  # classify() re-raises anything it does not know
                    failure = classify(exc)
            if failure is None:
                usage += got
                self.stats.tokens += got
                self._gate.settle(estimate, got.prompt_tokens + got.completion_tokens)
                try:
                    parsed = parse_output(text, model)
                except InvalidOutput as exc:
                    cause = "empty_output" if not (text or "").strip() else "invalid_output"
                    causes.append(cause)
                    if invalid_retries >= cfg.max_invalid_retries:
                        return self._failed(job, cause, str(exc), causes, usage), causes
                    invalid_retries += 1
                    self.stats.retries[cause] += 1
                    if model is not None:
                        body = {**body, "messages": [*body["messages"], *repair_turn(text, str(exc))]}
                    continue
                if self.cache is not None:
                    try:
                        self.cache.put(job.cache_key, text or "", usage, cfg.model)
                    except OSError as exc:
                        log.warning("LLM cache write failed (%s): %s", job.cache_key, exc)
                return ChatResult(job.request.key, True, text, parsed, attempts=len(causes) + 1,
                                  usage=usage), causes
            causes.append(failure.cause)
            if failure.fatal:
                raise LLMFatalError(f"LLM endpoint {cfg.base_url or 'OpenAI'} refused request "
                                    f"{job.request.key} (model {cfg.model}): {failure.message}")
            if not failure.retryable or transport_retries >= cfg.max_retries:
                if failure.cause == "connection" and not self.reached:
                    raise LLMFatalError(f"cannot reach LLM endpoint {cfg.base_url or 'OpenAI'}: "
                                        f"{failure.message} ({len(causes)} attempts)")
                return self._failed(job, failure.cause, failure.message, causes, usage), causes
            if failure.retry_after is not None and failure.retry_after > cfg.max_retry_after_s:
                # waiting that long would stall the whole batch: fail this unit with the reason
                return self._failed(job, "retry_after_too_long",
                                    f"server asked to wait {failure.retry_after:g} s, more than "
                                    f"max_retry_after_s={cfg.max_retry_after_s:g} "
                                    f"(--llm-max-retry-after); {failure.message}", causes, usage), causes
            if failure.retry_after is not None:
                self._gate.pause(failure.retry_after)
            delay = retry_delay(transport_retries, base_s=cfg.backoff_base_s, max_s=cfg.backoff_max_s,
                                retry_after=failure.retry_after, max_retry_after_s=cfg.max_retry_after_s,
                                rng=self._rng)
            transport_retries += 1
            self.stats.retries[failure.cause] += 1
            await asyncio.sleep(delay)

    async def _send(self, http: openai.AsyncOpenAI, body: dict[str, Any]) -> tuple[str | None, Usage]:
        """One HTTP attempt: the answer text (None if the model gave none) and its token usage."""
        deadline = self.config.timeout_s * 1.5 + 1.0  # hard stop even for a server that drips bytes
        try:
            if _timeout is not None:  # no extra task per request (asyncio.wait_for creates one)
                async with _timeout(deadline):
                    raw = await http.post("/chat/completions", cast_to=bytes, body=body)
            else:
                raw = await asyncio.wait_for(http.post("/chat/completions", cast_to=bytes, body=body),
                                             timeout=deadline)
        except openai.APIStatusError:
            self.reached = True
            raise
        self.reached = True
        try:
            data = json.loads(raw)
            message = data["choices"][0]["message"]
            usage = data.get("usage") or {}
            got = Usage(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0))
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            head = raw[:80].decode(errors="replace")
            raise MalformedResponse(f"response is not a chat completion: {head!r}") from None
        content = message.get("content") if isinstance(message, dict) else None
        return (redact(content) if isinstance(content, str) else None), got  # an echoed key stops here

    def _failed(self, job: Job, cause: str, error: str, causes: list[str], usage: Usage) -> ChatResult:
        return ChatResult(job.request.key, False, error=redact(error), cause=cause, attempts=len(causes),
                          usage=usage)
