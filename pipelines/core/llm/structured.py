"""Structured output: ask for JSON matching a pydantic model, then validate what comes back.

Modes (``LLMConfig.structured_output``):

- ``json_schema`` (default): send ``response_format={"type": "json_schema", ...}`` with the
  model's JSON schema (``strict: false``, since pydantic schemas are not always strict-compatible).
  OpenAI, vLLM (guided decoding), Ollama and llama.cpp servers accept it.
- ``json_object``: send ``response_format={"type": "json_object"}`` and put the schema in the
  prompt, for servers that only know JSON mode.
- ``prompt``: only the instruction in the prompt, for servers with neither.

In the two prompt-based modes the instruction is appended to the *last user message* rather than
added as an extra system message (several chat templates reject a second system message).
Whatever the mode, the answer is validated with pydantic; markdown code fences and prose around
one JSON object are tolerated. An invalid answer is retried with a repair turn: the bad answer
and the validation error are appended to the conversation.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from pydantic import BaseModel, ValidationError

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


class InvalidOutput(Exception):
    """The answer is empty, not JSON, or does not validate; ``str()`` is one line."""


@functools.lru_cache(maxsize=256)
def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


@functools.lru_cache(maxsize=256)
def instruction(model: type[BaseModel]) -> str:
    schema = json.dumps(schema_of(model), sort_keys=True, separators=(",", ":"))
    return ("Reply with only a JSON object (no prose, no code fences) that matches this JSON "
            f"schema:\n{schema}")


def response_format(model: type[BaseModel], mode: str) -> dict[str, Any] | None:
    if mode == "json_schema":
        name = re.sub(r"[^A-Za-z0-9_-]", "_", model.__name__)[:64] or "answer"
        return {"type": "json_schema",
                "json_schema": {"name": name, "schema": schema_of(model), "strict": False}}
    return {"type": "json_object"} if mode == "json_object" else None


def with_instruction(messages: list[dict[str, Any]], model: type[BaseModel],
                     mode: str) -> list[dict[str, Any]]:
    """``messages`` with the schema instruction appended to the last user message (prompt modes)."""
    if mode == "json_schema":
        return messages
    text = instruction(model)
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].get("role") == "user":
            content = messages[i].get("content")
            new = (f"{content}\n\n{text}" if isinstance(content, str)
                   else [*(content or []), {"type": "text", "text": text}])
            return [*messages[:i], {**messages[i], "content": new}, *messages[i + 1:]]
    return [*messages, {"role": "user", "content": text}]


def parse_output(text: str | None, model: type[BaseModel] | None) -> BaseModel | None:
    """Validate ``text`` against ``model`` (None: plain text, only emptiness is invalid)."""
    if text is None or not text.strip():
        raise InvalidOutput("empty answer")
    if model is None:
        return None
    last: Exception | None = None
    for candidate in _candidates(text):
        try:
            return model.model_validate_json(candidate)
        except ValidationError as exc:
            last = exc
    raise InvalidOutput(_summary(last) if last else "answer is not JSON")


def _candidates(text: str) -> list[str]:
    out = [text]
    if fence := _FENCE.search(text):
        out.append(fence.group(1))
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        out.append(text[start:end + 1])
    return out


def _summary(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        parts = [f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in exc.errors()[:3]]
        more = f" (+{exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
        return ("invalid JSON: " if exc.errors()[0]["type"] == "json_invalid" else "schema mismatch: ") \
            + "; ".join(parts)[:300] + more
    return str(exc)[:300]


def repair_turn(bad_text: str | None, error: str) -> list[dict[str, Any]]:
    """Messages appended to the conversation after an invalid answer."""
    return [{"role": "assistant", "content": bad_text or ""},
            {"role": "user", "content": f"That reply was not valid ({error}). "
                                        "Reply again with only the corrected JSON object."}]
