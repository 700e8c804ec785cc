"""LLMClient against the loopback OpenAI-compatible server, through the real ``openai`` client."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import pytest
from llm_server import Fault, LoopbackLLMServer, first_line_key, user_text
from pydantic import BaseModel

from pipelines.core.errors import ConfigError, FineForgeError
from pipelines.core.llm import ChatRequest, LLMClient, LLMConfig, LLMFatalError, system_message, user_message


class Answer(BaseModel):
    answer: str
    length: int


def reply(body: dict[str, Any]) -> str:
    key = first_line_key(body)
    if "response_format" in body or "JSON schema" in user_text(body, -1):
        return json.dumps({"answer": key, "length": len(key)})
    return f"echo: {key}"


@pytest.fixture
def server():
    with LoopbackLLMServer(reply=reply) as srv:
        yield srv


def make_client(server: LoopbackLLMServer, tmp_path: Path, **overrides: Any) -> LLMClient:
    fields: dict[str, Any] = dict(
        backend="openai", base_url=server.base_url, model="loopback", cache_dir=tmp_path / "cache",
        failed_path=tmp_path / "failed.jsonl", timeout_s=0.4, backoff_base_s=0.01, backoff_max_s=0.05,
        max_concurrency=4)
    return LLMClient(LLMConfig.make(**(fields | overrides)))


def reqs(n: int, model: type[BaseModel] | None = Answer, start: int = 0) -> list[ChatRequest]:
    return [ChatRequest(key=f"k{i}", messages=[{"role": "user", "content": f"q{i}"}], response_model=model)
            for i in range(start, start + n)]


def failed_lines(tmp_path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (tmp_path / "failed.jsonl").read_text().splitlines()]


def test_answers_in_input_order_with_usage(server, tmp_path):
    client = make_client(server, tmp_path)
    results = client.run_batch(reqs(30, model=None))
    assert [r.key for r in results] == [f"k{i}" for i in range(30)]
    assert all(r.ok and r.text == f"echo: q{r.key[1:]}" and r.attempts == 1 for r in results)
    stats = client.stats.to_dict()
    assert (stats["requests"], stats["answered"], stats["sent"], stats["failed"]) == (30, 30, 30, 0)
    assert stats["prompt_tokens"] == sum(r.usage.prompt_tokens for r in results) > 0
    assert failed_lines(tmp_path) == []


def test_structured_output_sends_json_schema_and_validates(server, tmp_path):
    results = make_client(server, tmp_path).run_batch(reqs(3))
    assert [r.parsed for r in results] == [Answer(answer=f"q{i}", length=2) for i in range(3)]
    fmt = server.seen[0].body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"]["title"] == "Answer"


@pytest.mark.parametrize("mode", ["json_object", "prompt"])
def test_prompt_modes_append_the_schema_to_the_last_user_message(server, tmp_path, mode):
    results = make_client(server, tmp_path, structured_output=mode).run_batch(reqs(2))
    assert all(r.ok for r in results)
    body = server.seen[0].body
    assert body.get("response_format") == ({"type": "json_object"} if mode == "json_object" else None)
    assert [m["role"] for m in body["messages"]] == ["user"] and "JSON schema" in user_text(body)


def test_vision_frames_reach_the_server_as_data_urls(server, tmp_path):
    frame = tmp_path / "c01_0001.png"
    frame.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(32))
    request = ChatRequest("v0", [system_message("You describe videos."), user_message("q0", [frame, frame])])
    (result,) = make_client(server, tmp_path).run_batch([request])
    assert result.ok and result.text == "echo: q0"
    parts = server.seen[0].body["messages"][1]["content"]
    assert [p["type"] for p in parts] == ["text", "image_url", "image_url"]
    assert parts[1]["image_url"]["url"].startswith("data:image/png;base64,iVBORw0KGgo")


def test_429_waits_for_retry_after_and_pauses_other_requests(server, tmp_path):
    server.faults = {"q0": [Fault.http(429, retry_after="0.4")]}
    client = make_client(server, tmp_path, max_concurrency=1)
    results = client.run_batch(reqs(2))
    assert all(r.ok for r in results) and results[0].attempts == 2
    first, again = server.requests_for("q0")
    other = server.requests_for("q1")[0]
    assert again.t_start - first.t_end >= 0.4
    assert other.t_start - first.t_end >= 0.39  # the pause holds every request, not only q0
    assert client.stats.retries == {"http_429": 1}


def test_standard_integer_retry_after_and_retry_after_ms(server, tmp_path):
    server.faults = {"q0": [Fault.http(429, retry_after="1")], "q1": [Fault.http(503, retry_after_ms="250")]}
    make_client(server, tmp_path, max_concurrency=2).run_batch(reqs(2))
    for key, wait in (("q0", 1.0), ("q1", 0.25)):
        first, again = server.requests_for(key)
        assert again.t_start - first.t_end >= wait


def test_500_timeout_and_malformed_body_are_retried(server, tmp_path):
    server.faults = {"q0": [Fault.http(500), Fault.http(502)], "q1": [Fault.hang(5)],
                     "q2": [Fault.malformed(), Fault.http(500)]}
    client = make_client(server, tmp_path)
    results = client.run_batch(reqs(4))
    assert [r.attempts for r in results] == [3, 2, 3, 1] and all(r.ok for r in results)
    assert client.stats.retries == {"http_500": 2, "http_502": 1, "timeout": 1, "malformed_response": 1}
    assert client.stats.sent == len(server.seen) == 9


def test_invalid_output_is_retried_with_a_repair_turn(server, tmp_path):
    server.faults = {"q0": [Fault.content('{"answer": 5}')], "q1": [Fault.content("")]}
    client = make_client(server, tmp_path)
    results = client.run_batch(reqs(2))
    assert all(r.ok for r in results) and [r.attempts for r in results] == [2, 2]
    retry_body = server.requests_for("q0")[1].body
    assert [m["role"] for m in retry_body["messages"]] == ["user", "assistant", "user"]
    assert "schema mismatch" in retry_body["messages"][-1]["content"]
    assert client.stats.retries == {"invalid_output": 1, "empty_output": 1}


def test_persistent_failures_are_recorded_once_and_never_cached(server, tmp_path):
    server.faults = {"q0": [Fault.content("not json")] * 9, "q1": [Fault.http(500)] * 9,
                     "q2": [Fault.http(400)] * 2}
    client = make_client(server, tmp_path, max_retries=2, max_invalid_retries=1)
    results = client.run_batch(reqs(4))
    assert [(r.ok, r.cause, r.attempts) for r in results] == [
        (False, "invalid_output", 2), (False, "http_500", 3), (False, "http_400", 1), (True, None, 1)]
    lines = failed_lines(tmp_path)
    assert [(d["key"], d["cause"], d["attempts"]) for d in lines] == [
        ("k0", "invalid_output", 2), ("k1", "http_500", 3), ("k2", "http_400", 1)]
    assert lines[1]["causes"] == ["http_500"] * 3 and "timestamp" not in lines[0]
    assert client.stats.failures == {"invalid_output": 1, "http_500": 1, "http_400": 1}
    before = (tmp_path / "failed.jsonl").read_bytes()
    again = make_client(server, tmp_path, max_retries=2, max_invalid_retries=1)
    again.run_batch(reqs(4))  # failures are not cached: the three are asked again, k3 is not
    assert again.stats.sent == 2 + 3 + 1 and again.stats.cache_hits == 1
    assert (tmp_path / "failed.jsonl").read_bytes() == before  # rewritten, not appended


def test_mixed_faults_every_request_ends_once_and_warm_rerun_sends_nothing(server, tmp_path):
    def script(key: str, attempt: int) -> Fault | None:
        h = int(hashlib.sha256(f"{key}/{attempt}".encode()).hexdigest(), 16) % 100
        if key in {"q7", "q77"}:
            return Fault.http(500)  # always: exhausts its retries
        faults = [Fault.http(429, retry_after_ms="20"), Fault.http(500), Fault.hang(5),
                  Fault.malformed(), Fault.content('{"answer": null}')]
        return faults[h % 5] if h < 30 else None

    server.faults, server.latency_s = script, 0.005
    # the timeout is far above a normal answer's latency even on a loaded machine, far below a hang
    client = make_client(server, tmp_path, max_concurrency=8, max_retries=6, timeout_s=1.5)
    results = client.run_batch(reqs(160), desc=None)
    assert [r.key for r in results] == [f"k{i}" for i in range(160)]
    failed = {r.key for r in results if not r.ok}
    assert failed == {"k7", "k77"}
    for r in results:  # answered by the server exactly once (ok) or never (failed)
        answered = [s for s in server.requests_for(f"q{r.key[1:]}") if s.outcome == "answered"]
        assert len(answered) == (1 if r.ok else 0), r
    assert {d["key"] for d in failed_lines(tmp_path)} == failed
    assert client.stats.answered + client.stats.failed == 160 == client.stats.requests
    assert client.stats.sent == len(server.seen) == sum(r.attempts for r in results)
    assert server.max_in_flight <= 8

    server.faults, sent_before = {}, len(server.seen)
    second = make_client(server, tmp_path, max_concurrency=8)
    second_results = second.run_batch(reqs(160))  # only the two failures are asked again
    assert all(r.ok for r in second_results) and [r.parsed for r in second_results] == [
        r.parsed if r.ok else Answer(answer=f"q{r.key[1:]}", length=len(r.key)) for r in results]
    assert len(server.seen) - sent_before == 2 and second.stats.cache_hits == 158
    third = make_client(server, tmp_path, max_concurrency=8)
    assert [r.parsed for r in third.run_batch(reqs(160))] == [r.parsed for r in second_results]
    assert third.stats.sent == 0 and third.stats.cache_hits == 160
    assert len(server.seen) - sent_before == 2 and failed_lines(tmp_path) == []


def test_concurrency_never_exceeds_the_limit_and_reaches_it(server, tmp_path):
    server.latency_s = 0.02
    make_client(server, tmp_path, max_concurrency=5).run_batch(reqs(60, model=None))
    assert server.max_in_flight == 5


def test_requests_per_minute_limit(server, tmp_path):
    client = make_client(server, tmp_path, rpm=1200, max_concurrency=16, timeout_s=5)  # 20/s, burst 20
    before = time.monotonic()
    client.run_batch(reqs(40, model=None))
    starts = sorted(s.t_start for s in server.seen)
    # a limiter can only delay: after the burst of 20, the other 20 are admitted no earlier than
    # 1 s after the batch began, however busy the machine is (how arrivals bunch inside a window
    # depends on load, so that is checked on the bucket with a fake clock in test_llm_ratelimit.py)
    assert len(starts) == 40
    assert starts[-1] - before >= (40 - 20) / 20 * 0.99


def test_identical_requests_in_a_batch_are_sent_once(server, tmp_path):
    same = [ChatRequest(key=f"u{i}", messages=[{"role": "user", "content": "q0"}]) for i in range(3)]
    client = make_client(server, tmp_path)
    results = client.run_batch(same)
    assert [r.key for r in results] == ["u0", "u1", "u2"] and {r.text for r in results} == {"echo: q0"}
    assert len(server.seen) == 1 and client.stats.deduplicated == 2 and client.stats.answered == 3
    later = [ChatRequest(f"w{i}", [{"role": "user", "content": q}]) for i, q in enumerate(["q5", "q6", "q5"])]
    client = make_client(server, tmp_path, max_concurrency=1, cache=False)  # w2 comes after w0 ended
    assert [r.text for r in client.run_batch(later)] == ["echo: q5", "echo: q6", "echo: q5"]
    assert len(server.seen) == 3 and client.stats.deduplicated == 1


def test_sampling_parameters_and_schema_are_part_of_the_cache_key(server, tmp_path):
    make_client(server, tmp_path).run_batch(reqs(1, model=None))
    variants = [reqs(1, model=Answer), [ChatRequest("k0", [{"role": "user", "content": "q0"}],
                                                     params={"temperature": 0.7})]]
    for batch in variants:
        make_client(server, tmp_path).run_batch(batch)
    make_client(server, tmp_path, model="other").run_batch(reqs(1, model=None))
    assert len(server.seen) == 4


def test_auth_error_stops_the_run_and_keeps_earlier_answers(server, tmp_path):
    client = make_client(server, tmp_path, max_concurrency=1)
    client.run_batch(reqs(2))
    server.faults = {"q5": [Fault.http(401)]}
    with pytest.raises(LLMFatalError, match="HTTP 401"):
        client.run_batch(reqs(6))
    assert client.stats.cache_hits == 2
    server.faults, sent = {}, len(server.seen)
    assert all(r.ok for r in make_client(server, tmp_path).run_batch(reqs(6)))
    assert [s.key for s in server.seen[sent:]] == ["q5"]  # k2..k4 were cached before the stop


def test_unreachable_endpoint_is_fatal(tmp_path):
    with LoopbackLLMServer() as gone:
        url = gone.base_url
    config = LLMConfig.make(backend="openai", base_url=url, cache_dir=tmp_path, max_retries=1,
                            backoff_base_s=0.01, timeout_s=1)
    with pytest.raises(LLMFatalError, match="cannot reach"):
        LLMClient(config).run_batch(reqs(3))


def test_duplicate_keys_and_reserved_params_are_errors(server, tmp_path):
    client = make_client(server, tmp_path)
    with pytest.raises(FineForgeError, match="appears twice"):
        client.run_batch(reqs(2) + reqs(1))
    with pytest.raises(FineForgeError, match="may not set"):
        client.run_batch([ChatRequest("a", [{"role": "user", "content": "x"}], params={"model": "x"})])
    assert server.seen == []


def test_run_batch_works_inside_a_running_event_loop(server, tmp_path):
    import asyncio

    async def inside() -> list[bool]:
        return [r.ok for r in make_client(server, tmp_path).run_batch(reqs(2))]

    assert asyncio.run(inside()) == [True, True]


def test_openai_backend_needs_a_key_or_a_base_url(monkeypatch, tmp_path):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        LLMClient(LLMConfig.make(backend="openai", cache_dir=tmp_path))
