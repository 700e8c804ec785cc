"""Unit tests of the LLM client's parts: config, cache key, structured output, retry policy,
cache files and vision messages. No network."""

from __future__ import annotations

import argparse
import base64
import random
import threading
from email.utils import formatdate
from pathlib import Path

import pytest
from pydantic import BaseModel

from pipelines.core.errors import ConfigError, InputError
from pipelines.core.llm import (
    ChatRequest,
    LLMConfig,
    Usage,
    add_llm_arguments,
    config_from_args,
    image_data_url,
    user_message,
)
from pipelines.core.llm.cache import ResponseCache
from pipelines.core.llm.request import build_body, cache_key
from pipelines.core.llm.retry import parse_retry_after, retry_delay
from pipelines.core.llm.structured import InvalidOutput, parse_output

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16


class Answer(BaseModel):
    answer: str
    length: int


def test_config_defaults_to_offline_and_rejects_unknown_fields():
    assert LLMConfig().backend == "offline"
    with pytest.raises(ConfigError, match="llm config: max_concurency: Extra inputs"):
        LLMConfig.make(max_concurency=3)
    with pytest.raises(ConfigError, match="max_concurrency"):
        LLMConfig.make(max_concurrency=0)


def test_cli_arguments_build_a_config_and_manifest_has_no_paths(tmp_path):
    parser = argparse.ArgumentParser()
    add_llm_arguments(parser)
    args = parser.parse_args(["--llm", "openai", "--base-url", "http://127.0.0.1:8000/v1", "--model", "m",
                              "--llm-concurrency", "7", "--llm-cache-dir", str(tmp_path)])
    config = config_from_args(args, failed_path=tmp_path / "f.jsonl")
    assert (config.backend, config.model, config.max_concurrency, config.cache_dir) == (
        "openai", "m", 7, tmp_path)
    assert config_from_args(parser.parse_args([])).backend == "offline"
    manifest = config.for_manifest()
    assert "cache_dir" not in manifest and "failed_path" not in manifest and manifest["model"] == "m"


def key_of(request: ChatRequest, **config: object) -> str:
    cfg = LLMConfig(backend="openai", **config)  # type: ignore[arg-type]
    return cache_key(build_body(cfg, request), request.response_model, request.key)


def test_cache_key_covers_model_messages_params_and_schema_but_not_the_unit_key():
    base = ChatRequest("a", [{"role": "user", "content": "hi"}])
    k = key_of(base)
    assert k == key_of(ChatRequest("b", [{"role": "user", "content": "hi"}]))  # unit key excluded
    assert len({k, key_of(base, model="other"), key_of(base, temperature=0.5),
                key_of(ChatRequest("a", [{"role": "user", "content": "hi!"}])),
                key_of(ChatRequest("a", base.messages, params={"seed": 1})),
                key_of(ChatRequest("a", base.messages, response_model=Answer)),
                key_of(ChatRequest("a", base.messages, response_model=Answer), structured_output="prompt"),
                }) == 7


def test_parse_output_tolerates_fences_and_prose_and_explains_errors():
    assert parse_output('```json\n{"answer": "a", "length": 1}\n```', Answer) == Answer(answer="a", length=1)
    assert parse_output('Sure! {"answer": "a", "length": 1} Done.', Answer) == Answer(answer="a", length=1)
    with pytest.raises(InvalidOutput, match="schema mismatch: length: Field required"):
        parse_output('{"answer": "a"}', Answer)
    with pytest.raises(InvalidOutput, match="invalid JSON"):
        parse_output("no json here", Answer)
    with pytest.raises(InvalidOutput, match="empty"):
        parse_output("  ", None)
    assert parse_output("plain text", None) is None


def test_retry_after_forms_and_backoff_bounds():
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert parse_retry_after({"retry-after": formatdate(1000.0 + 30, usegmt=True)}, now=1000.0) == 30.0
    assert parse_retry_after({"retry-after": "soon"}) is None and parse_retry_after({}) is None
    rng = random.Random(0)
    for n in range(8):
        d = retry_delay(n, base_s=0.5, max_s=4.0, retry_after=None, max_retry_after_s=60, rng=rng)
        cap = min(4.0, 0.5 * 2**n)
        assert cap / 2 <= d <= cap
    assert 3.0 <= retry_delay(0, base_s=0.5, max_s=4, retry_after=3.0, max_retry_after_s=60, rng=rng) <= 3.3
    assert retry_delay(0, base_s=0.5, max_s=4, retry_after=600, max_retry_after_s=10, rng=rng) <= 11


def test_cache_roundtrip_and_persistence(tmp_path):
    cache = ResponseCache(tmp_path)
    key = "ab" + "0" * 62
    assert cache.get(key) is None
    cache.put(key, "line one\nline two \u2028 é", Usage(3, 4), "m")
    assert cache.get(key) == ("line one\nline two \u2028 é", Usage(3, 4))
    cache.close()
    assert ResponseCache(tmp_path).get(key) == ("line one\nline two \u2028 é", Usage(3, 4))
    assert len(list((tmp_path / "v1").glob("*.jsonl"))) == 1


def test_cache_ignores_a_torn_tail_and_damaged_lines(tmp_path):
    cache = ResponseCache(tmp_path)
    good, torn, bad = ("a" * 64, "b" * 64, "c" * 64)
    cache.put(good, "kept", Usage(), "m")
    cache.put(bad, "will be damaged", Usage(), "m")
    cache.close()
    (segment,) = (tmp_path / "v1").glob("*.jsonl")
    data = segment.read_bytes().replace(b"will be damaged", b'will be "damaged')
    segment.write_bytes(data + f'{torn}\t{{"key": "{torn}", "te'.encode())  # killed mid-write
    reader = ResponseCache(tmp_path)
    assert reader.get(good) == ("kept", Usage()) and reader.get(bad) is None and reader.get(torn) is None
    reader.put(bad, "rewritten", Usage(), "m")  # a miss is answered again and appended
    assert ResponseCache(tmp_path).get(bad) == ("rewritten", Usage())


def test_cache_writers_never_share_a_segment(tmp_path):
    first, second = ResponseCache(tmp_path), ResponseCache(tmp_path)  # e.g. two worker processes
    keys = [f"{i:064x}" for i in range(200)]

    def write(cache: ResponseCache, part: list[str]) -> None:
        for key in part:
            cache.put(key, f"answer {key[-3:]}", Usage(1, 2), "m")

    writers = [first, second] * 2
    threads = [threading.Thread(target=write, args=(c, keys[i::4])) for i, c in enumerate(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(list((tmp_path / "v1").glob("*.jsonl"))) == 2
    reader = ResponseCache(tmp_path)
    assert all(reader.get(k) == (f"answer {k[-3:]}", Usage(1, 2)) for k in keys)


def test_vision_message_from_paths_and_bytes(tmp_path):
    (tmp_path / "f1.png").write_bytes(PNG)
    (tmp_path / "f2.jpg").write_bytes(JPEG)
    msg = user_message("describe", [tmp_path / "f1.png", str(tmp_path / "f2.jpg"), JPEG], detail="low")
    assert msg["content"][0] == {"type": "text", "text": "describe"}
    urls = [p["image_url"]["url"] for p in msg["content"][1:]]
    assert urls[0] == "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert urls[1].startswith("data:image/jpeg;base64,") and urls[1] == urls[2]
    assert all(p["image_url"]["detail"] == "low" for p in msg["content"][1:])
    assert user_message("text only") == {"role": "user", "content": "text only"}


def test_vision_rejects_unknown_or_missing_images(tmp_path: Path):
    (tmp_path / "x.png").write_bytes(b"GIF89a....")
    with pytest.raises(InputError, match=r"x.png: not a JPEG or PNG image"):
        image_data_url(tmp_path / "x.png")
    with pytest.raises(InputError, match="cannot read image"):
        image_data_url(tmp_path / "missing.jpg")
