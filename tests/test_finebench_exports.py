"""finebench evaluator exports: the column-wise writer equals the per-record reference byte for byte.

The reference below is the previous implementation (``csv`` + ``candidates_literal`` for the TSV,
``json.dumps`` per record for the JSONL, ``frame_times`` as the generator's float64 times).
"""

from __future__ import annotations

import ast
import io
import json
import random
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.core.evalcolumns import candidates_literals, json_string_lists, json_strings, tsv_fields
from pipelines.core.evalformats import LETTERS, candidates_literal, jsonl_text, tsv_text
from pipelines.finebench import exports
from pipelines.finebench.config import FinebenchParams, FrameWindow
from pipelines.finebench.exports import JSONL_KEYS, TSV_HEADER, write_exports
from pipelines.finebench.schema import MCQ_FEATURES

SCHEMA = MCQ_FEATURES.arrow_schema
HOSTILE = ["plain text", 'say "hi"', "back\\slash", "trailing\\", '\\"', '""', "tab\there",
           "new\nline", "cr\rreturn", "crlf\r\nend", "café 日本語 😀", "line\u2028sep\u2029para",
           "nbsp\u00a0x", "soft\u00adhyphen", "zwj\u200dx", "bell\x07", "del\x7f", "nul\x00x", "\x1f\x0b\x0c",
           "", "  spaced  ", "it's", "a,b;c", "<video>", "{json: [1]}"]
PLAIN = ["stand", "sit", "walk", "talk to (e.g., self, a person)", "carry/hold (an object)", "ride"]
WINDOWS = [FrameWindow(), FrameWindow(stride=0.5, num_frames=4),
           FrameWindow(mode="streaming", stride=0.3, num_frames=7)]


# --- reference: the per-record writers the column-wise code replaces --------------------------------

def reference_tsv(records: list[dict[str, Any]], frames: FrameWindow) -> str:
    return tsv_text(TSV_HEADER, (
        (index, r["id"], r["video_id"], r["question"], candidates_literal(r["options"]), r["answer"],
         r["category"], r["timestamp"], "[" + ", ".join(map(repr, frames.times(float(r["timestamp"])))) + "]",
         r["referring_phrase"]) for index, r in enumerate(records)))


def reference_jsonl(records: list[dict[str, Any]], frames: FrameWindow) -> str:
    return jsonl_text({k: frames.times(float(r["timestamp"])) if k == "frame_times" else r[k]
                       for k in JSONL_KEYS} for r in records)


# --- data --------------------------------------------------------------------------------------------

def synthetic_records(n: int = 200, seed: int = 0, with_keys: bool = True) -> list[dict[str, Any]]:
    rng = random.Random(seed)

    def text(hostile: float = 0.3) -> str:
        return rng.choice(HOSTILE) + " " + rng.choice(PLAIN) if rng.random() < hostile else rng.choice(PLAIN)

    records = []
    for i in range(n):
        ts = rng.randrange(902, 1798)
        options = [text(0.15) for _ in range(4)]
        keys = ([f"frames/{i % 7}/{ts}_{k}.jpg" if k % 2 else text(0.5) for k in range(rng.randrange(1, 4))]
                if with_keys and rng.random() < 0.2 else [])
        records.append({
            "id": f"fb-{i:06d}" + (rng.choice(HOSTILE) if rng.random() < 0.1 else ""),
            "video_id": rng.choice(["1j20qq1JyX4", "-5KQ66BBWC4", 'v"q', "v\tt"]), "timestamp": ts,
            "person_id": i % 5, "bbox": [0.1, 0.2, 0.3, 0.4], "num_persons": 3, "person_rank": 1,
            "referring_phrase": text(), "category": rng.choice(["action", "interaction", "pose"]),
            "action_ids": [1, 2], "action_names": ["a", "b"], "is_compound": False, "template_id": "t1",
            "question": f"What is {text()} doing?", "options": options, "answer": rng.choice(LETTERS[:4]),
            "answer_text": options[0], "distractor_tiers": ["a", "b", "c"], "box_hint": f"Box {text(0.2)}",
            "frame_times": WINDOWS[0].times(float(ts)), "frame_keys": keys, "in_subset": i % 3 == 0})
    return records


def as_table(records: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(records, schema=SCHEMA)


def exported(build_dir: Path, config: str) -> tuple[bytes, bytes]:
    return ((build_dir / "exports" / "vlmevalkit" / f"FineBench_{config}.tsv").read_bytes(),
            (build_dir / "exports" / "lmms_eval" / f"finebench_{config}.jsonl").read_bytes())


def assert_identical(build_dir: Path, config: str, records: list[dict[str, Any]],
                     frames: FrameWindow) -> None:
    tsv, jsonl = exported(build_dir, config)
    assert tsv == reference_tsv(records, frames).encode()
    assert jsonl == reference_jsonl(records, frames).encode()


# --- tests -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("frames", WINDOWS, ids=["window", "stride0.5", "streaming0.3"])
def test_byte_identical_to_per_record_writer(tmp_path: Path, frames: FrameWindow) -> None:
    mcq = synthetic_records(240)
    no_keys = synthetic_records(200, seed=1, with_keys=False)
    assert any(r["frame_keys"] for r in mcq) and any(not r["frame_keys"] for r in mcq)
    tables = {"mcq": as_table(mcq), "subset": as_table(no_keys), "empty": SCHEMA.empty_table()}
    written = write_exports(tmp_path, tables, frames)
    assert len(written) == 3 * len(tables) + 2 and all(p.exists() for p in written)
    for config, records in (("mcq", mcq), ("subset", no_keys), ("empty", [])):
        assert_identical(tmp_path, config, records, frames)
    assert exported(tmp_path, "empty") == ("\t".join(TSV_HEADER).encode() + b"\n", b"")


def test_chunked_and_sliced_tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "CHUNK_ROWS", 7)
    records = synthetic_records(60, seed=2)
    table = pa.concat_tables([as_table(records[:25]), as_table(records[25:])]).slice(3, 50)
    assert sum(bool(r["frame_keys"]) for r in records[3:53]) >= 3
    write_exports(tmp_path, {"mcq": table}, WINDOWS[1])
    assert_identical(tmp_path, "mcq", records[3:53], WINDOWS[1])


def test_column_helpers_match_per_value_functions() -> None:
    texts = [chr(c) + "x" for c in range(160)] + HOSTILE + ["\u2028", "\ud7ff\ue000\U0010ffff", "é\\\"\t"]
    column = pa.array(texts).slice(1)  # a sliced column: offsets do not start at 0
    texts = texts[1:]
    assert json_strings(column).to_pylist() == [json.dumps(t, ensure_ascii=False) for t in texts]
    assert tsv_fields(column).to_pylist() == [tsv_text([t, "x"], []).rsplit("\t", 1)[0] for t in texts]
    options = [[texts[(i + k * 37) % len(texts)] for k in range(4)] for i in range(len(texts))]
    options += [[PLAIN[(i + k) % len(PLAIN)] for k in range(4)] for i in range(10)]
    fixed = pa.array(options, pa.list_(pa.string(), 4))
    assert candidates_literals(fixed).to_pylist() == [candidates_literal(o) for o in options]
    lists = pa.array([o[: i % 5] for i, o in enumerate(options)], pa.list_(pa.string())).slice(2)
    assert json_string_lists(lists).to_pylist() == [json.dumps(o[: i % 5], ensure_ascii=False)
                                                    for i, o in enumerate(options)][2:]


def test_outputs_parse(tmp_path: Path) -> None:
    # csv (Python 3.11) leaves a lone "\r" unquoted, which pandas then reads as a line break: the
    # byte-identical TSV inherits that, so only rows free of "\r" and NUL are read back here.
    records = [r for r in synthetic_records(300, seed=3)
               if not any(c in json.dumps(r, ensure_ascii=False) for c in ("\\r", "\\u0000"))]
    write_exports(tmp_path, {"mcq": as_table(records)}, FrameWindow())
    tsv, jsonl = exported(tmp_path, "mcq")
    frame = pd.read_csv(io.BytesIO(tsv), sep="\t", dtype=str, keep_default_na=False)
    assert list(frame.columns) == list(TSV_HEADER) and len(frame) == len(records)
    assert frame["question"].tolist() == [r["question"] for r in records]
    assert frame["referring_phrase"].tolist() == [r["referring_phrase"] for r in records]
    for cell, r in zip(frame["candidates"], records, strict=True):
        labelled = [f"{LETTERS[i]}. {o}" for i, o in enumerate(r["options"])]
        assert ast.literal_eval(cell) == json.loads(cell) == labelled
    lines = jsonl.decode().split("\n")
    assert lines[-1] == "" and len(lines) == len(records) + 1
    for line, r in zip(lines[:-1], records, strict=True):
        row = json.loads(line)
        assert list(row) == list(JSONL_KEYS) and row["question"] == r["question"]
        assert row["options"] == r["options"] and row["frame_keys"] == r["frame_keys"]


def test_nulls_in_list_columns_are_rejected(tmp_path: Path) -> None:
    records = synthetic_records(5)
    records[2]["options"] = None
    with pytest.raises(ValueError, match="options"):
        write_exports(tmp_path, {"mcq": as_table(records)}, FrameWindow())


def test_real_build_exports(real_build) -> None:
    """The build's exports equal the reference rendering of its own parquet shards."""
    frames = FinebenchParams().frames
    for config in ("mcq", "subset"):
        shards = sorted((real_build.build_dir / "data" / config).glob("*.parquet"))
        records = pa.concat_tables(pq.read_table(p) for p in shards).to_pylist()
        assert records or config == "subset"
        assert_identical(real_build.build_dir, config, records, frames)

