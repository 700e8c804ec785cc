"""No secret in any output file, log line or stderr, whatever the LLM endpoint sends back.

The loopback endpoint echoes the request's ``Authorization`` header in error bodies (500, then a
fatal 401) and even as an answer. The key is deliberately not shaped like an OpenAI key, so only
the "values of secret variables" half of the redaction layer can catch it; an ``hf_`` token in the
environment is checked the same way.
"""

from __future__ import annotations

import logging
import os
import zlib
from pathlib import Path

import pytest

from pipelines.core import redact as redaction
from pipelines.core.redact import redact
from pipelines.core.rng import UnitRng
from tests.badinput import run_cli
from tests.conftest import SHARED_DATA
from tests.llm_server import Fault, LoopbackLLMServer, user_text

KEY = "loopback-Zq81kPa0-key-not-shaped"
HF = "hf_AbCdEfGhIjKlMnOpQrStUv"
pytestmark = pytest.mark.timeout(120)


def _key(body: dict) -> str:
    return str(zlib.crc32(user_text(body).encode()))


def echoing(key: str, attempt: int) -> Fault | None:
    bucket = int(key) % 3
    if bucket == 0:
        return Fault.echo_auth(500)  # every attempt: ends as a recorded failure with the echo
    if bucket == 1:
        return Fault.echo_auth(200)  # the "answer" is the header itself
    return None


def leaks(root: Path, secrets: tuple[str, ...]) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path}: {s[:6]}..." for s in secrets if s.encode() in data]
    return found


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("HF_TOKEN", HF)
    return tmp_path


def build(server: LoopbackLLMServer, out: Path, *extra: str):
    return run_cli("timewarp", "build", "--finevideo", SHARED_DATA / "finevideo", "--out", out,
                   "--no-progress", "--llm", "openai", "--base-url", server.base_url,
                   "--llm-cache-dir", out / "llm-cache", "--llm-max-retries", "1", "--llm-timeout", "5",
                   *extra)


def test_echoed_key_reaches_no_file_log_or_stderr(env: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with LoopbackLLMServer(faults=echoing, key_fn=_key) as server:
        outcome = build(server, env / "out")
        assert any(s.fault == "echo" for s in server.seen)
    assert outcome.status in (0, 1), outcome.stderr
    failed = (env / "out/timewarp/0.1.0/llm_failed.jsonl").read_text()
    assert "<redacted>" in failed  # the echo was recorded, without the key
    assert leaks(env, (KEY, HF)) == []
    assert KEY not in outcome.stderr and KEY not in caplog.text


def test_fatal_401_echo_is_one_redacted_line(env: Path) -> None:
    with LoopbackLLMServer(faults=lambda key, attempt: Fault.echo_auth(401), key_fn=_key) as server:
        outcome = build(server, env / "out")
    line = outcome.assert_one_line_error("refused request", "<redacted>")
    assert KEY not in line and leaks(env, (KEY, HF)) == []


@pytest.mark.parametrize("text", [
    "Authorization: Bearer abcdefgh12345678", "key sk-proj-AAAA1111bbbbCCCC", "token hf_abcdefgh12345678",
    f"env value {KEY}", f"{HF} twice {HF}",
])
def test_redaction_covers_values_and_key_shapes(env: Path, text: str) -> None:
    cleaned = redact(text)
    assert "<redacted>" in cleaned
    for secret in (KEY, HF, "abcdefgh12345678", "sk-proj-AAAA1111bbbbCCCC", "hf_abcdefgh12345678"):
        assert secret not in cleaned


def test_redaction_leaves_ordinary_text_alone() -> None:
    text = ("video G_VTkkb34gw scene 3: a person skis down (tokens: 120, key frame 0902); Basic "
            "training for the Bearer of bad news; risk-free sk-learn hf_hub_download")
    assert redact(text) == text


def test_key_shapes_are_replaced_exactly_as_the_pattern_would(monkeypatch: pytest.MonkeyPatch) -> None:
    """``redact`` tries the key-shape pattern only where one of its literal starts occurs; on texts
    mixing starts inside words, adjacent and overlapping candidates and whitespace runs, the result
    is exactly ``_SHAPES.sub`` over the whole text."""
    for name in [k for k in os.environ if redaction._SECRET_NAME.search(k)]:
        monkeypatch.delenv(name)
    for name in redaction.SECRET_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    pieces = ["sk-", "desk-", "hf_", "Bearer", "Basic", " ", "\n", "\t", "A1b2C3d4E5f6G7h8", "xoxb-",
              "xoxz-", "AKIA", "ABCDEFGHIJKLMNOP", "0123456789", "_", "-", "risk-free", "é", "x", "."]
    replaced = 0
    for case in range(3000):
        rng = UnitRng(0, f"redact/{case}")
        text = "".join(rng.choice(pieces) for _ in range(1 + rng.below(24)))
        expected = redaction._SHAPES.sub(redaction.MARK, text)
        assert redact(text) == expected, text
        replaced += expected != text
    assert replaced > 300  # the corpus does exercise replacements, not only pass-through
