"""A loopback OpenAI-compatible chat server for tests and benchmarks (binds 127.0.0.1 only).

``POST /v1/chat/completions`` answers in the OpenAI response shape (with ``usage``) after a fixed
``latency_s``. The reply text comes from ``reply(body) -> str`` (default: ``"echo: <key>"``), so a
recipe's tests can plug in their own model stand-in. ``GET /stats`` returns the counters as JSON.

Faults are scripted per request key and attempt. The key of a request is ``key_fn(body)``
(default: the first line of the first user message; the
client appends repair turns and schema instructions after it); ``faults`` is either a mapping
``key -> [Fault | None, ...]`` (attempt *n* of that key gets item *n*; past the end: a normal reply)
or a callable ``(key, attempt) -> Fault | None``. Every request is recorded (:class:`Seen`), and
``max_in_flight`` is the largest number of requests received but not yet answered or abandoned by
the client (a hung request ends when the client closes its connection).

The server is asyncio on its own thread (keep-alive HTTP/1.1, bodies by ``Content-Length``): it
serves hundreds of concurrent requests at ~0.1 ms of CPU each, so in the benchmark it does not
compete with the client for CPU.

Run standalone (own process, used by the benchmark): ``python tests/llm_server.py --latency 0.05``
prints ``PORT <n>`` and serves until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour: ``kind`` is status | hang | malformed | content."""

    kind: str
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    seconds: float = 0.0
    text: str = ""

    @staticmethod
    def http(status: int, retry_after: str | None = None, retry_after_ms: str | None = None) -> Fault:
        hdrs = [("Retry-After", retry_after)] if retry_after is not None else []
        hdrs += [("retry-after-ms", retry_after_ms)] if retry_after_ms is not None else []
        return Fault("status", status=status, headers=tuple(hdrs))

    @staticmethod
    def hang(seconds: float) -> Fault:
        """Say nothing for ``seconds`` (or until the client gives up), then close."""
        return Fault("hang", seconds=seconds)

    @staticmethod
    def malformed() -> Fault:
        """HTTP 200 whose body is not JSON."""
        return Fault("malformed")

    @staticmethod
    def echo_auth(status: int) -> Fault:
        """Echo the request's Authorization header: in the error body (``status`` >= 400) or, for
        200, as the answer text (a misbehaving proxy that leaks the key back)."""
        return Fault("echo", status=status)

    @staticmethod
    def content(text: str) -> Fault:
        """A well-formed completion whose message content is ``text`` (e.g. off-schema JSON)."""
        return Fault("content", text=text)


@dataclass
class Seen:
    key: str
    attempt: int
    body: dict[str, Any]
    fault: str  # "" for a normal reply
    t_start: float
    t_end: float = 0.0
    outcome: str = ""  # answered | fault | abandoned


FaultScript = Mapping[str, Sequence["Fault | None"]] | Callable[[str, int], "Fault | None"]


def user_text(body: dict[str, Any], index: int = 0) -> str:
    """Text of the user message number ``index`` (-1: the last one); "" if none."""
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    if not users or not -len(users) <= index < len(users):
        return ""
    content = users[index].get("content")
    if isinstance(content, str):
        return content
    return next((p.get("text", "") for p in content or [] if p.get("type") == "text"), "")


def first_line_key(body: dict[str, Any]) -> str:
    return user_text(body).split("\n", 1)[0]


def completion(text: str, body: dict[str, Any]) -> dict[str, Any]:
    prompt_chars = len(json.dumps(body.get("messages", [])))
    return {
        "id": "chatcmpl-loopback", "object": "chat.completion", "created": 0,
        "model": body.get("model", "loopback"),
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": prompt_chars // 4 + 1, "completion_tokens": len(text) // 4 + 1,
                  "total_tokens": prompt_chars // 4 + len(text) // 4 + 2},
    }


@dataclass
class LoopbackLLMServer:
    """asyncio server on its own thread; use as a context manager. ``base_url`` ends in ``/v1``."""

    latency_s: float = 0.0
    reply: Callable[[dict[str, Any]], str] = field(default=lambda body: f"echo: {first_line_key(body)}")
    faults: FaultScript = field(default_factory=dict)
    key_fn: Callable[[dict[str, Any]], str] = first_line_key
    seen: list[Seen] = field(default_factory=list)
    max_in_flight: int = 0
    in_flight: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._attempts: dict[str, int] = {}
        self._loop = asyncio.new_event_loop()
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._connection, "127.0.0.1", 0, backlog=512))
        self._conns: set[asyncio.Task[None]] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/v1"

    def __enter__(self) -> LoopbackLLMServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            self._server.close()
            for task in list(self._conns):
                task.cancel()
            await asyncio.gather(*self._conns, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def requests_for(self, key: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.key == key]

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"requests": len(self.seen), "max_in_flight": self.max_in_flight,
                    "answered": sum(s.outcome == "answered" for s in self.seen)}

    def _fault_for(self, key: str, attempt: int) -> Fault | None:
        if callable(self.faults):
            return self.faults(key, attempt)
        script = self.faults.get(key, ())
        return script[attempt] if attempt < len(script) else None

    def _begin(self, body: dict[str, Any]) -> tuple[Seen, Fault | None]:
        key = self.key_fn(body)
        with self._lock:
            attempt = self._attempts.get(key, 0)
            self._attempts[key] = attempt + 1
            fault = self._fault_for(key, attempt)
            seen = Seen(key, attempt, body, fault.kind if fault else "", time.monotonic())
            self.seen.append(seen)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        return seen, fault

    def _end(self, seen: Seen, outcome: str) -> None:
        with self._lock:
            self.in_flight -= 1
            seen.t_end, seen.outcome = time.monotonic(), outcome

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One keep-alive HTTP/1.1 connection: minimal parsing, bodies by Content-Length."""
        task = asyncio.current_task()
        assert task is not None
        self._conns.add(task)
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                method, path = head[0].split(" ")[:2]
                fields = (h.partition(":") for h in head[1:] if h)
                headers = {k.strip().lower(): v.strip() for k, _, v in fields}
                raw = await reader.readexactly(int(headers.get("content-length", 0)))
                self._auth = headers.get("authorization", "")
                if not await self._serve(method, path, raw, reader, writer):
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            pass
        finally:
            self._conns.discard(task)
            writer.close()

    async def _serve(self, method: str, path: str, raw: bytes, reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> bool:
        """Answer one request; False closes the connection."""
        if method == "GET":
            return await _send(writer, 200, json.dumps(self.stats()).encode())
        if not path.rstrip("/").endswith("/chat/completions"):
            return await _send(writer, 404, b'{"error": {"message": "not found"}}')
        body = json.loads(raw or b"{}")
        seen, fault = self._begin(body)
        outcome = "answered" if fault is None else "fault"
        try:
            if fault is not None and fault.kind == "hang":
                outcome = "abandoned"
                with contextlib.suppress(asyncio.TimeoutError):  # b"" / error: the client gave up
                    await asyncio.wait_for(reader.read(1), fault.seconds)
                return False
            if self.latency_s:
                await asyncio.sleep(self.latency_s)
            if fault is None or fault.kind == "content":
                text = fault.text if fault else self.reply(body)
                return await _send(writer, 200, json.dumps(completion(text, body)).encode())
            if fault.kind == "echo":
                echoed = f"rejected Authorization: {self._auth}"
                if fault.status == 200:
                    return await _send(writer, 200, json.dumps(completion(echoed, body)).encode())
                err = {"error": {"message": echoed, "type": "invalid_request_error"}}
                return await _send(writer, fault.status, json.dumps(err).encode())
            if fault.kind == "malformed":
                return await _send(writer, 200, b"<html>upstream proxy error, not json")
            err = {"error": {"message": f"injected {fault.status}", "type": "injected"}}
            return await _send(writer, fault.status, json.dumps(err).encode(), fault.headers)
        except BaseException:
            outcome = "abandoned"
            raise
        finally:
            self._end(seen, outcome)


async def _send(writer: asyncio.StreamWriter, status: int, payload: bytes,
                headers: Sequence[tuple[str, str]] = ()) -> bool:
    head = [f"HTTP/1.1 {status} X", "Content-Type: application/json", f"Content-Length: {len(payload)}",
            *(f"{k}: {v}" for k, v in headers)]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
    await writer.drain()
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    with LoopbackLLMServer(latency_s=args.latency) as server:
        print(f"PORT {server.base_url.rsplit(':', 1)[1].split('/')[0]}", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
