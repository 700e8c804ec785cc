"""The shared LLM client: an OpenAI-compatible chat client built for batch dataset generation.

Usage (a recipe stage)::

    client = LLMClient(config_from_args(args, failed_path=out / "llm_failed.jsonl"),
                       offline=my_deterministic_answer)         # --llm offline is the default
    results = client.run_batch([ChatRequest(key=unit_key, messages=[...], response_model=QA), ...],
                               desc="timewarp: QA")
    for r in results:                                            # input order, one per request
        if r.ok: use(r.parsed)
        else:    reject(r.key, reason="llm_" + r.cause)          # also in llm_failed.jsonl
    manifest["llm"] = {"config": client.config.for_manifest(), "stats": client.stats.to_dict()}

Back-ends. ``offline`` (default) calls the recipe's deterministic responder: no network, no
cache, answers validated like a server's. ``openai`` talks to any OpenAI-compatible endpoint
(OpenAI, vLLM, Ollama, llama.cpp, ...) through ``openai.AsyncOpenAI``; ``--base-url`` selects
it, the key comes from ``$OPENAI_API_KEY`` (a local server without a key gets a placeholder).

Contracts.

- *Every request ends answered or failed, once.* ``run_batch`` returns exactly one
  :class:`ChatResult` per request, in input order. A failure carries a reason code (``cause``),
  is counted in :class:`LLMStats` and written to the failed-requests file (JSONL, no timestamps,
  rewritten atomically per batch; see :mod:`.stats`). Only a run-level problem raises
  (``FineForgeError``: duplicate keys in a batch, 401/403/404 from the endpoint, an endpoint that
  never answered at all); answers already received stay cached, so the re-run resumes.
- *Cache* (:mod:`.cache`): content-addressed by the SHA-256 of the canonical first-attempt
  request (model, messages, parameters, response format, schema; see :mod:`.request`); append-only
  segment logs, one per writing process (lock-free, crash-safe: a torn tail line is ignored);
  only validated answers are stored.
  Identical requests inside one batch are sent once. A warm re-run sends zero requests (it does
  not even open a connection).
- *Retries* (:mod:`.retry`): 429 / 408 / 409 / 5xx / timeouts / connection errors / non-completion
  bodies are retried up to ``max_retries`` times with exponential backoff and equal jitter,
  honouring ``Retry-After`` (which also pauses every other request of the client); an empty or
  invalid structured answer is retried up to ``max_invalid_retries`` times with a repair turn
  (:mod:`.structured`); other 4xx fail the request at once. The SDK's own retries are off.
- *Concurrency*: at most ``max_concurrency`` HTTP requests in flight (asyncio, one event loop;
  see :mod:`.engine` for why and for the measured throughput). Optional ``rpm`` / ``tpm`` token
  buckets (:mod:`.ratelimit`).
- *Accounting*: requests, cache hits, de-duplicated, HTTP requests sent, retries and failures by
  cause, prompt/completion tokens spent (and served from cache), cost from the configured prices.
- *Vision* (:mod:`.vision`): :func:`user_message` builds text + JPEG/PNG frames as data URLs.
"""

from __future__ import annotations

import importlib
from typing import Any

# Names are imported on first use (PEP 562), so a command that only registers the LLM options
# (every ``--help``, every finebench build) does not pay for importing the openai SDK.
_HOME = {
    "LLMClient": "client", "OfflineResponder": "client",
    "LLMConfig": "config", "add_llm_arguments": "config", "config_from_args": "config",
    "recipe_config": "config",
    "default_cache_dir": "config",
    "ChatRequest": "request", "ChatResult": "request", "Usage": "request",
    "LLMFatalError": "retry", "LLMStats": "stats",
    "image_data_url": "vision", "system_message": "vision", "user_message": "vision",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)


__all__ = [
    "ChatRequest",
    "ChatResult",
    "LLMClient",
    "LLMConfig",
    "LLMFatalError",
    "LLMStats",
    "OfflineResponder",
    "Usage",
    "add_llm_arguments",
    "config_from_args",
    "default_cache_dir",
    "image_data_url",
    "recipe_config",
    "system_message",
    "user_message",
]
