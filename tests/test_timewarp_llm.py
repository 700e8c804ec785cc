"""timewarp with ``--llm openai`` end to end against a loopback OpenAI-compatible server.

The server answers like a careful model would (it reads the numbered events in the prompt and
answers "what happens right after X" from that order) and injects faults: 429 with Retry-After,
500, malformed bodies, and one request that never gets valid JSON. Every question must end as a
pair, an ``order_insensitive`` drop, or a recorded LLM failure; a warm re-run sends nothing.
"""

from __future__ import annotations

import json
import re
import zlib

import pytest

from pipelines.cli import main
from tests.conftest import SHARED_DATA, load_local
from tests.llm_server import Fault, LoopbackLLMServer, user_text

FINEVIDEO = SHARED_DATA / "finevideo"


def events_of(text: str) -> list[str]:
    block = text.split("order they happen:\n", 1)[1].split("\n\n", 1)[0]
    return [re.sub(r"^\d+\. ", "", line) for line in block.splitlines()]


def next_after(events: list[str], anchor: str) -> str:
    position = events.index(anchor)
    return events[position + 1] if position + 1 < len(events) else "Nothing, it is the last event."


def image_urls(body: dict) -> list[str]:
    content = body["messages"][-1]["content"]
    return [] if isinstance(content, str) else [p["image_url"]["url"] for p in content
                                                if p.get("type") == "image_url"]


def reply(body: dict) -> str:
    text = user_text(body)
    if "order they happen:" not in text:  # a vision request: describe the frames
        urls = image_urls(body)  # answer depends on the pixels, like a model's would
        return f"Seen {len(urls)} frames ({zlib.crc32(''.join(urls).encode())}) for: {text}"
    events = events_of(text)
    if "Write " in text:
        count = int(re.search(r"Write (\d+) different questions", text).group(1))
        items = [{"question": f"What happens right after {e}?", "answer": next_after(events, e)}
                 for e in events[:count]]
        return json.dumps({"items": items})
    questions = re.findall(r"^\d+\. What happens right after (.*)\?$", text.split("same order:\n", 1)[1],
                           re.M)
    return json.dumps({"answers": [next_after(events, q) for q in questions]})


def key_of(body: dict) -> str:
    return str(zlib.crc32(user_text(body).encode()))


def faults(key: str, attempt: int) -> Fault | None:
    bucket = int(key) % 10
    if bucket == 7:
        return Fault.content("this is not JSON")  # never valid: must end as a recorded failure
    if attempt == 0 and bucket == 1:
        return Fault.http(429, retry_after="0.05")
    if attempt == 0 and bucket == 2:
        return Fault.http(500)
    if attempt == 0 and bucket == 3:
        return Fault.malformed()
    return None


@pytest.fixture()
def llm_env(monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-loopback-test")
    return tmp_path


def run_build(server: LoopbackLLMServer, out, cache) -> int:
    return main(["timewarp", "build", "--finevideo", str(FINEVIDEO), "--out", str(out), "--no-progress",
                 "--llm", "openai", "--base-url", server.base_url, "--model", "loopback-model",
                 "--llm-cache-dir", str(cache), "--llm-max-retries", "3", "--llm-timeout", "5"])


def test_llm_backend_end_to_end(llm_env):
    out, cache = llm_env / "out", llm_env / "cache"
    with LoopbackLLMServer(reply=reply, faults=faults, key_fn=key_of) as server:
        assert run_build(server, out, cache) == 0
        first_requests = len(server.seen)
        keys = {s.key for s in server.seen}
    build = out / "timewarp" / "0.1.0"
    manifest = json.loads((build / "manifest.json").read_text())
    qa = manifest["counts"]["qa_pairs"]
    assert qa["reconciles"] and qa["accepted"] > 20
    assert set(qa["rejected"]) <= {"order_insensitive", "llm_invalid_output", "llm_invalid_json",
                                   "too_few_events"} | {k for k in qa["rejected"] if k.startswith("llm_")}
    failed = (build / "llm_failed.jsonl").read_text().splitlines()
    bad_keys = [k for k in keys if int(k) % 10 == 7]
    assert bad_keys and len(failed) >= 1, "the always-invalid request must be recorded as failed"
    assert any(k.startswith("llm_") for k in qa["rejected"])
    stats = manifest["llm"]["stats"]
    assert manifest["llm"]["backend"] == "openai" and stats["failed"] == len(failed)
    # built without videos: the LLaVA-Hound export is not written, TRL's is (text-only)
    dpo = [json.loads(line) for line in (build / "exports/trl/dpo.jsonl").read_text().splitlines()]
    assert len(dpo) == qa["accepted"] and all(r["chosen"] != r["rejected"] for r in dpo)
    assert first_requests >= 2 * 40

    # warm cache: the same build again sends no request at all
    with LoopbackLLMServer(reply=reply, faults=faults, key_fn=key_of) as server:
        assert run_build(server, llm_env / "again", cache) == 0
        resent = [s for s in server.seen if int(s.key) % 10 != 7]
        assert resent == [], "answered requests must come from the cache"
    again = json.loads((llm_env / "again/timewarp/0.1.0/manifest.json").read_text())
    assert again["configs"] == manifest["configs"]


def test_vision_implicit_preferences_on_rendered_demo(llm_env, tmp_path):
    out, cache = llm_env / "out", llm_env / "cache"
    with LoopbackLLMServer(reply=reply, key_fn=key_of) as server:
        assert main(["timewarp", "build", "--out", str(out), "--no-progress", "--llm", "openai",
                     "--base-url", server.base_url, "--model", "vision-model",
                     "--llm-cache-dir", str(cache)]) == 0
        vision = [s for s in server.seen if image_urls(s.body)]
    build = out / "timewarp" / "0.1.0"
    rows = [json.loads(line) for line in (build / "exports/lmms_eval/timewar_normal.jsonl").read_text()
            .splitlines()]
    assert rows

    implicit = load_local(build, "implicit", "train")
    assert implicit.num_rows == 4 and set(implicit["backend"]) == {"llm:vision-model"}
    assert len(vision) == 8  # two descriptions per rendered video
    assert all(url.startswith("data:image/jpeg;base64,") for s in vision for url in image_urls(s.body))
    assert all(len(image_urls(s.body)) == 8 for s in vision)
    for row in implicit:
        assert row["chosen"].startswith("Seen 8 frames") and row["chosen"] != row["rejected"]
        if row["dispreferred_kind"] == "corrupted_frames":
            corrupted = sorted((build / "media" / row["video_id"] / f"corrupted_{row['theme']}").glob("*"))
            assert len(corrupted) == 8
    # source frames are untouched: identical to an offline build's frames
    assert main(["timewarp", "build", "--out", str(tmp_path / "offline"), "--no-progress"]) == 0
    offline = tmp_path / "offline" / "timewarp" / "0.1.0" / "media"
    for frame in sorted((build / "media").glob("*/normal_frames/*.jpeg")):
        assert frame.read_bytes() == (offline / frame.relative_to(build / "media")).read_bytes()
