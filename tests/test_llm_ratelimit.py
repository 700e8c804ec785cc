"""Token buckets and the rate gate (requests/tokens per minute, Retry-After pauses)."""

from __future__ import annotations

import asyncio
import time

from pipelines.core.llm.ratelimit import IMAGE_TOKENS, RateGate, TokenBucket, estimate_tokens


def test_bucket_bursts_one_second_then_refills_at_the_rate():
    bucket = TokenBucket(per_minute=120, now=0.0)  # 2/s, capacity 2
    assert bucket.wait_for(1, 0.0) == 0
    bucket.take(1, 0.0)
    bucket.take(1, 0.0)
    assert bucket.wait_for(1, 0.0) == 0.5
    assert bucket.wait_for(1, 0.5) == 0


def test_oversized_cost_goes_into_debt_instead_of_waiting_forever():
    bucket = TokenBucket(per_minute=600, now=0.0)  # 10 tokens/s, capacity 10
    assert bucket.wait_for(50, 0.0) == 0  # full bucket admits it
    bucket.take(50, 0.0)
    assert bucket.wait_for(1, 0.0) == 4.1  # debt of 40 + 1 token at 10/s


def test_estimate_counts_text_images_and_max_tokens():
    messages = [{"role": "user", "content": [{"type": "text", "text": "x" * 400},
                                             {"type": "image_url", "image_url": {"url": "data:"}}]}]
    assert estimate_tokens(messages, 100) == 100 + 4 + IMAGE_TOKENS + 100


def test_gate_spaces_requests_and_honours_pauses():
    async def scenario() -> tuple[list[float], float]:
        gate = RateGate(rpm=600, tpm=None)  # 10/s, burst 10
        start = time.monotonic()
        stamps = []
        for _ in range(15):
            await gate.acquire(1)
            stamps.append(time.monotonic() - start)
        gate.pause(0.2)
        paused = time.monotonic()
        await gate.acquire(1)
        return stamps, time.monotonic() - paused

    stamps, waited = asyncio.run(scenario())
    assert stamps[9] < 0.05 and stamps[14] >= 0.45
    assert waited >= 0.19


def test_unlimited_gate_does_not_wait_and_settle_corrects_tokens():
    gate = RateGate(rpm=None, tpm=6000)  # 100 tokens/s
    asyncio.run(gate.acquire(100))
    assert gate.tokens is not None and gate.tokens.level <= 0.5
    gate.settle(estimated=100, actual=40)
    assert 59 <= gate.tokens.level <= 61
