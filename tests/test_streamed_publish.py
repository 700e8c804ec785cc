"""Streamed publication (core/streamed.py): shards, exports, card and report written unit by unit
from the work cache are the bytes the whole-table writers give, and the keyed samples are the
ones the whole-list code takes."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from datasets import Features, Sequence, Value

from pipelines.core.blind import ChoiceItem, blind_choice_report
from pipelines.core.evalformats import jsonl_text, tsv_text
from pipelines.core.executors import LocalExecutor
from pipelines.core.exportfiles import ExportFiles, json_list
from pipelines.core.reservoir import KeyedSample
from pipelines.core.shards import write_shards
from pipelines.core.shardstream import ShardStream
from pipelines.timewarp import separability
from pipelines.timewarp.build import build_timewarp
from pipelines.timewarp.config import TimewarpParams
from pipelines.timewarp.demo import write_demo_inputs
from pipelines.timewarp.publish import write_card_exports_report
from pipelines.timewarp.schema import FEATURES, SPLITS
from pipelines.timewarp.stats import build_stats, recipe_stats

TOY = Features({"id": Value("string"), "n": Value("int64"), "tags": Sequence(Value("string")),
                "x": Value("float64")})


def toy_rows(count: int) -> list[dict]:
    return [{"id": f"r{i}", "n": i % 7, "tags": [f"t{i % 3}"] * (i % 4), "x": i / 3} for i in range(count)]


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(("total", "per_shard"), [(0, 10), (7, 100_000), (95, 10), (60_001, 100_000),
                                                  (120_001, 50_001)])
def test_shard_stream_writes_the_whole_table_bytes(tmp_path, total, per_shard):
    rows = toy_rows(total)
    write_shards(tmp_path / "whole", "c", "train", rows, TOY, per_shard)
    stream = ShardStream(tmp_path / "stream", "c", "train", TOY, total, per_shard)
    start, draw = 0, random.Random(total)
    while start < total:  # uneven batches, as units give them
        step = draw.randint(1, 3000)
        stream.add(rows[start:start + step])
        start += step
    stream.close()
    whole, streamed = files(tmp_path / "whole"), files(tmp_path / "stream")
    assert whole == streamed and len(whole) == max(1, -(-total // per_shard))


def test_shard_stream_refuses_a_row_count_other_than_counted(tmp_path):
    stream = ShardStream(tmp_path, "c", "train", TOY, 3)
    with pytest.raises(ValueError, match="more rows"):
        stream.add(toy_rows(4))
    short = ShardStream(tmp_path, "d", "train", TOY, 3)
    short.add(toy_rows(2))
    with pytest.raises(ValueError, match="2 rows added, 3 counted"):
        short.close()
    short.abort()
    assert not list((tmp_path / "data").rglob("*.parquet"))  # no shard under a final name


def test_keyed_sample_takes_the_lowest_ranks_in_stream_order():
    keys = [f"k{i}" for i in range(500)]
    rank = lambda key: separability.sample_rank(3, key)  # noqa: E731
    sample = KeyedSample(40, rank)
    for key in keys:
        sample.offer(key)
    expected = sorted(sorted(range(len(keys)), key=lambda i: (rank(keys[i]), i))[:40])
    assert sample.positions() == expected
    assert len(set(sample.positions())) == 40


def test_streamed_text_only_sample_is_the_blind_subsample(monkeypatch):
    """Beyond the sample size, the rows fed unit by unit give the report blind.py gives on the
    whole item list (its own keyed subsample)."""
    monkeypatch.setattr(separability, "SAMPLE", 60)
    rows = [{"id": f"v{i // 3}/p{i}", "video_id": f"v{i // 3}",
             "prompt": f"What happens after event {i % 5}?",
             "chosen": f"Event {(i + 1) % 5} follows", "rejected": f"Event {(i + 3) % 5} precedes",
             "question_kind": "after"} for i in range(150)]
    units = [{"dpo": rows[i:i + 3]} for i in range(0, len(rows), 3)]
    streamed = separability.TextOnlySample(seed=5)
    for unit in units:
        streamed.add("dpo", unit["dpo"])
    items = streamed.items("dpo", lambda: units)
    whole: list[ChoiceItem] = [separability.pair_item(r, 5) for r in rows]
    assert blind_choice_report(items, seed=5, target=0.6, max_items=60) == \
        blind_choice_report(whole, seed=5, target=0.6, max_items=60)
    assert len(items) == 60


@pytest.fixture(scope="module")
def streamed_build(tmp_path_factory):
    """The metadata-only timewarp demo, built by the orchestrator's streamed path."""
    root = tmp_path_factory.mktemp("streamed")
    metadata, _videos = write_demo_inputs(root / "inputs")
    return build_timewarp(metadata, TimewarpParams(), root / "out", "1.0.0", LocalExecutor(1, progress=False))


def test_streamed_build_equals_the_whole_table_writers(streamed_build, tmp_path):
    """Shards, exports, card and report of the streamed build against the whole-list writers fed
    every row at once (the rows and video outputs the build kept)."""
    result = streamed_build
    for config, rows in result.records.items():
        write_shards(tmp_path, config, SPLITS[config], rows, FEATURES[config])
    params = TimewarpParams()
    stats = build_stats(result.outputs, result.records, result.ledger)
    dropped = result.stats["answers"]["nothing_dropped_by_cap"]
    stats.update(recipe_stats(result.outputs, result.records, dropped, params.nothing_max_share, params.seed))
    assert stats == result.stats
    write_card_exports_report(tmp_path, result.records, stats, result.ledger, params, "1.0.0",
                              result.manifest["input_files"])
    built = files(result.build_dir)
    whole = files(tmp_path)
    assert set(whole) <= set(built) and any(name.startswith("exports/") for name in whole)
    for name, data in whole.items():
        assert built[name] == data, name


def test_streamed_build_lets_the_units_go_after_their_pass(tmp_path):
    """Once a streamed pass has run, its units (every video's metadata) are not held through the
    publication; the results come from the work cache and still cover every unit."""
    from pipelines.core.orchestrator import run_build
    from pipelines.timewarp.inputs import TimewarpInputs
    from pipelines.timewarp.recipe import RECIPE

    metadata, _videos = write_demo_inputs(tmp_path / "inputs")
    outcome = run_build(RECIPE, TimewarpInputs(metadata), TimewarpParams(), tmp_path / "out", "1.0.0",
                        LocalExecutor(1, progress=False))
    first = outcome.build.passes[0]
    assert first.name == "videos" and first.units == ()
    assert len(first.keys) == len(list(metadata.glob("*.json")))
    assert outcome.ledger.reconciles() and sum(outcome.counts.values()) > 0


def test_export_files_grow_into_the_whole_list_texts(tmp_path):
    """core/exportfiles.py: fed in uneven batches, each file is the whole-list text; a failure in
    the block leaves no file at all (nor a temporary one)."""
    records = [{"id": f"r{i}", "text": "tab\there" if i % 5 == 0 else f"é {i}", "n": i} for i in range(23)]
    with ExportFiles(tmp_path / "ok") as exports:
        listed, lines = exports.json_list("a/list.json"), exports.jsonl("a/lines.jsonl")
        table = exports.tsv("b/table.tsv", ("index", "id", "text"))
        exports.text("b/constant.txt", "fixed\n")
        for start in (0, 1, 8, 20):
            batch = records[start:{0: 1, 1: 8, 8: 20, 20: 23}[start]]
            listed.add(batch)
            lines.add(batch)
            table.writerows([r["n"], r["id"], r["text"]] for r in batch)
    out = tmp_path / "ok"
    assert (out / "a" / "list.json").read_text() == json_list(records)
    assert json.loads((out / "a" / "list.json").read_text()) == records
    assert (out / "a" / "lines.jsonl").read_text() == jsonl_text(records)
    assert (out / "b" / "table.tsv").read_text() == tsv_text(
        ("index", "id", "text"), ([r["n"], r["id"], r["text"]] for r in records))
    assert [p.relative_to(out).as_posix() for p in exports.files] == [
        "a/list.json", "a/lines.jsonl", "b/table.tsv", "b/constant.txt"]
    with pytest.raises(RuntimeError), ExportFiles(tmp_path / "failed") as exports:
        exports.json_list("a/list.json").add(records)
        exports.text("b/constant.txt", "fixed\n")
        raise RuntimeError("a unit's rows could not be read")
    assert not [p for p in (tmp_path / "failed").rglob("*") if p.is_file()]
