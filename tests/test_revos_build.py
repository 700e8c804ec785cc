"""The revos build end to end: demo (drawn) and the real samples. Workers 1 vs 2, kill + resume and
manifest hashes are checked for revos by the shared run-contract suite (tests/test_run_contract.py)."""

from __future__ import annotations

import ast
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.cli import main
from pipelines.core.executors import LocalExecutor
from pipelines.core.masks import decode
from pipelines.revos.build import build_revos
from pipelines.revos.config import RevosParams
from pipelines.revos.demo import draw_video
from pipelines.revos.exports import FACTORY_MAX_FRAMES, factory_video
from pipelines.revos.plan import RevosInputs
from pipelines.revos.schema import SPLITS
from pipelines.revos.units import CONFIGS
from tests.conftest import assert_exports_described, load_local, shared_file


def _build(out: Path, workers: int) -> Path:
    assert main(["revos", "build", "--out", str(out), "--no-progress", "--workers", str(workers)]) == 0
    return out / "revos" / "0.1.0"


@pytest.fixture(scope="module")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("revos_w1"), 1)


def test_demo_accounting_reconciles_with_every_planted_reason(demo_build: Path) -> None:
    manifest = json.loads((demo_build / "manifest.json").read_text())
    assert manifest["reconciles"]
    counts = manifest["counts"]
    assert counts["expressions"]["rejected"] == {r: 1 for r in (
        "empty_expression", "empty_mask", "mask_frame_mismatch", "undecodable_rle", "unknown_anno_id")}
    assert counts["pixtrqa"]["rejected"] == {"dispersed_presence": 2}
    assert counts["ava_rows"]["rejected"] == {"bad_person_id": 1}
    assert counts["tracking"]["rejected"] == {"single_keyframe": 1}
    assert counts["spatial_grounding"]["rejected"]["ambiguous_reference"] > 0
    assert counts["temporal_grounding"]["rejected"] == {"missing_timestamps": 1}
    rejects = [json.loads(line) for line in (demo_build / "rejects.jsonl").read_text().splitlines()]
    assert Counter(r["stage"] for r in rejects) == Counter(
        {s: c["rejected_total"] for s, c in counts.items() if c["rejected_total"]})
    for config in CONFIGS:
        assert manifest["configs"][config] > 0, config
        assert load_local(demo_build, config, SPLITS[config]).num_rows == manifest["configs"][config]


def test_shard_masks_are_the_drawn_masks(demo_build: Path) -> None:
    rows = load_local(demo_build, "pixtrqa", "train")
    drawn = {v: draw_video(v)[1] for v in {r["video_id"] for r in rows}}
    checked = 0
    for row in rows:
        for mask in row["masks"]:
            frame = int(mask["frame"]) // 6
            plane = decode({"size": [mask["height"], mask["width"]], "counts": mask["counts"]})
            assert np.array_equal(plane, drawn[row["video_id"]][int(mask["object"])][frame])
            checked += 1
        assert row["answer"].count("[SEG]") == len(row["seg_masks"])
    assert checked > 50


def test_llamafactory_gets_frames_folders_as_their_frame_files(demo_build: Path) -> None:
    """LLaMA-Factory opens a string as one video file; a frames folder must come as its frames."""
    root = demo_build.parent.parent / "demo_inputs" / "revos" / "revos"  # the demo's ReVOS root
    factory = demo_build / "exports" / "llamafactory"
    listed = 0
    for config in ("pixtrqa", "pixhqa", "pixrqa", "referring_segmentation"):
        rows = load_local(demo_build, config, "train").to_list()
        records = json.loads((factory / f"revos_{config}.json").read_text())
        for row, record in zip(rows, records, strict=True):
            (video,) = record["videos"]
            assert video == factory_video(row) == [f"{row['video']}/{name}.jpg" for name in row["frames"]]
            assert all((root / frame).is_file() for frame in video), video[:2]
            listed += 1
    assert listed > 20
    for record in json.loads((factory / "revos_spatial_grounding.json").read_text()):
        assert isinstance(record["videos"][0], str)  # AVA: the id, no frames folder
    long = factory_video({"video": "JPEGImages/v", "frames": [f"{k:05d}" for k in range(0, 1000, 5)]})
    assert len(long) == len(set(long)) == FACTORY_MAX_FRAMES and long == sorted(long)
    assert long[0] == "JPEGImages/v/00000.jpg" and long[-1] == "JPEGImages/v/00995.jpg"


def test_exports_match_their_configs(demo_build: Path) -> None:
    exports = demo_build / "exports"
    info = json.loads((exports / "llamafactory" / "dataset_info.json").read_text())
    for name, entry in info.items():
        records = json.loads((exports / "llamafactory" / entry["file_name"]).read_text())
        assert len(records) == load_local(demo_build, name.removeprefix("revos_"), "train").num_rows
        for record in records:
            assert isinstance(record["videos"], list) and len(record["videos"]) == 1
            assert sum(m["value"].count("<video>") for m in record["conversations"]) == 1
    llava = json.loads((exports / "llava" / "pixtrqa.json").read_text())
    assert all(r["conversations"][0]["value"].startswith("<video>\n") and "seg_masks" in r for r in llava)
    tsv = pd.read_csv(exports / "vlmevalkit" / "RevosWhen.tsv", sep="\t")
    bench = load_local(demo_build, "when_mcq", "test")
    assert list(tsv["answer"]) == bench["answer"]
    for literal, options in zip(tsv["candidates"], bench["options"], strict=True):
        assert ast.literal_eval(literal) == [f"{'ABCD'[i]}. {o}" for i, o in enumerate(options)]
    lines = (exports / "lmms_eval" / "revos_when.jsonl").read_text().splitlines()
    assert len(lines) == bench.num_rows
    report = (demo_build / "report" / "index.html").read_text()
    images = sorted((demo_build / "report" / "frames").glob("*.png"))
    assert images and all(f"frames/{p.name}" in report for p in images)


def test_real_refytvos_all_2096_expressions_accounted(tmp_path: Path) -> None:
    inputs = RevosInputs(refytvos=shared_file("revos", "ref_youtube_vos", "meta_expressions.json"))
    result = build_revos(inputs, RevosParams(), tmp_path, "1.0.0", LocalExecutor(1, progress=False))
    stage = result.ledger.stage("expressions")
    assert stage.inputs == 2096 and stage.reconciles()
    assert stage.accepted == len(result.tables["referring_segmentation"])
    assert result.ledger.stage("videos").inputs == 507
    rows = result.tables["referring_segmentation"]
    assert {r["mask_source"] for r in rows} == {"unavailable"} and all(r["masks"] == [] for r in rows)
    assert len({r["mask_ref"] for r in rows}) == len(rows)
    assert all(r["expression"] in r["prompt"] for r in rows)
    assert sum(len(t) for c, t in result.tables.items() if c != "referring_segmentation") == 0
    # the report's sample cards show rows with masks only: it must not call 2096 rows "no rows"
    report = (tmp_path / "revos" / "1.0.0" / "report" / "index.html").read_text()
    section = report.split("<h2>Samples: referring_segmentation</h2>")[1].split("<h2>")[0]
    assert "2096 rows, none with masks" in section and "no rows" not in section
    assert "<h2>Samples: pixtrqa</h2>\n<div class=\"grid\">\n<p class=\"muted\">no rows</p>" in report


def test_bad_input_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "meta_expressions.json"
    bad.write_text('{"videos": 3}')
    assert main(["revos", "build", "--out", str(tmp_path), "--refytvos", str(bad), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.endswith("[videos]: expected an object with a 'videos' object")


def test_real_ava_and_finevideo_are_accounted_row_by_row(tmp_path: Path, ava_files) -> None:
    inputs = RevosInputs(ava_csv=ava_files["csv"], finevideo=shared_file("finevideo", "sample_0.json").parent)
    result = build_revos(inputs, RevosParams(), tmp_path, "1.0.0", LocalExecutor(1, progress=False))
    counts = result.ledger.to_json()
    assert result.ledger.reconciles()
    assert counts["ava_rows"]["inputs"] == 1346 and counts["ava_rows"]["rejected"] == {"bad_person_id": 1}
    assert counts["finevideo_files"]["inputs"] == 101
    scenes = sum(len(json.loads(p.read_text())["content_metadata"]["scenes"])
                 for p in inputs.finevideo.glob("*.json"))
    assert counts["temporal_grounding"]["inputs"] == scenes
    keyframe_persons = {(r.split(",")[0], r.split(",")[1], r.split(",")[7])
                        for r in ava_files["csv"].read_text().splitlines() if r.split(",")[7].isdigit()}
    assert counts["spatial_grounding"]["inputs"] == len(keyframe_persons)
    assert len(result.tables["tracking"]) == counts["tracking"]["accepted"] > 0


def test_rebuild_in_place_is_byte_identical(demo_build: Path, tmp_path: Path) -> None:
    before = {p: p.read_bytes() for p in demo_build.rglob("*") if p.is_file()}
    _build(demo_build.parent.parent, 1)
    after = {p: p.read_bytes() for p in demo_build.rglob("*") if p.is_file()}
    assert after == before


def test_when_mcq_scorer_uses_the_shared_reply_parser(demo_build: Path, tmp_path: Path) -> None:
    pytest.importorskip("pipelines.core.answers", reason="core.answers lands with issue 9's branch")
    import importlib.util

    source = demo_build / "exports" / "lmms_eval" / "utils.py"
    spec = importlib.util.spec_from_file_location("revos_lmms_utils", source)
    utils = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(utils)
    doc = json.loads((demo_build / "exports" / "lmms_eval" / "revos_when.jsonl").read_text().splitlines()[0])
    right = doc["answer"]
    wrong = next(letter for letter in "ABCD" if letter != right)
    assert utils.revos_process_results(doc, [f"The answer is {right}."]) == {"accuracy": 1.0}
    assert utils.revos_process_results(doc, [wrong]) == {"accuracy": 0.0}
    assert utils.revos_process_results(doc, [""]) == {"accuracy": 0.0}


def test_card_describes_every_export_file(demo_build: Path) -> None:
    card = (demo_build / "README.md").read_text()
    assert_exports_described(card[card.index("## Exports"):card.index("## Known limitations")],
                             demo_build / "exports")
