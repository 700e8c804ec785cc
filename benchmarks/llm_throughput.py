"""Throughput of the shared LLM client against a loopback OpenAI-compatible server.

The server (``tests/llm_server.py``) runs in its own process with a fixed per-request latency, so
its CPU does not compete with the client's for the GIL. An untimed warm-up batch (``--warmup``,
uncached, other prompts) takes the process's one-time start-up (lazy imports, TLS context) out of
the measurement. The cold run then sends ``--requests`` distinct requests at ``--concurrency``
from an empty cache on new connections; the ideal time is ``requests * latency / concurrency``.
The warm run repeats the batch with a new client on the same cache: it must send nothing.

    .venv/bin/python benchmarks/llm_throughput.py            # 2,000 requests, concurrency 32, 50 ms

Exit status 1 when a target is missed (cold >= 85 % of ideal, warm < 2 s, in-flight <= limit).
The client needs ~1.4 ms of CPU per request (mostly the openai SDK and httpx2), so the cold target
holds on a machine with a free core for the client; the load average is printed with the result.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.core.llm import ChatRequest, LLMClient, LLMConfig  # noqa: E402


def run(client: LLMClient, n: int, prefix: str = "bench") -> float:
    requests = [ChatRequest(key=f"u{i:05d}", messages=[{"role": "user", "content": f"{prefix} request {i}"}])
                for i in range(n)]
    start = time.perf_counter()
    results = client.run_batch(requests)
    elapsed = time.perf_counter() - start
    bad = [r for r in results if not r.ok or r.text != f"echo: {prefix} request {r.key[1:].lstrip('0') or 0}"]
    if bad:
        raise SystemExit(f"{len(bad)} wrong answers, first: {bad[0]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--warmup", type=int, default=64,
                        help="requests sent first, uncached and not timed (process start-up: imports, TLS)")
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, str(ROOT / "tests" / "llm_server.py"),
                               "--latency", str(args.latency)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline().split()[1])
        base = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory() as tmp:
            config = LLMConfig.make(backend="openai", base_url=f"{base}/v1", model="loopback",
                                    max_concurrency=args.concurrency, timeout_s=30,
                                    cache_dir=Path(tmp) / "cache", failed_path=Path(tmp) / "failed.jsonl")
            if args.warmup:
                run(LLMClient(config.model_copy(update={"cache": False})), args.warmup, prefix="warm-up")
            cold_client = LLMClient(config)
            cold = run(cold_client, args.requests)
            warm_client = LLMClient(config)
            warm = run(warm_client, args.requests)
        with urllib.request.urlopen(f"{base}/stats") as response:
            served = json.loads(response.read())
    finally:
        server.kill()
        server.wait()
    ideal = args.requests * args.latency / args.concurrency
    efficiency = ideal / cold
    print(f"cold: {args.requests} requests, concurrency {args.concurrency}, latency "
          f"{args.latency * 1000:.0f} ms: {cold:.2f} s (ideal {ideal:.2f} s) = "
          f"{args.requests / cold:.0f} req/s, {efficiency:.1%} of ideal [target >= 85%]; "
          f"server saw {served['requests'] - args.warmup} requests, max {served['max_in_flight']} in flight "
          f"(after a {args.warmup}-request untimed warm-up)")
    print(f"warm: {args.requests} requests from cache: {warm:.2f} s, "
          f"{warm_client.stats.sent} sent, {warm_client.stats.cache_hits} cache hits [target < 2 s, 0 sent]")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} "
          "(client and server share them; other load lowers the cold result)")
    ok = (efficiency >= 0.85 and warm < 2.0 and warm_client.stats.sent == 0
          and served["requests"] == args.requests + args.warmup
          and served["max_in_flight"] <= args.concurrency)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
