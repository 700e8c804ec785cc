"""LLM client limits from issue 12: a long ``Retry-After`` fails the request instead of stalling
the batch, and ``progress=False`` (``--no-progress``) silences the client's bar."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.core.llm import ChatRequest, LLMClient, LLMConfig
from tests.llm_server import Fault, LoopbackLLMServer

pytestmark = pytest.mark.timeout(60)


def client(server: LoopbackLLMServer, tmp_path: Path, **overrides: object) -> LLMClient:
    fields = dict(backend="openai", base_url=server.base_url, model="loopback", cache_dir=tmp_path / "c",
                  failed_path=tmp_path / "failed.jsonl", backoff_base_s=0.01, backoff_max_s=0.05,
                  max_concurrency=2)
    return LLMClient(LLMConfig.make(**(fields | overrides)))


def requests(n: int) -> list[ChatRequest]:
    return [ChatRequest(key=f"k{i}", messages=[{"role": "user", "content": f"q{i}"}]) for i in range(n)]


def test_retry_after_beyond_the_cap_fails_the_request_with_a_reason(tmp_path: Path) -> None:
    with LoopbackLLMServer() as server:
        server.faults = {"q0": [Fault.http(429, retry_after="100000")]}
        results = client(server, tmp_path, max_retry_after_s=5).run_batch(requests(3))
        assert len(server.requests_for("q0")) == 1  # not retried after an impossible wait
    assert [r.ok for r in results] == [False, True, True]
    assert results[0].cause == "retry_after_too_long" and "100000" in (results[0].error or "")
    (failed,) = [json.loads(line) for line in (tmp_path / "failed.jsonl").read_text().splitlines()]
    assert failed["cause"] == "retry_after_too_long"


def test_retry_after_within_the_cap_is_honoured(tmp_path: Path) -> None:
    with LoopbackLLMServer() as server:
        server.faults = {"q0": [Fault.http(429, retry_after="0.2")]}
        results = client(server, tmp_path, max_retry_after_s=5).run_batch(requests(1))
        first, again = server.requests_for("q0")
    assert results[0].ok and again.t_start - first.t_end >= 0.2


@pytest.mark.parametrize("progress", [True, False])
def test_no_progress_silences_the_llm_bar(tmp_path: Path, capfd: pytest.CaptureFixture[str],
                                          progress: bool) -> None:
    with LoopbackLLMServer() as server:
        client(server, tmp_path, progress=progress).run_batch(requests(3), desc="llm: test")
    err = capfd.readouterr().err
    assert ("llm: test" in err) is progress


def test_progress_is_not_part_of_the_manifest() -> None:
    assert "progress" not in LLMConfig.make(progress=False).for_manifest()
