"""The client recipes use: ``LLMClient(config, offline=...).run_batch(requests)``."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from pydantic import BaseModel
from tqdm import tqdm

from pipelines.core.errors import ConfigError, FineForgeError
from pipelines.core.llm.cache import ResponseCache
from pipelines.core.llm.config import LLMConfig
from pipelines.core.llm.engine import Engine, Job
from pipelines.core.llm.request import ChatRequest, ChatResult, Usage, build_body, cache_key, check_params
from pipelines.core.llm.stats import FailureLog, LLMStats
from pipelines.core.llm.structured import InvalidOutput, parse_output

OfflineResponder = Callable[[ChatRequest], "str | BaseModel | Mapping[str, Any]"]


class LLMClient:
    """Answers batches of :class:`ChatRequest` in input order; see the package docstring.

    ``offline`` is the recipe's deterministic responder, required when ``config.backend`` is
    ``"offline"``: it gets each request and returns the answer text, a response-model instance or
    a mapping (validated exactly like a server's answer). Offline answers are never cached (they
    change with the code, and cost nothing).
    """

    def __init__(self, config: LLMConfig, *, offline: OfflineResponder | None = None) -> None:
        self.config = config
        self.offline = offline
        if config.backend == "offline" and offline is None:
            raise ConfigError("--llm offline: this stage has no offline generator; use --llm openai")
        self.stats = LLMStats(backend=config.backend, model=config.model if config.backend == "openai"
                              else "offline", price_input_per_1k=config.price_input_per_1k,
                              price_output_per_1k=config.price_output_per_1k)
        self.failures = FailureLog(config.failed_path)
        self.cache = (ResponseCache(config.cache_dir)
                      if config.cache and config.backend == "openai" else None)
        self._engine = Engine(config, self._api_key(), self.stats, self.cache) \
            if config.backend == "openai" else None

    def close(self) -> None:
        """Close the cache segment (also done at garbage collection); the client stays usable."""
        if self.cache is not None:
            self.cache.close()

    def __enter__(self) -> LLMClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _api_key(self) -> str:
        key = os.environ.get(self.config.api_key_env)
        if key:
            return key
        if self.config.base_url is None and not os.environ.get("OPENAI_BASE_URL"):
            raise ConfigError(f"--llm openai: set ${self.config.api_key_env} "
                              "(or --base-url for a local server that needs no key)")
        return "EMPTY"  # vLLM / Ollama / llama.cpp accept any key

    def run_batch(self, requests: Sequence[ChatRequest], *, desc: str | None = None) -> list[ChatResult]:
        """Answer ``requests``; one result per request, in input order, each ok or failed.

        Failures are counted in :attr:`stats`, kept in :attr:`failures` and written to
        ``config.failed_path``. Raises :class:`FineForgeError` only for a run-level problem
        (duplicate keys, an endpoint that refuses every request). ``desc`` shows a tqdm bar.
        One batch at a time per client (not thread-safe). The requests stay in memory while the
        batch runs: pass image-heavy work in chunks (say 1,000 requests).
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.arun_batch(requests, desc=desc))
        with ThreadPoolExecutor(1) as pool:  # called from inside an event loop (e.g. a notebook)
            return pool.submit(asyncio.run, self.arun_batch(requests, desc=desc)).result()

    async def arun_batch(self, requests: Sequence[ChatRequest], *,
                         desc: str | None = None) -> list[ChatResult]:
        seen: set[str] = set()
        for request in requests:  # cheap checks first: a bad batch fails before anything is sent
            if request.key in seen:
                raise FineForgeError(f"LLM batch: request key {request.key!r} appears twice")
            seen.add(request.key)
            check_params(request)
        results: list[ChatResult | None] = [None] * len(requests)
        self._failed_now: dict[int, tuple[ChatResult, list[str], str | None]] = {}
        bar = tqdm(total=len(requests), desc=desc, disable=desc is None or not self.config.progress,
                   unit="req")
        try:
            if self._engine is None:
                for i, request in enumerate(requests):
                    results[i] = self._finish(i, self._answer_offline(request), [], None)
                    bar.update()
            else:
                await self._run_online(requests, results, bar)
        finally:
            bar.close()
            for _, (result, causes, ck) in sorted(self._failed_now.items()):  # input order
                self.failures.add(key=result.key, cause=result.cause or "unknown", error=result.error or "",
                                  attempts=result.attempts, causes=causes, model=self.stats.model,
                                  request_sha256=ck)
            self.failures.flush()
        if (missing := sum(r is None for r in results)) or len(results) != len(requests):
            raise FineForgeError(f"LLM batch: internal error, {missing} request(s) without a result")
        return [r for r in results if r is not None]

    async def _run_online(self, requests: Sequence[ChatRequest], results: list[ChatResult | None],
                          bar: tqdm) -> None:
        """Stream the batch: cache hits are answered while the first misses are already in flight."""
        assert self._engine is not None
        leader_of: dict[str, str] = {}  # cache key -> unit key of the request actually sent
        waiting: dict[str, list[int]] = {}  # cache key -> indices of identical requests
        answered: dict[str, ChatResult] = {}

        def follow(j: int, ck: str, result: ChatResult) -> None:
            self.stats.deduplicated += 1
            copy = replace(result, key=requests[j].key, attempts=0, usage=Usage())
            if not copy.ok:
                copy = replace(copy, error=f"same request as {leader_of[ck]}: {copy.error}")
            results[j] = self._finish(j, copy, [], ck)
            bar.update()

        def jobs() -> Iterator[Job]:
            for i, request in enumerate(requests):
                body = build_body(self.config, request)
                ck = cache_key(body, request.response_model, request.key)
                if ck in answered:
                    follow(i, ck, answered[ck])
                elif ck in leader_of:
                    waiting[ck].append(i)
                elif hit := self._from_cache(request, ck):
                    results[i] = self._finish(i, hit, [], ck)
                    bar.update()
                else:
                    leader_of[ck], waiting[ck] = request.key, []
                    yield Job(i, request, body, ck)

        def done(job: Job, result: ChatResult, causes: list[str]) -> None:
            results[job.index] = self._finish(job.index, result, causes, job.cache_key)
            bar.update()
            answered[job.cache_key] = result
            for j in waiting.pop(job.cache_key):
                follow(j, job.cache_key, result)

        await self._engine.run(jobs(), done)

    def _from_cache(self, request: ChatRequest, ck: str) -> ChatResult | None:
        hit = self.cache.get(ck) if self.cache is not None else None
        if hit is None:
            return None
        text, usage = hit
        try:
            parsed = parse_output(text, request.response_model)
        except InvalidOutput:
            return None
        self.stats.cache_hits += 1
        self.stats.cached_tokens += usage
        return ChatResult(request.key, True, text, parsed, cached=True, usage=usage)

    def _answer_offline(self, request: ChatRequest) -> ChatResult:
        assert self.offline is not None
        try:
            value = self.offline(request)
            if isinstance(value, BaseModel):
                value = value.model_dump_json()
            elif isinstance(value, Mapping):
                value = json.dumps(value, ensure_ascii=False, sort_keys=True)
            parsed = parse_output(value, request.response_model)
        except InvalidOutput as exc:
            return ChatResult(request.key, False, error=str(exc), cause="invalid_output")
        except Exception as exc:  # a bug in the responder fails the unit, visibly, not the run
            return ChatResult(request.key, False, error=f"offline responder: {type(exc).__name__}: {exc}",
                              cause="offline_error")
        return ChatResult(request.key, True, value, parsed)

    def _finish(self, index: int, result: ChatResult, causes: list[str], ck: str | None) -> ChatResult:
        self.stats.requests += 1
        if result.ok:
            self.stats.answered += 1
        else:
            self.stats.failed += 1
            self.stats.failures[result.cause or "unknown"] += 1
            self._failed_now[index] = (result, causes, ck)
        return result
