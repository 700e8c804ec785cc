"""Build-level finebench behaviour on the real excerpt: seeds, datasets loading, exports, card."""

from __future__ import annotations

import ast
import csv
import hashlib
from pathlib import Path

import yaml

from pipelines.cli import main
from tests.conftest import load_local


def digests(build_dir: Path) -> dict[str, str]:
    return {p.relative_to(build_dir).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(build_dir.rglob("*")) if p.is_file()}


def cli_build(out: Path, ava_files: dict[str, Path], *extra: str) -> int:
    return main(["finebench", "build", "--ava-csv", str(ava_files["csv"]), "--labels",
                 str(ava_files["labels"]), "--excluded", str(ava_files["excluded"]), "--out", str(out),
                 "--version", "1.0.0", "--no-progress", *extra])


def test_seed_changes_the_questions(tmp_path, ava_files):
    """(Workers 1 vs 2 and kill/resume are checked for every recipe in test_run_contract.py.)"""
    assert cli_build(tmp_path / "s7", ava_files, "--seed", "7") == 0
    assert cli_build(tmp_path / "s8", ava_files, "--seed", "8") == 0
    one, other = digests(tmp_path / "s7/finebench/1.0.0"), digests(tmp_path / "s8/finebench/1.0.0")
    assert other["data/mcq/test-00000-of-00001.parquet"] != one["data/mcq/test-00000-of-00001.parquet"]


def test_load_dataset_configs_have_typed_features_and_row_counts(real_build):
    from datasets import List, Value

    for config, expected in real_build.manifest["configs"].items():
        ds = load_local(real_build.build_dir, config, "test")
        assert ds.num_rows == expected > 0
        assert ds.features["bbox"] == List(Value("float32"), length=4)
        assert ds.features["timestamp"] == Value("int32")
        assert ds.features["options"] == List(Value("string"), length=4)
        assert ds.features["is_compound"] == Value("bool")
    subset = load_local(real_build.build_dir, "subset", "test")
    assert set(subset["video_id"]) == set(real_build.stats["subset_videos"])
    assert all(subset["in_subset"])


def test_exports_match_records(real_build):
    records = real_build.records
    tsv = real_build.build_dir / "exports/vlmevalkit/FineBench_mcq.tsv"
    with open(tsv, newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert len(rows) == len(records)
    for row, record in zip(rows, records, strict=True):
        candidates = ast.literal_eval(row["candidates"])
        assert [c[3:] for c in candidates] == record["options"]
        assert [c[:3] for c in candidates] == ["A. ", "B. ", "C. ", "D. "]
        assert row["answer"] == record["answer"] and row["video"] == record["video_id"]
    task = (real_build.build_dir / "exports/lmms_eval/finebench_mcq.yaml").read_text()
    class TaskLoader(yaml.SafeLoader):  # a subclass, so the global SafeLoader stays untouched
        pass

    TaskLoader.add_constructor("!function", lambda ld, node: ld.construct_scalar(node))
    parsed = yaml.load(task, Loader=TaskLoader)
    assert parsed["dataset_path"] == "json"
    # an absolute path computed next to utils.py (loads from any working directory)
    assert parsed["dataset_kwargs"]["data_files"]["test"] == "utils.FINEBENCH_MCQ_JSONL"
    assert 'FINEBENCH_MCQ_JSONL = os.path.join(HERE, "finebench_mcq.jsonl")' in (
        real_build.build_dir / "exports/lmms_eval/utils.py").read_text()
    jsonl = real_build.build_dir / "exports/lmms_eval/finebench_mcq.jsonl"
    assert len(jsonl.read_text().splitlines()) == len(records)


def test_card_header_lists_configs_and_sources(real_build):
    card = (real_build.build_dir / "README.md").read_text()
    header = yaml.safe_load(card.split("---\n")[1])
    assert [c["config_name"] for c in header["configs"]] == ["mcq", "subset"]
    assert header["license"] == "cc-by-4.0"
    assert real_build.manifest["inputs"]["annotations"]["sha256"] in card
    report = (real_build.build_dir / "report/index.html").read_text()
    assert report.count('class="card"') >= 6 and "<svg" in report


def test_card_subset_and_option_rules_describe_this_build(real_build):
    """The card states the subset's real size (1 of the excerpt's 3 videos is not "~10%") and, when
    every question is a "none of these" one (the excerpt at seed 0), does not describe the options
    as one key and three wrong actions: those questions show two wrong actions beside "none of these"."""
    card = (real_build.build_dir / "README.md").read_text()
    records = real_build.records
    videos = {r["video_id"] for r in records}
    in_subset = {r["video_id"] for r in records if r["in_subset"]}
    assert f"the {len(in_subset)} of {len(videos)} videos" in card
    family = [r for r in records if "none of these" in r["options"]]
    assert family and len(family) == len(records)
    keyed = [r for r in family if r["answer_text"] != "none of these"]
    assert keyed and all(len(r["action_ids"]) == 1 for r in keyed)
    assert "(the key) and three actions from any category" not in card
    assert 'two\nbeside "none of these"' in card


def test_demo_build_needs_no_arguments(tmp_path):
    assert main(["finebench", "build", "--out", str(tmp_path), "--no-progress"]) == 0
    manifest = yaml.safe_load((tmp_path / "finebench/0.1.0/manifest.json").read_text())
    counts = manifest["counts"]
    assert counts["rows"]["rejected"]["excluded_timestamp"] > 0
    assert counts["rows"]["rejected"]["box_out_of_range"] == 1
    assert counts["units"]["rejected"]["ambiguous_reference"] >= 2
    assert manifest["configs"]["mcq"] > 300 and manifest["reconciles"]
