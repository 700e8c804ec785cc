"""A rebuild into the same folder reloads fresh with ``datasets``' default cache behaviour.

Before the card carried a content key per config, ``load_dataset(folder, config)`` returned the
previous build's rows, and ``download_mode="force_redownload"`` raised
``NonMatchingSplitsSizesError`` when the row count changed (datasets 4.0 and 5.2).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from datasets import load_dataset

from pipelines.cli import main
from pipelines.core.cachekey import config_digests


def build(out: Path, ava_files: dict[str, Path] | None, seed: int) -> Path:
    real = ["--ava-csv", str(ava_files["csv"]), "--labels", str(ava_files["labels"]),
            "--excluded", str(ava_files["excluded"])] if ava_files else []
    assert main(["finebench", "build", "--out", str(out), "--seed", str(seed), "--no-progress", *real]) == 0
    return out / "finebench" / "0.1.0"


def shard_rows(build_dir: Path, config: str) -> list[dict]:
    shards = sorted((build_dir / "data" / config).glob("*.parquet"))
    return pa.concat_tables(pq.read_table(p) for p in shards).select(["id", "question", "answer"]).to_pylist()


def loaded_rows(build_dir: Path, config: str, cache: Path, **kwargs: str) -> list[dict]:
    data = load_dataset(str(build_dir), config, split="test", cache_dir=str(cache), **kwargs)
    return data.select_columns(["id", "question", "answer"]).to_list()


@pytest.mark.slow
def test_rebuild_into_the_same_folder_reloads_fresh(tmp_path: Path, ava_files: dict[str, Path]) -> None:
    out, cache = tmp_path / "out", tmp_path / "hf_cache"  # one cache for every load, as a user has
    first = build(out, None, seed=0)
    before = shard_rows(first, "mcq")
    assert loaded_rows(first, "mcq", cache) == before
    header = yaml.safe_load((first / "README.md").read_text().split("---\n", 2)[1])
    digests = config_digests(first)
    assert {c["config_name"]: c["description"] for c in header["configs"]} == {
        name: f"content {digest}" for name, digest in digests.items()}
    # same row count, other questions (seed), then another row count (the real excerpt)
    for ava, seed in ((None, 3), (ava_files, 0)):
        rebuilt = build(out, ava, seed)
        now = shard_rows(rebuilt, "mcq")
        assert now != before
        assert loaded_rows(rebuilt, "mcq", cache) == now
        assert loaded_rows(rebuilt, "mcq", cache, download_mode="force_redownload") == now
        before = now
