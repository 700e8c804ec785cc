"""The bad-input corpus: hostile files and parameters for every reader, each run through the CLI.

Every case must end in a one-line error naming the file (exit 2) or in accounted rejections with
the expected reason, while the valid units beside it are kept; never a traceback, never a hang
(the module-wide timeout turns a hang into a failure). The README's "What each bad input gets"
table lists these outcomes.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.badinput import counts, rejects, run_cli
from tests.conftest import shared_file

pytestmark = pytest.mark.timeout(60)

# -- AVA ------------------------------------------------------------------------------------------

GOOD_VIDEO = "1j20qq1JyX4"


@pytest.fixture(scope="module")
def ava(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    lines = shared_file("ava", "ava_val_v2.2_excerpt.csv").read_text().splitlines()
    good = [line for line in lines if line.startswith(GOOD_VIDEO + ",")][:60]
    folder = tmp_path_factory.mktemp("ava_bad")
    (folder / "good.csv").write_text("\n".join(good) + "\n")
    return {"folder": folder, "good": folder / "good.csv",
            "labels": shared_file("ava", "ava_action_list_v2.2.pbtxt"), "good_rows": len(good)}


def finebench(ava: dict, out: Path, csv: Path | None = None, labels: Path | None = None,
              *extra: str | Path):
    # --max-key-ratio 1: the small inputs here cannot be key-balanced; these tests are about input
    # faults, so no unit may be lost to balancing
    return run_cli("finebench", "build", "--out", out, "--ava-csv", csv or ava["good"],
                   "--labels", labels or ava["labels"], "--no-progress", "--max-key-ratio", "1", *extra)


def _special(kind: str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        if kind == "dir":
            path.mkdir()
        elif kind == "fifo":
            os.mkfifo(path)
        elif kind == "loop":
            path.symlink_to(path)
        elif kind == "dangling":
            path.symlink_to(path.parent / "nowhere")
        elif kind == "devnull":
            path.symlink_to("/dev/null")
    return make


FILE_CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "empty": (lambda p: p.write_text(""), "empty file"),
    "blank": (lambda p: p.write_text("\n \n\t\n"), "empty file"),
    "not_utf8": (lambda p: p.write_bytes(b"\xff\xfe\x00garbage\x81"), "not UTF-8"),
    "binary_zip": (lambda p: p.write_bytes(b"PK\x03\x04" + bytes(range(256))), "not UTF-8"),
    "directory": (_special("dir"), "is a directory"),
    "fifo": (_special("fifo"), "not a regular file"),
    "symlink_loop": (_special("loop"), "cannot be read"),
    "dangling_symlink": (_special("dangling"), "file not found"),
    "device": (_special("devnull"), "not a regular file"),
}


@pytest.mark.parametrize("case", sorted(FILE_CASES))
@pytest.mark.parametrize("role", ["csv", "labels", "excluded"])
def test_unusable_ava_file_is_one_line_naming_it(ava, tmp_path: Path, role: str, case: str) -> None:
    make, problem = FILE_CASES[case]
    bad = tmp_path / f"bad_{role}.{'pbtxt' if role == 'labels' else 'csv'}"
    make(bad)
    extra = ("--excluded", bad) if role == "excluded" else ()
    outcome = finebench(ava, tmp_path / "out", bad if role == "csv" else None,
                        bad if role == "labels" else None, *extra)
    outcome.assert_one_line_error(str(bad), problem)


CSV_FILE_CASES = {
    "header_only": ("video_id,timestamp,x1,y1,x2,y2,action_id,person_id\n", "no annotation rows"),
    "three_columns": ("a,b,c\n", "expected 8 comma-separated columns"),
    "nine_columns": (f"{GOOD_VIDEO},0902,0.1,0.1,0.5,0.5,12,1,extra\n", "found 9"),
    "json_instead": ('{"video_id": "x"}\n', "expected 8"),
    "html": ("<html><body>404</body></html>\n", "expected 8"),
}


@pytest.mark.parametrize("case", sorted(CSV_FILE_CASES))
def test_malformed_annotation_file_is_one_line(ava, tmp_path: Path, case: str) -> None:
    text, problem = CSV_FILE_CASES[case]
    bad = tmp_path / "bad.csv"
    bad.write_text(text)
    finebench(ava, tmp_path / "out", bad).assert_one_line_error(str(bad), problem)


LABEL_CASES = {
    "no_blocks": ('name: "x"\n', "no 'label"),
    "no_id": ('label { name: "walk" label_type: PERSON_MOVEMENT }\n', "without name or id"),
    "duplicate_id": ('label { name: "walk" label_id: 14 label_type: PERSON_MOVEMENT }\n' * 2,
                     "duplicate label id 14"),
    "unknown_type": ('label { name: "walk" label_id: 14 label_type: DANCING }\n', "unknown label_type"),
    "wrong_name": ('label { name: "fly" label_id: 14 label_type: PERSON_MOVEMENT }\n', "label id 14"),
    "huge_id": ('label { name: "walk" label_id: ' + "9" * 40 + ' label_type: PERSON_MOVEMENT }\n',
                "label id"),
    "no_types": ('item { name: "walk" id: 14 }\n', "no label_type"),
}


@pytest.mark.parametrize("case", sorted(LABEL_CASES))
def test_malformed_label_map_is_one_line(ava, tmp_path: Path, case: str) -> None:
    text, problem = LABEL_CASES[case]
    bad = tmp_path / "labels.pbtxt"
    bad.write_text(text)
    finebench(ava, tmp_path / "out", None, bad).assert_one_line_error(problem)


EXCLUDED_CASES = {
    "one_column": (f"{GOOD_VIDEO}\n", ":1"),
    "bad_timestamp": (f"{GOOD_VIDEO},abc\n", ":1"),
    "huge_timestamp": (f"{GOOD_VIDEO},{'9' * 25}\n", ":1"),
    "over_int32": (f"{GOOD_VIDEO},2147483648\n", ":1"),
    "hidden_id": (".x,902\n", ":1"),
    "second_row_bad": (f"{GOOD_VIDEO},902\n{GOOD_VIDEO},-5\n", ":2"),
}


@pytest.mark.parametrize("case", sorted(EXCLUDED_CASES))
def test_malformed_excluded_file_is_one_line(ava, tmp_path: Path, case: str) -> None:
    text, where = EXCLUDED_CASES[case]
    bad = tmp_path / "excluded.csv"
    bad.write_text(text)
    finebench(ava, tmp_path / "out", None, None, "--excluded", bad).assert_one_line_error(
        f"{bad}{where}")


# Bad rows, each on its own video so that it taints no valid keyframe: (row, expected reason).
ROW_CASES: dict[str, tuple[str, str]] = {
    "seven_fields": ("v_a,0902,0.1,0.1,0.5,0.5,12", "wrong_field_count"),
    "nine_fields": ("v_b,0902,0.1,0.1,0.5,0.5,12,1,9", "wrong_field_count"),
    "id_space": ("v c,0902,0.1,0.1,0.5,0.5,12,1", "bad_video_id"),
    "id_dotdot": ("..,0902,0.1,0.1,0.5,0.5,12,1", "bad_video_id"),
    "id_hidden": (".v_d,0902,0.1,0.1,0.5,0.5,12,1", "bad_video_id"),
    "id_300_chars": ("v" * 300 + ",0902,0.1,0.1,0.5,0.5,12,1", "bad_video_id"),
    "id_slash": ("v/e,0902,0.1,0.1,0.5,0.5,12,1", "bad_video_id"),
    "id_unicode": ("vidé,0902,0.1,0.1,0.5,0.5,12,1", "bad_video_id"),
    "id_empty": (",0902,0.1,0.1,0.5,0.5,12,1", "bad_video_id"),
    "ts_negative": ("v_f,-1,0.1,0.1,0.5,0.5,12,1", "bad_timestamp"),
    "ts_float": ("v_g,902.5,0.1,0.1,0.5,0.5,12,1", "bad_timestamp"),
    "ts_word": ("v_h,noon,0.1,0.1,0.5,0.5,12,1", "bad_timestamp"),
    "ts_superscript": ("v_i,9²,0.1,0.1,0.5,0.5,12,1", "bad_timestamp"),
    "ts_2_31": ("v_j,2147483648,0.1,0.1,0.5,0.5,12,1", "timestamp_out_of_range"),
    "ts_20_digits": ("v_k,99999999999999999999,0.1,0.1,0.5,0.5,12,1", "timestamp_out_of_range"),
    "ts_400_digits": ("v_l," + "9" * 400 + ",0.1,0.1,0.5,0.5,12,1", "timestamp_out_of_range"),
    "box_word": ("v_m,0902,left,0.1,0.5,0.5,12,1", "bad_box"),
    "box_above_one": ("v_n,0902,0.1,0.1,1.5,0.5,12,1", "box_out_of_range"),
    "box_negative": ("v_o,0902,-0.1,0.1,0.5,0.5,12,1", "box_out_of_range"),
    "box_nan": ("v_p,0902,nan,0.1,0.5,0.5,12,1", "box_out_of_range"),
    "box_inf": ("v_q,0902,0.1,0.1,inf,0.5,12,1", "box_out_of_range"),
    "box_huge_exponent": ("v_r,0902,0.1,0.1,1e999,0.5,12,1", "box_out_of_range"),
    "box_degenerate": ("v_s,0902,0.5,0.1,0.5,0.5,12,1", "box_degenerate"),
    "box_inverted": ("v_t,0902,0.6,0.1,0.5,0.5,12,1", "box_degenerate"),
    "action_negative": ("v_u,0902,0.1,0.1,0.5,0.5,-3,1", "bad_action_id"),
    "action_30_digits": ("v_v,0902,0.1,0.1,0.5,0.5," + "1" * 30 + ",1", "bad_action_id"),
    "action_unknown": ("v_w,0902,0.1,0.1,0.5,0.5,999,1", "unknown_action"),
    "action_zero": ("v_x,0902,0.1,0.1,0.5,0.5,0,1", "unknown_action"),
    "person_word": ("v_y,0902,0.1,0.1,0.5,0.5,12,bob", "bad_person_id"),
    "person_negative": ("v_z,0902,0.1,0.1,0.5,0.5,12,-1", "bad_person_id"),
    "person_2_31": ("w_a,0902,0.1,0.1,0.5,0.5,12,2147483648", "person_id_out_of_range"),
    "person_30_digits": ("w_b,0902,0.1,0.1,0.5,0.5,12," + "7" * 30, "person_id_out_of_range"),
}


@pytest.mark.parametrize("layout", ["regular", "irregular"])
def test_every_bad_row_is_rejected_with_its_reason_and_good_rows_survive(ava, tmp_path: Path,
                                                                         layout: str) -> None:
    """All row cases in one file (column-wise fast reader, then the row-by-row reader that a blank
    line selects): each bad line is one rejection with the expected reason, and the valid rows
    give exactly the questions they give alone."""
    good = ava["good"].read_text().splitlines()
    bad_rows = list(ROW_CASES.values())
    rest = ["", *good[1:]] if layout == "irregular" else good[1:]
    lines = [good[0], *(row for row, _ in bad_rows), *rest]
    path = tmp_path / "mixed.csv"
    path.write_text("\n".join(lines) + "\n")
    outcome = finebench(ava, tmp_path / "out", path)
    assert outcome.status == 0 and "Traceback" not in outcome.stderr, outcome.stderr
    build = tmp_path / "out" / "finebench" / "0.1.0"
    by_line = {int(r["unit"].rsplit(":", 1)[1]): r["reason"] for r in rejects(build) if r["stage"] == "rows"}
    for number, (row, reason) in enumerate(bad_rows, start=2):
        assert by_line.get(number) == reason, (row[:50], by_line.get(number))
    rows = counts(build)["rows"]
    assert rows["inputs"] == len(good) + len(bad_rows) and rows["reconciles"]

    alone = finebench(ava, tmp_path / "alone")
    assert alone.status == 0
    kept = json.loads((tmp_path / "alone/finebench/0.1.0/manifest.json").read_text())["configs"]
    assert json.loads((build / "manifest.json").read_text())["configs"] == kept  # nothing valid lost


def test_rows_all_rejected_is_an_empty_build_that_says_so(ava, tmp_path: Path) -> None:
    good = ava["good"].read_text().splitlines()
    path = tmp_path / "all_bad.csv"
    path.write_text("".join(",".join([*line.split(",")[:6], "999", line.split(",")[7]]) + "\n"
                            for line in good))
    outcome = finebench(ava, tmp_path / "out", path)
    assert outcome.status == 1 and "EMPTY BUILD" in outcome.stderr and "unknown_action" in outcome.stderr
    assert finebench(ava, tmp_path / "out2", path, None, "--allow-empty").status == 0


def test_every_row_excluded_is_an_empty_build_not_a_crash(ava, tmp_path: Path) -> None:
    excluded = tmp_path / "excluded.csv"
    stamps = sorted({line.split(",")[1] for line in ava["good"].read_text().splitlines()})
    excluded.write_text("".join(f"{GOOD_VIDEO},{s}\n" for s in stamps))
    outcome = finebench(ava, tmp_path / "out", None, None, "--excluded", excluded)
    assert outcome.status == 1 and "excluded_timestamp" in outcome.stderr


def test_label_map_without_the_highest_ids_rejects_their_rows(ava, tmp_path: Path) -> None:
    blocks = re.findall(r"label\s*\{.*?\}", ava["labels"].read_text(), re.S)
    labels = tmp_path / "first_70.pbtxt"
    labels.write_text("\n".join(blocks[:70]))
    lines = shared_file("ava", "ava_val_v2.2_excerpt.csv").read_text()
    outcome = finebench(ava, tmp_path / "out", shared_file("ava", "ava_val_v2.2_excerpt.csv"), labels)
    assert outcome.status == 0, outcome.stderr
    high = sum(int(line.split(",")[6]) > 70 for line in lines.splitlines())
    rejected = counts(tmp_path / "out/finebench/0.1.0")["rows"]["rejected"]
    assert rejected["unknown_action"] == high > 0


@pytest.mark.parametrize("bad_id", ["..", "." + GOOD_VIDEO, "v" * 300])
def test_unsafe_ava_ids_with_videos_folder_write_nothing_outside(ava, tmp_path: Path, bad_id: str) -> None:
    good = ava["good"].read_text().splitlines()
    path = tmp_path / "ids.csv"
    path.write_text("\n".join(good + [line.replace(GOOD_VIDEO, bad_id) for line in good]) + "\n")
    videos = tmp_path / "videos"
    videos.mkdir()
    outcome = finebench(ava, tmp_path / "out", path, None, "--videos", videos)
    assert outcome.status == 0, outcome.stderr
    build = tmp_path / "out/finebench/0.1.0"
    assert counts(build)["rows"]["rejected"]["bad_video_id"] == len(good)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["finebench"]


# -- parameters -----------------------------------------------------------------------------------

PARAM_CASES = {
    "workers_zero": (["--workers", "0"], "workers"),
    "workers_negative": (["--workers", "-4"], "workers"),
    "version_traversal": (["--version", "../../x"], "version"),
    "version_markup": (["--version", "0.1.0<script>"], "version"),
    "version_v_prefix": (["--version", "v1.0.0"], "version"),
    "version_empty": (["--version", ""], "version"),
    "seed_negative": (["--seed", "-1"], "seed"),
    "stride_inf": (["--stride", "inf"], "stride"),
    "stride_nan": (["--stride", "nan"], "stride"),
    "gap_nan": (["--min-center-gap", "nan"], "min_center_gap"),
    "share_zero": (["--max-answer-share", "0"], "max_answer_share"),
    "frames_zero": (["--num-frames", "0"], "num_frames"),
    "similarity_traversal": (["--similarity-map", "../../etc/passwd"], "similarity_map"),
}


@pytest.mark.parametrize("case", sorted(PARAM_CASES))
def test_bad_finebench_parameter_is_one_line(ava, tmp_path: Path, case: str) -> None:
    args, field = PARAM_CASES[case]
    finebench(ava, tmp_path / "out", None, None, *args).assert_one_line_error(field)
    assert not any(tmp_path.rglob("*.parquet"))
    assert not (tmp_path / "x").exists()


TIMEWARP_PARAMS = {
    "cap_inf": (["--cap-seconds", "inf"], "cap_seconds"),
    "cap_nan": (["--cap-seconds", "nan"], "cap_seconds"),
    "cap_negative": (["--cap-seconds", "-5"], "cap_seconds"),
    "qa_zero": (["--qa-per-video", "0"], "qa_per_video"),
    "workers_zero": (["--workers", "0"], "workers"),
    "llm_timeout_inf": (["--llm", "openai", "--base-url", "http://127.0.0.1:9/v1", "--llm-timeout",
                         "inf"], "timeout_s"),
}


@pytest.mark.parametrize("case", sorted(TIMEWARP_PARAMS))
def test_bad_timewarp_parameter_is_one_line(tmp_path: Path, case: str) -> None:
    args, field = TIMEWARP_PARAMS[case]
    folder = tmp_path / "fv"
    folder.mkdir()
    (folder / "a.json").write_text(shared_file("finevideo", "sample_0.json").read_text())
    outcome = run_cli("timewarp", "build", "--out", tmp_path / "out", "--finevideo", folder,
                      "--no-progress", *args)
    outcome.assert_one_line_error(field)
    assert not (tmp_path / "out" / "timewarp" / "0.1.0" / "manifest.json").exists()
