"""Bad ReVOS / Ref-YouTube-VOS inputs through the CLI: every case ends in one line naming the file
(exit 2) or in accounted rejections (an empty build says so and exits 1), never a traceback or a
hang. Valid expressions beside bad ones are kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.cli import main
from tests.test_bad_inputs import _special  # the same directory / FIFO / symlink-loop makers

GOOD_VIDEO = {"expressions": {"0": {"exp": "a dog runs", "obj_id": "1"}}, "frames": ["00000", "00005"]}


def meta(videos: object) -> str:
    return json.dumps({"videos": videos})


# name -> text of meta_expressions.json (None: see SPECIAL)
TEXT_CASES: dict[str, str] = {
    "truncated": '{"videos": {',
    "empty_file": "",
    "not_utf8": '{"videos": {"v": "\xff"}}',
    "videos_is_list": meta([]),
    "videos_missing": json.dumps({"clips": {}}),
    "top_level_list": "[1, 2]",
    "deep_nesting": "[" * 100_000 + "]" * 100_000,
    "huge_integer": '{"videos": {"v": {"frames": [' + "9" * 5000 + "]}}}",
    "entry_not_object": meta({"v1": 5, "ok": GOOD_VIDEO}),
    "frames_not_list": meta({"v1": {"expressions": {}, "frames": "abc"}, "ok": GOOD_VIDEO}),
    "expressions_not_object": meta({"v1": {"expressions": [1], "frames": ["1"]}, "ok": GOOD_VIDEO}),
    "expression_text_number": meta({"v1": {"expressions": {"0": {"exp": 5}}, "frames": ["1"]},
                                    "ok": GOOD_VIDEO}),
    "expression_empty": meta({"v1": {"expressions": {"0": {"exp": "  "}}, "frames": ["1"]},
                              "ok": GOOD_VIDEO}),
    "frames_unordered": meta({"v1": {"expressions": {"0": {"exp": "x"}}, "frames": ["00010", "00005"]},
                              "ok": GOOD_VIDEO}),
    "unsafe_video_id": meta({"../../etc": GOOD_VIDEO, "ok": GOOD_VIDEO}),
    "bom": "\ufeff" + meta({"ok": GOOD_VIDEO}),
}


SPECIAL = {"directory": _special("dir"), "fifo": _special("fifo"), "symlink_loop": _special("loop")}


def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["revos", "build", *args, "--out", str(tmp_path / "out"), "--no-progress"])
    err = capsys.readouterr().err
    return code, err


def check_outcome(code: int, err: str, path: Path) -> None:
    assert "Traceback" not in err
    if code == 2:  # a bad file: one line naming it
        lines = [line for line in err.splitlines() if line.startswith("error:")]
        assert len(lines) == 1 and str(path) in lines[0], err
    else:
        assert code in (0, 1), err


@pytest.mark.parametrize("case", sorted(TEXT_CASES))
def test_bad_refytvos_meta_is_one_line_or_accounted(tmp_path: Path, capsys, case: str) -> None:
    folder = tmp_path / "refytvos"
    folder.mkdir()
    path = folder / "meta_expressions.json"
    text = TEXT_CASES[case]
    path.write_bytes(text.encode("latin-1") if case == "not_utf8" else text.encode("utf-8"))
    code, err = run(tmp_path, capsys, "--refytvos", str(folder))
    check_outcome(code, err, path)
    if code in (0, 1) and '"ok"' in text:  # the good video beside the bad entries is kept
        manifest = json.loads((tmp_path / "out" / "revos" / "0.1.0" / "manifest.json").read_text())
        assert manifest["reconciles"]
        assert manifest["counts"]["expressions"]["accepted"] >= 1


@pytest.mark.parametrize("kind", sorted(SPECIAL))
def test_meta_that_is_no_regular_file_never_hangs(tmp_path: Path, capsys, kind: str) -> None:
    folder = tmp_path / "refytvos"
    folder.mkdir()
    SPECIAL[kind](folder / "meta_expressions.json")
    code, err = run(tmp_path, capsys, "--refytvos", str(folder))
    assert code == 2
    check_outcome(code, err, folder / "meta_expressions.json")


@pytest.mark.parametrize("mask_dict", ['{"1": [', "[]", '{"1": "not a list"}', "[" * 100_000])
def test_bad_revos_mask_dict_is_one_line_or_accounted(tmp_path: Path, capsys, mask_dict: str) -> None:
    root = tmp_path / "revos"
    root.mkdir()
    video = {"vid_id": "v1", "frames": ["00000", "00001"],
             "expressions": {"0": {"exp": "the red ball", "obj_id": [1], "anno_id": [1], "type_id": 0}}}
    (root / "meta_expressions_valid_.json").write_text(meta({"v1": video}))
    (root / "mask_dict.json").write_text(mask_dict)
    code, err = run(tmp_path, capsys, "--revos", str(root))
    check_outcome(code, err, root / "mask_dict.json")
