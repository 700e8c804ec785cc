"""Requests, results and the content address of a request.

The cache key of a request is the SHA-256 of the canonical JSON (sorted keys, no whitespace,
UTF-8) of ``{"v": CACHE_VERSION, "body": <the exact first-attempt request body>, "schema": ...}``:
the body holds the model, every message (images included), every sampling parameter and the
``response_format``; the schema is the response model's JSON schema. Neither the unit ``key`` nor
the endpoint URL is part of it: the same request to an equivalent endpoint reuses the answer, and
two units asking exactly the same question get the same answer (add a ``seed`` param to ask twice).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from pipelines.core.errors import FineForgeError
from pipelines.core.llm.config import LLMConfig
from pipelines.core.llm.structured import response_format, with_instruction

CACHE_VERSION = 1
Message = Mapping[str, Any]
_RESERVED = frozenset({"model", "messages", "response_format", "stream", "n"})


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion a recipe needs.

    ``key`` is the stable key of the unit of work (unique within a batch; it names the request in
    results and in the failed-requests file). ``params`` override the config's sampling
    parameters (``temperature``, ``max_tokens``, ``seed``, ``top_p``, ...). With a
    ``response_model`` the answer must be JSON that validates against it.
    """

    key: str
    messages: Sequence[Message]
    response_model: type[BaseModel] | None = None
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.prompt_tokens + other.prompt_tokens,
                     self.completion_tokens + other.completion_tokens)


@dataclass(frozen=True)
class ChatResult:
    """The outcome of one request: answered (``ok``) or failed with a reason code ``cause``.

    ``text`` is the raw answer and ``parsed`` its validated response model (structured requests).
    ``attempts`` counts HTTP requests sent for it (0 for cache hits and offline answers);
    ``usage`` sums the tokens of all those attempts (for cache hits: of the original run).
    """

    key: str
    ok: bool
    text: str | None = None
    parsed: BaseModel | None = None
    error: str | None = None
    cause: str | None = None
    attempts: int = 0
    cached: bool = False
    usage: Usage = field(default_factory=Usage)


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def check_params(request: ChatRequest) -> None:
    """``params`` may not override what the client itself controls."""
    if clash := _RESERVED & set(request.params):
        raise FineForgeError(f"LLM request {request.key}: params may not set {sorted(clash)}")


def build_body(config: LLMConfig, request: ChatRequest) -> dict[str, Any]:
    """The JSON body of the first attempt: model, messages (+ schema instruction), parameters."""
    check_params(request)
    params = {"temperature": config.temperature, "max_tokens": config.max_tokens, "seed": config.seed}
    params |= dict(request.params)
    body: dict[str, Any] = {"model": config.model, **{k: v for k, v in params.items() if v is not None}}
    messages = [dict(m) for m in request.messages]
    if request.response_model is not None:
        mode = config.structured_output
        messages = with_instruction(messages, request.response_model, mode)
        if (fmt := response_format(request.response_model, mode)) is not None:
            body["response_format"] = fmt
    body["messages"] = messages
    return body


def cache_key(body: Mapping[str, Any], response_model: type[BaseModel] | None, unit_key: str) -> str:
    """SHA-256 hex digest of the canonical request (see the module docstring)."""
    schema = response_model.model_json_schema() if response_model is not None else None
    try:
        text = canonical_json({"v": CACHE_VERSION, "body": body, "schema": schema})
    except (TypeError, ValueError) as exc:
        raise FineForgeError(f"LLM request {unit_key}: not JSON-serialisable: {exc}") from None
    return hashlib.sha256(text.encode()).hexdigest()
