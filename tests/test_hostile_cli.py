"""Hostile command lines found by the CLI audit: each one used to end in a traceback.

A bad ``--params`` file and an ``--out`` that a file blocks must stop the build with one line naming
the path and the problem (exit 2), before anything is written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.badinput import run_cli
from tests.conftest import shared_file

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
