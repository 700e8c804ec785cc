"""The offline back-end: the recipe's deterministic responder, validated like a server's answer."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from pipelines.core.errors import ConfigError
from pipelines.core.llm import ChatRequest, LLMClient, LLMConfig


class Answer(BaseModel):
    answer: str
    length: int


def responder(request: ChatRequest) -> object:
    text = request.messages[-1]["content"]
    if text == "boom":
        raise KeyError("scene 3")
    if text == "bad":
        return {"answer": "x"}
    if request.response_model is None:
        return f"offline: {text}"
    return Answer(answer=text, length=len(text)) if len(text) % 2 else {"answer": text, "length": len(text)}


def ask(*texts: str, model: type[BaseModel] | None = Answer) -> list[ChatRequest]:
    return [ChatRequest(f"u{i}", [{"role": "user", "content": t}], response_model=model)
            for i, t in enumerate(texts)]


def test_offline_is_deterministic_validated_and_never_touches_the_cache(tmp_path):
    config = LLMConfig.make(cache_dir=tmp_path / "cache", failed_path=tmp_path / "failed.jsonl")
    first = LLMClient(config, offline=responder).run_batch(ask("a", "bb", "ccc"))
    again = LLMClient(config, offline=responder).run_batch(ask("a", "bb", "ccc"))
    assert first == again
    assert [r.parsed for r in first] == [Answer(answer=t, length=len(t)) for t in ("a", "bb", "ccc")]
    assert LLMClient(config, offline=responder).run_batch(ask("hi", model=None))[0].text == "offline: hi"
    assert not (tmp_path / "cache").exists()
    assert (tmp_path / "failed.jsonl").read_text() == ""


def test_offline_failures_are_recorded_not_raised(tmp_path):
    config = LLMConfig.make(failed_path=tmp_path / "failed.jsonl")
    client = LLMClient(config, offline=responder)
    results = client.run_batch(ask("ok", "boom", "bad"))
    assert [(r.ok, r.cause) for r in results] == [(True, None), (False, "offline_error"),
                                                  (False, "invalid_output")]
    assert "KeyError" in (results[1].error or "")
    stats = client.stats.to_dict()
    assert (stats["backend"], stats["sent"], stats["answered"], stats["failed"]) == ("offline", 0, 1, 2)
    assert [line.split('"key": ')[1][:4] for line in
            (tmp_path / "failed.jsonl").read_text().splitlines()] == ['"u1"', '"u2"']


def test_offline_backend_needs_a_responder():
    with pytest.raises(ConfigError, match="no offline generator"):
        LLMClient(LLMConfig())
