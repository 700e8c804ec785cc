"""revos descriptions with ``--llm openai`` against a loopback OpenAI-compatible server."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipelines.cli import main
from tests.conftest import load_local
from tests.llm_server import LoopbackLLMServer, user_text

WRONG_SHAPE = "the ball and the square"  # the stand-in answers one short text for two objects


def reply(body: dict) -> str:
    text = user_text(body)
    objects = re.findall(r"^object_(\d+):", text, re.M)
    expression = re.search(r'expression: "(.*)"', text).group(1)
    count = 1 if expression == WRONG_SHAPE else len(objects)
    return json.dumps({"short": [f"described object {i + 1} of {expression}" for i in range(count)],
                       "long": f"a long account of {expression}"})


def image_count(body: dict) -> int:
    content = body["messages"][-1]["content"]
    return 0 if isinstance(content, str) else sum(p.get("type") == "image_url" for p in content)


def _build(server: LoopbackLLMServer, out: Path, cache: Path) -> int:
    return main(["revos", "build", "--out", str(out), "--no-progress", "--llm", "openai",
                 "--base-url", server.base_url, "--model", "loopback-model", "--llm-cache-dir", str(cache)])


def test_descriptions_come_from_the_llm_and_a_warm_rerun_sends_nothing(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-loopback-test")
    with LoopbackLLMServer(reply=reply) as server:
        assert _build(server, tmp_path / "a", tmp_path / "cache") == 0
        bodies = [s.body for s in server.seen]
    assert bodies and all(image_count(b) > 0 for b in bodies)  # the demo's frames are attached
    build = tmp_path / "a" / "revos" / "0.1.0"
    manifest = json.loads((build / "manifest.json").read_text())
    llm = manifest["llm"]
    assert llm["wrong_shape"] == 1 and llm["described"] == llm["requests"] - 1 == len(bodies) - 1
    rows = load_local(build, "pixtrqa", "train")
    for row in rows:
        if row["expression"] == WRONG_SHAPE:
            assert row["description_source"] == "expression_text"
            continue
        assert row["description_source"] == "llm:loopback-model"
        assert f"(described object 1 of {row['expression']})" in row["question"]
        assert row["answer"].endswith(f"a long account of {row['expression']}")
    with LoopbackLLMServer(reply=reply) as server:
        assert _build(server, tmp_path / "b", tmp_path / "cache") == 0
        assert server.seen == []
    again = build.parent.parent.parent / "b" / "revos" / "0.1.0"
    assert (again / "data" / "pixtrqa" / "train-00000-of-00001.parquet").read_bytes() == \
        (build / "data" / "pixtrqa" / "train-00000-of-00001.parquet").read_bytes()


@pytest.mark.parametrize("pattern", ["<T-{}>", "{:03d}"])
def test_special_tokens_are_configurable(tmp_path: Path, pattern: str) -> None:
    assert main(["revos", "build", "--out", str(tmp_path), "--no-progress", "--region-token", "<obj>",
                 "--seg-token", "<mask>", "--time-token-format", pattern]) == 0
    rows = load_local(tmp_path / "revos" / "0.1.0", "pixtrqa", "train")
    for row in rows:
        assert "<region>" not in row["question"]
        assert row["question"].count("<obj>") == len(row["region_masks"])
        assert row["answer"].count("<mask>") == len(row["seg_masks"])
        start, end = row["time_tokens"]
        assert f"({pattern.format(start)})" in row["answer"] and f"({pattern.format(end)})" in row["answer"]


def test_a_bad_time_token_pattern_is_a_one_line_error(tmp_path: Path, capsys) -> None:
    argv = ["revos", "build", "--out", str(tmp_path), "--no-progress", "--time-token-format", "<T-{x}>"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "tokens.time_format" in err[0] and "str.format pattern" in err[0]
