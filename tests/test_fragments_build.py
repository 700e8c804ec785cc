"""fragments end to end on the demo the project renders itself: every video and N accounted, the
acceptance invariants on the shards, the split by video, and the exports. (Workers 1 and 2 giving
identical bytes, and kill-then-resume, are checked on this demo by tests/test_run_contract.py.)"""

from __future__ import annotations

import ast
import csv
import io
import json
from pathlib import Path
from typing import Any

import cv2
import pytest
import yaml
from conftest import assert_exports_described, load_local

from pipelines.core.executors import LocalExecutor
from pipelines.core.presence import read_ava_presence
from pipelines.core.shards import write_shards
from pipelines.core.video import frame_difference
from pipelines.fragments.arrange import apply_sequence
from pipelines.fragments.build import FragmentsInputs, FragmentsResult, build_fragments
from pipelines.fragments.config import FragmentsParams
from pipelines.fragments.demo import write_demo_inputs
from pipelines.fragments.order import presence_at
from pipelines.fragments.publish import publish
from pipelines.fragments.records import FEATURES, SPLITS

PARAMS = FragmentsParams(frame_counts=(2, 3, 4, 6), scene_frames=4, speed_seconds=2.0)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_demo_inputs(tmp_path_factory.mktemp("fragments_demo"))


@pytest.fixture(scope="module")
def builds(demo: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[int, FragmentsResult]:
    inputs = FragmentsInputs(demo["videos"], demo["ava_csv"], demo["labels"], demo["effects"])
    return {1: build_fragments(inputs, PARAMS, tmp_path_factory.mktemp("w1"), "0.1.0",
                               LocalExecutor(1, progress=False))}


def rows(result: FragmentsResult, config: str) -> list[dict[str, Any]]:
    return result.records[config]


def test_every_video_and_n_is_accounted(builds: dict[int, FragmentsResult], demo: dict[str, Path]) -> None:
    result = builds[1]
    files = sorted(p.stem for p in demo["videos"].iterdir())
    counts = result.manifest["counts"]
    assert result.manifest["reconciles"] and result.ledger.reconciles()
    assert counts["videos"]["inputs"] == len(files)
    assert counts["fragments"]["inputs"] == len(files) * len(PARAMS.frame_counts)
    assert counts["videos"]["rejected"] == {"empty_file": 1}
    still = [r for r in result.ledger.rejects if r.unit.startswith("demo_still/")]
    assert len(still) == len(PARAMS.frame_counts) and {r.reason for r in still} == {"too_few_distinct_frames"}
    rejects = [json.loads(line) for line in (result.build_dir / "rejects.jsonl").read_text().splitlines()]
    assert len(rejects) == sum(c["rejected_total"] for c in counts.values())
    units = {(r.stage, r.unit) for r in result.ledger.rejects}
    for video in files:
        for n in PARAMS.frame_counts:
            asked = any(r["id"].startswith(f"{video}/n{n}/") for c in ("sft", "bench_fragment")
                        for r in rows(result, c))
            assert asked != (("fragments", f"{video}/n{n}") in units), (video, n)


def test_benchmark_invariants_on_the_shards(builds: dict[int, FragmentsResult]) -> None:
    result = builds[1]
    data = load_local(result.build_dir, "bench_fragment", "test")
    assert len(data) == len(rows(result, "bench_fragment")) > 0
    tasks = {r["task"] for r in data}
    assert tasks == {"frame_count", "meaning_of_order", "frame_comparison", "adjust_or_not", "rearrangement"}
    for r in data:
        key = r["options"]["ABCD".index(r["answer"])]
        assert key == r["answer_text"] and key != "Not sure"
        for path in r["frames"]:
            assert cv2.imread(str(result.build_dir / path)) is not None
        if r["task"] == "frame_count":
            assert key == f"{len(r['frames'])} frames" and len(r["frames"]) == r["n"]
        if r["task"] == "rearrangement":
            restored = apply_sequence(r["frame_times"], [int(x) for x in key.split(", ")])
            assert restored == sorted(r["frame_times"])
        if r["task"] == "adjust_or_not":
            assert (key == "Yes") == (r["frame_times"] != sorted(r["frame_times"]))
        if r["task"] == "frame_comparison":
            a, b = (result.build_dir / p for p in r["frames"])
            if r["subtask"].startswith("same_pair"):
                assert a == b
            else:
                assert frame_difference(a, b) > PARAMS.difference_floor


def test_meaning_of_order_keys_agree_with_the_presence_csv(builds: dict[int, FragmentsResult],
                                                           demo: dict[str, Path]) -> None:
    result = builds[1]
    source, _, _ = read_ava_presence(demo["ava_csv"], PARAMS.ava_time_offset)
    ordinals = ["first", "second", "third", "fourth", "fifth", "sixth"]
    asked = [r for r in rows(result, "bench_fragment") if r["task"] == "meaning_of_order"]
    asked += [r for r in rows(result, "sft") if r["task"] == "meaning_of_order"]
    assert {r["video_id"] for r in asked} == {"demo_walker", "demo_walker_back"}
    for r in asked:
        video, n = r["video_id"], int(r["id"].split("/")[1][1:])
        bench = next((b for b in rows(result, "bench_fragment") if b["id"] == r["id"]), None)
        times = (bench["frame_times"] if bench
                 else [float(p.rsplit("/t", 1)[1][:-4]) / 1000 for p in r["frames"]])
        present = presence_at(source.tracks(video)[0], times, PARAMS.presence_tolerance)
        assert present is not None and len(present) == n
        key = bench["answer_text"] if bench else r["response"].split(". ", 1)[1]
        named = [k for k, word in enumerate(ordinals) if f"{word} " in key or f"{word}," in key]
        seen = [k for k, p in enumerate(present) if p]
        kind = {"mo_f": "first", "mo_l": "last", "mo_w": "which"}[r["template"][:4]]
        assert named == {"first": seen[:1], "last": seen[-1:], "which": seen}[kind], (kind, key, present)


def test_split_by_video_and_scene_questions(builds: dict[int, FragmentsResult]) -> None:
    result = builds[1]
    train = {r["video_id"] for r in rows(result, "sft")}
    test = {r["video_id"] for c in ("bench_fragment", "bench_scene") for r in rows(result, c)}
    assert train and test and not train & test
    scene = rows(result, "bench_scene") + [r for r in rows(result, "sft") if r["n"] == 0]
    speed = [r for r in scene if r["task"] == "speed"]
    assert len(speed) == 4 * 4  # four usable videos, four variants each
    assert {r["task"] for r in scene} == {"speed", "action", "effect"}


def test_exports_match_the_configs(builds: dict[int, FragmentsResult]) -> None:
    result = builds[1]
    out = result.build_dir / "exports"
    sft = rows(result, "sft")
    factory = json.loads((out / "llamafactory" / "fragments_sft.json").read_text())
    assert len(factory) == len(sft)
    for record, row in zip(factory, sft, strict=True):
        assert isinstance(record["images"], list) and record["images"] == row["frames"]
        assert record["conversations"][0]["value"].count("<image>") == len(record["images"])
        assert all((result.build_dir / p).is_file() for p in record["images"])
    info = json.loads((out / "llamafactory" / "dataset_info.json").read_text())
    assert info["fragments_sft"]["columns"]["images"] == "images"
    trl = [json.loads(line) for line in (out / "trl" / "sft.jsonl").read_text().splitlines()]
    for t in trl:
        assert sum(p["type"] == "image" for p in t["messages"][0]["content"]) == len(t["images"])
    llava = json.loads((out / "llava" / "sft.json").read_text())
    for record in llava:
        tags = record["conversations"][0]["value"]
        assert tags.count("<image>") == len(record.get("image", []))
        assert tags.count("<video>") == ("video" in record)
    tsv = list(csv.DictReader(io.StringIO((out / "vlmevalkit" / "Fragments_fragment.tsv").read_text()),
                              delimiter="\t"))
    assert len(tsv) == len(rows(result, "bench_fragment"))
    for line, row in zip(tsv, rows(result, "bench_fragment"), strict=True):
        assert json.loads(line["image_path"]) == row["frames"] and line["answer"] == row["answer"]
        assert ast.literal_eval(line["candidates"])[0].startswith("A. ")
    task = yaml.safe_load((out / "lmms_eval" / "fragments_scene.yaml").read_text().replace("!function ", ""))
    assert task["dataset_kwargs"]["data_files"]["test"] == "utils.FRAGMENTS_SCENE_JSONL"
    utils = (out / "lmms_eval" / "utils.py").read_text()
    # standalone: the parser is embedded (not imported), and the JSONL path is absolute next to it
    assert "from pipelines.core.answers import" not in utils and "def parse_choice(" in utils
    namespace: dict = {"__file__": str(out / "lmms_eval" / "utils.py")}
    exec(compile(utils, "utils.py", "exec"), namespace)
    assert namespace["FRAGMENTS_SCENE_JSONL"] == str(out / "lmms_eval" / "fragments_scene.jsonl")
    card = (result.build_dir / "README.md").read_text()
    header = yaml.safe_load(card.split("---\n")[1])
    assert {c["config_name"] for c in header["configs"]} == {"sft", "bench_fragment", "bench_scene"}
    report = (result.build_dir / "report" / "index.html").read_text()
    assert report.count("<figure>") >= 10 and "meaning_of_order" in report


def test_streamed_build_equals_the_whole_list_writers(builds: dict[int, FragmentsResult],
                                                      demo: dict[str, Path], tmp_path: Path) -> None:
    """The build publishes its rows video by video (streaming.py); the whole-list writers fed
    every row at once must give the same shards, exports, card, report and statistics."""
    result = builds[1]
    for config, config_rows in result.records.items():
        write_shards(tmp_path, config, SPLITS[config], config_rows, FEATURES[config])
    inputs = FragmentsInputs(demo["videos"], demo["ava_csv"], demo["labels"], demo["effects"])
    stats = publish(tmp_path, result.records, result.ledger, result.bench_videos, inputs, PARAMS, "0.1.0")
    assert stats == result.stats and stats["blind"]["all"] is not None
    whole = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert any(name.startswith("data/") for name in whole) and "report/index.html" in whole
    assert len([name for name in whole if name.startswith("exports/")]) == 12
    for name, data in whole.items():
        assert (result.build_dir / name).read_bytes() == data, name



def test_card_describes_every_export_file(builds: dict[int, FragmentsResult]) -> None:
    build = builds[1].build_dir
    card = (build / "README.md").read_text()
    assert_exports_described(card[card.index("## Exports"):card.index("## Limitations")], build / "exports")
