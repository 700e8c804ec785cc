"""Accounting for the manifest (:class:`LLMStats`) and the failed-requests file (:class:`FailureLog`).

Invariant after every batch: ``requests == answered + failed`` (cache hits and de-duplicated
requests are answered too), and ``sent == sum of attempts`` of the requests that went out.

The failed-requests file is JSONL, one object per failed unit with sorted keys:
``{"key", "cause", "error", "attempts", "causes" (one reason code per attempt), "model",
"request_sha256"}``. It has no timestamps, so two runs with the same outcome write the same bytes.
It holds the failures of the client's whole life and is rewritten atomically after every batch
(an empty file means "no failures"), so a re-run replaces it instead of appending duplicates.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.core.atomic import write_jsonl
from pipelines.core.llm.request import Usage
from pipelines.core.redact import redact

log = logging.getLogger("pipelines.llm")


@dataclass
class LLMStats:
    backend: str
    model: str
    price_input_per_1k: float | None = None
    price_output_per_1k: float | None = None
    requests: int = 0
    answered: int = 0
    failed: int = 0
    cache_hits: int = 0
    deduplicated: int = 0
    sent: int = 0
    retries: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    tokens: Usage = field(default_factory=Usage)
    cached_tokens: Usage = field(default_factory=Usage)

    def cost(self, usage: Usage) -> float | None:
        if self.price_input_per_1k is None or self.price_output_per_1k is None:
            return None
        return round(usage.prompt_tokens / 1000 * self.price_input_per_1k
                     + usage.completion_tokens / 1000 * self.price_output_per_1k, 6)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary for ``manifest.json`` (tokens spent by this run vs served from cache)."""
        return {
            "backend": self.backend, "model": self.model,
            "requests": self.requests, "answered": self.answered, "failed": self.failed,
            "cache_hits": self.cache_hits, "deduplicated": self.deduplicated, "sent": self.sent,
            "retries": dict(sorted(self.retries.items())),
            "failures": dict(sorted(self.failures.items())),
            "prompt_tokens": self.tokens.prompt_tokens,
            "completion_tokens": self.tokens.completion_tokens,
            "cached_prompt_tokens": self.cached_tokens.prompt_tokens,
            "cached_completion_tokens": self.cached_tokens.completion_tokens,
            "cost_usd": self.cost(self.tokens), "cost_usd_saved_by_cache": self.cost(self.cached_tokens),
        }


class FailureLog:
    """Collects failed units; :meth:`flush` rewrites ``path`` (if any) with all of them."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.records: list[dict[str, Any]] = []

    def add(self, *, key: str, cause: str, error: str, attempts: int, causes: list[str],
            model: str, request_sha256: str | None) -> None:
        error = redact(error)
        record = {"key": key, "cause": cause, "error": error, "attempts": attempts, "causes": causes,
                  "model": model, "request_sha256": request_sha256}
        self.records.append(record)
        log.info("LLM request %s failed after %d attempt(s): %s", key, attempts, error)

    def flush(self) -> None:
        if self.path is not None:
            write_jsonl(self.path, self.records)
