"""Bad inputs: a bad file stops with one line naming file and line; a bad row is rejected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.cli import main

GOOD = [
    "vidA,0902,0.100,0.100,0.400,0.900,12,0",
    "vidA,0902,0.100,0.100,0.400,0.900,80,0",
    "vidA,0902,0.600,0.100,0.900,0.900,11,1",
    "vidA,0903,0.600,0.100,0.900,0.900,11,1",
]


def run(tmp_path: Path, rows: list[str] | bytes, capsys, name: str = "ann.csv") -> tuple[int, str, Path]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    ann = tmp_path / name
    if isinstance(rows, bytes):
        ann.write_bytes(rows)
    else:
        ann.write_text("\n".join(rows) + ("\n" if rows else ""))
    labels = Path(__file__).resolve().parents[1].parent / "shared/data/ava/ava_action_list_v2.2.pbtxt"
    code = main(["finebench", "build", "--ava-csv", str(ann), "--labels", str(labels),
                 "--out", str(tmp_path / "out"), "--no-progress", "--max-answer-share", "1",
                 "--max-key-ratio", "1", "--blind-sample", "0"])
    return code, capsys.readouterr().err, tmp_path / "out/finebench/0.1.0"


def rejects(build_dir: Path) -> dict[str, str]:
    rows = [json.loads(line) for line in (build_dir / "rejects.jsonl").read_text().splitlines()]
    return {r["unit"].rsplit(":", 1)[1]: r["reason"] for r in rows if r["stage"] == "rows"}


def one_line_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize(("bad_row", "reason"), [
    ("vidA,0904,0.1,abc,0.4,0.9,12,0", "bad_box"),
    ("vidA,0904,0.1,0.1,1.4,0.9,12,0", "box_out_of_range"),
    ("vidA,0904,0.5,0.1,0.4,0.9,12,0", "box_degenerate"),
    ("vidA,0904,0.1,0.1,0.4,0.9,99,0", "unknown_action"),
    ("vidA,0904,0.1,0.1,0.4,0.9,12", "wrong_field_count"),
    ("vidA,09x4,0.1,0.1,0.4,0.9,12,0", "bad_timestamp"),
    ("vidA,0904,nan,0.1,0.4,0.9,12,0", "box_out_of_range"),
])
def test_bad_row_is_rejected_with_reason(tmp_path, capsys, bad_row, reason):
    code, err, build_dir = run(tmp_path, [*GOOD, bad_row], capsys)
    assert code == 0 and "Traceback" not in err
    assert rejects(build_dir) == {"5": reason}
    manifest = json.loads((build_dir / "manifest.json").read_text())
    assert manifest["counts"]["rows"] == {"inputs": 5, "accepted": 4, "rejected": {reason: 1},
                                          "rejected_total": 1, "reconciles": True}


def test_bad_row_taints_only_its_keyframe(tmp_path, capsys):
    code, _, build_dir = run(tmp_path, [*GOOD, "vidA,0903,0.1,0.1,0.4,0.9,12,x"], capsys)
    assert code == 0
    assert rejects(build_dir) == {"4": "keyframe_has_bad_row", "5": "bad_person_id"}


def test_missing_column_file_is_one_line_error(tmp_path, capsys):
    code, err, _ = run(tmp_path, [",".join(r.split(",")[:7]) for r in GOOD], capsys)
    line = one_line_error(err)
    assert code == 2 and "ann.csv:1" in line and "8 comma-separated columns" in line


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_empty_file_is_one_line_error(tmp_path, capsys, content):
    code, err, _ = run(tmp_path, content, capsys)
    assert code == 2 and "empty file" in one_line_error(err)


def test_missing_file_and_bad_label_map_are_one_line_errors(tmp_path, capsys):
    code = main(["finebench", "build", "--ava-csv", str(tmp_path / "nope.csv"), "--labels",
                 str(tmp_path / "nope.pbtxt"), "--out", str(tmp_path / "o"), "--no-progress"])
    assert code == 2 and "not found" in one_line_error(capsys.readouterr().err)
    (tmp_path / "labels.pbtxt").write_text("label {\n  name: \"stand\"\n}\n")
    (tmp_path / "a.csv").write_text("\n".join(GOOD) + "\n")
    code = main(["finebench", "build", "--ava-csv", str(tmp_path / "a.csv"), "--labels",
                 str(tmp_path / "labels.pbtxt"), "--out", str(tmp_path / "o"), "--no-progress"])
    line = one_line_error(capsys.readouterr().err)
    assert code == 2 and "labels.pbtxt:1" in line


def test_bom_and_crlf_give_the_same_questions(tmp_path, capsys):
    _, _, plain = run(tmp_path / "plain", GOOD, capsys)
    _, _, odd = run(tmp_path / "odd", "\ufeff".encode() + "\r\n".join(GOOD).encode() + b"\r\n", capsys)
    assert (plain / "data/mcq/test-00000-of-00001.parquet").read_bytes() == \
        (odd / "data/mcq/test-00000-of-00001.parquet").read_bytes()


def test_video_id_and_file_name_starting_with_dash(tmp_path, capsys):
    rows = [r.replace("vidA", "-5KQ66BBWC4") for r in GOOD]
    code, err, build_dir = run(tmp_path, rows, capsys, name="-dash file.csv")
    assert code == 0, err
    tsv = (build_dir / "exports/vlmevalkit/FineBench_mcq.tsv").read_text()
    assert "\t-5KQ66BBWC4\t" in tsv
    assert not (build_dir / "rejects.jsonl").read_text().strip()


def test_invalid_parameter_is_one_line_error(tmp_path, capsys):
    code = main(["finebench", "build", "--out", str(tmp_path), "--num-frames", "0", "--no-progress"])
    assert code == 2 and "num_frames" in one_line_error(capsys.readouterr().err)
