"""Bad-input corpus, FineVideo side (timewarp), plus property-based checks of both readers.

A bad metadata file next to a valid one must be rejected with a reason while the valid video is
still built; an input *path* that is no readable regular file is a one-line error naming it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.core import ava
from pipelines.core.ava_columns import read_annotation_columns
from pipelines.core.finevideo import MetaReject, VideoMeta, parse_meta, read_metadata
from tests.badinput import counts, rejects, run_cli
from tests.conftest import shared_file

pytestmark = pytest.mark.timeout(60)
GOOD_ID = "G_VTkkb34gw"  # sample_0.json: kept by the recipe


def sample() -> dict[str, Any]:
    return json.loads(shared_file("finevideo", "sample_0.json").read_text())


def edited(change: Callable[[dict[str, Any]], None]) -> str:
    data = sample()
    data["original_video_filename"] = "other_video.mp4"  # not a duplicate of the good file
    change(data)
    return json.dumps(data)


def _scenes(value: Any) -> Callable[[dict], None]:
    return lambda d: d["content_metadata"].__setitem__("scenes", value)


def _scene0(key: str, value: Any) -> Callable[[dict], None]:
    return lambda d: d["content_metadata"]["scenes"][0].__setitem__(key, value)


def _top(key: str, value: Any) -> Callable[[dict], None]:
    return lambda d: d.__setitem__(key, value)


# file text -> (stage, reasons accepted for the bad unit); None: the unit may also be kept
JSON_CASES: dict[str, tuple[str | bytes, set[str] | None]] = {
    "truncated": ('{"content_metadata": {', {"invalid_json"}),
    "not_json": ("hello", {"invalid_json"}),
    "empty": ("", {"invalid_json"}),
    "not_utf8": (b"\xff\xfe{\x00}", {"invalid_json"}),
    "deep_array": ("[" * 200_000 + "]" * 200_000, {"invalid_json"}),
    "deep_object": ('{"a":' * 100_000 + "1" + "}" * 100_000, {"invalid_json"}),
    "int_5000_digits": ('{"duration_seconds": ' + "9" * 5000 + "}", {"invalid_json"}),
    "top_list": ("[1, 2, 3]", {"no_metadata"}),
    "top_string": ('"video"', {"no_metadata"}),
    "top_null": ("null", {"no_metadata"}),
    "metadata_missing": ('{"duration_seconds": 10}', {"no_metadata"}),
    "metadata_string": (edited(_top("content_metadata", "x")), {"no_metadata"}),
    "scenes_string": (edited(_scenes("abc")), None),
    "scenes_int": (edited(_scenes(7)), None),
    "scenes_object": (edited(_scenes({"a": 1})), None),
    "scenes_null": (edited(_scenes(None)), None),
    "scenes_of_numbers": (edited(_scenes([1, 2, 3])), None),
    "activities_int": (edited(_scene0("activities", 5)), None),
    "activities_string": (edited(_scene0("activities", "run")), None),
    "timestamps_list": (edited(_scene0("timestamps", [1, 2])), None),
    "timestamp_huge": (edited(_scene0("timestamps", {"start_timestamp": "9" * 400 + ":00:00",
                                                     "end_timestamp": "00:00:05.000"})), None),
    "duration_huge_int": (edited(_top("duration_seconds", 10 ** 400)), None),
    "duration_negative": (edited(_top("duration_seconds", -5)), None),
    "duration_string": (edited(_top("duration_seconds", "long")), None),
    "title_list": (edited(lambda d: d["content_metadata"].__setitem__("title", ["a"])), None),
    "id_dotdot": (edited(_top("original_video_filename", "..")), {"unsafe_video_id"}),
    "id_hidden": (edited(_top("original_video_filename", ".secret.mp4")), {"unsafe_video_id"}),
    "id_300_chars": (edited(_top("original_video_filename", "v" * 300 + ".mp4")), {"unsafe_video_id"}),
    "id_backslash": (edited(_top("original_video_filename", "a\\b.mp4")), {"unsafe_video_id"}),
    "id_control_char": (edited(_top("original_video_filename", "a\nb.mp4")), {"unsafe_video_id"}),
    "id_duplicate": (edited(_top("original_video_filename", GOOD_ID + ".mp4")), {"duplicate_video_id"}),
    "id_number": (edited(_top("original_video_filename", 12345)), None),
}


def timewarp(out: Path, source: Path, *extra: str | Path):
    return run_cli("timewarp", "build", "--out", out, "--finevideo", source, "--no-progress", *extra)


@pytest.mark.parametrize("case", sorted(JSON_CASES))
def test_bad_metadata_file_is_rejected_and_the_good_one_kept(tmp_path: Path, case: str) -> None:
    text, reasons = JSON_CASES[case]
    folder = tmp_path / "fv"
    folder.mkdir()
    (folder / "a_good.json").write_text(json.dumps(sample()))
    bad = folder / "b_bad.json"
    bad.write_bytes(text if isinstance(text, bytes) else text.encode())
    outcome = timewarp(tmp_path / "out", folder)
    assert outcome.status == 0 and "Traceback" not in outcome.stderr, outcome.stderr
    build = tmp_path / "out/timewarp/0.1.0"
    videos = counts(build)["videos"]
    assert videos["reconciles"] and videos["inputs"] == 2
    bad_rejects = {r["reason"] for r in rejects(build) if r["stage"] == "videos"}
    if reasons is not None:
        assert videos["accepted"] == 1 and bad_rejects == reasons, bad_rejects
    kept = {row["video_id"] for path in (build / "data" / "sft").glob("*.parquet")
            for row in pq.read_table(path).to_pylist()}
    assert GOOD_ID in kept  # the valid video is never lost


def _special(kind: str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        {"dir": path.mkdir, "fifo": lambda: os.mkfifo(path), "loop": lambda: path.symlink_to(path),
         "device": lambda: path.symlink_to("/dev/zero")}[kind]()
    return make


@pytest.mark.parametrize("kind", ["dir", "fifo", "loop", "device"])
@pytest.mark.parametrize("suffix", ["json", "parquet"])
def test_non_regular_input_file_is_one_line_never_a_hang(tmp_path: Path, kind: str, suffix: str) -> None:
    folder = tmp_path / "fv"
    folder.mkdir()
    if suffix == "json":
        (folder / "a_good.json").write_text(json.dumps(sample()))
    bad = folder / f"b_bad.{suffix}"
    _special(kind)(bad)
    timewarp(tmp_path / "out", folder).assert_one_line_error(str(bad))


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_finevideo_argument_that_is_no_regular_file(tmp_path: Path, kind: str) -> None:
    bad = tmp_path / "shard.parquet"
    _special(kind)(bad)
    timewarp(tmp_path / "out", bad).assert_one_line_error(str(bad), "not a regular file")


PARQUET_CASES = {
    "garbage": (lambda p: p.write_bytes(b"PAR1 not really"), "not a readable parquet file"),
    "no_json_column": (lambda p: pq.write_table(pa.table({"text": ["x"]}), p), "no 'json' column"),
}


@pytest.mark.parametrize("case", sorted(PARQUET_CASES))
def test_unusable_parquet_shard_is_one_line(tmp_path: Path, case: str) -> None:
    make, problem = PARQUET_CASES[case]
    folder = tmp_path / "shards"
    folder.mkdir()
    make(folder / "train-00000.parquet")
    timewarp(tmp_path / "out", folder).assert_one_line_error("train-00000.parquet", problem)


def test_bad_rows_of_a_parquet_shard_are_rejections(tmp_path: Path) -> None:
    folder = tmp_path / "shards"
    folder.mkdir()
    rows = [json.dumps(sample()), "[" * 100_000, "null", json.dumps(sample())]
    pq.write_table(pa.table({"json": rows}), folder / "train-00000.parquet")
    outcome = timewarp(tmp_path / "out", folder)
    assert outcome.status == 0, outcome.stderr
    reasons = sorted(r["reason"] for r in rejects(tmp_path / "out/timewarp/0.1.0") if r["stage"] == "videos")
    assert reasons == ["duplicate_video_id", "invalid_json", "no_metadata"]


def test_folder_without_metadata_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    timewarp(tmp_path / "out", tmp_path / "empty").assert_one_line_error("no *.json metadata files")


# -- property-based: no input text makes a reader raise anything but InputError -------------------

_field = st.one_of(st.text(max_size=12), st.integers().map(str), st.floats().map(str),
                   st.sampled_from(["", "1e999", "-0", "0902", "12", "..", ".x", "nan", "9" * 30]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_field, min_size=6, max_size=10), min_size=1, max_size=8))
def test_any_csv_rows_are_accounted_by_both_readers(tmp_path: Path, rows: list[list[str]]) -> None:
    """Random rows after a valid first row: the column-wise and row-by-row readers agree, raise
    nothing, and account for every data row (kept + rejected = total)."""
    path = tmp_path / "fuzz.csv"
    first = "1j20qq1JyX4,0902,0.1,0.1,0.5,0.5,12,1"
    text = first + "\n" + "\n".join(",".join(r).replace("\n", " ").replace("\r", " ") for r in rows) + "\n"
    path.write_text(text, encoding="utf-8")
    known = set(range(1, 81))
    try:
        fast = read_annotation_columns(path, known)
        slow = ava.read_annotations(path, known)
    except ava.InputError:
        return  # e.g. only blank lines after the cleaning: one-line error is a valid outcome
    assert len(fast[0]) + len(fast[1]) == fast[2] == len(slow[0]) + len(slow[1]) == slow[2]
    assert [(r.line, r.reason) for r in fast[1]] == [(r.line, r.reason) for r in slow[1]]
    assert all(0 <= t < 2**31 for t in fast[0].timestamp.tolist() + fast[0].person.tolist())


_json = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
                     lambda inner: st.one_of(st.lists(inner, max_size=4),
                                             st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                     max_leaves=20)
_meta = st.fixed_dictionaries({"content_metadata": st.fixed_dictionaries(
    {"scenes": st.one_of(_json, st.lists(st.dictionaries(st.sampled_from(
        ["activities", "timestamps", "title", "sceneId", "narrativeProgression"]), _json)))}),
    "duration_seconds": _json, "original_video_filename": _json})


@settings(max_examples=200, deadline=None)
@given(data=st.one_of(_json, _meta))
def test_any_json_metadata_parses_or_is_rejected(data: Any) -> None:
    parsed = parse_meta("vid", "fuzz.json", data)
    assert isinstance(parsed, VideoMeta | MetaReject)


def test_reader_checks_every_unit_id(tmp_path: Path) -> None:
    for name, filename in (("a", "same.mp4"), ("b", "same.mp4"), ("c", ".hidden.mp4")):
        data = sample()
        data["original_video_filename"] = filename
        (tmp_path / f"{name}.json").write_text(json.dumps(data))
    units = list(read_metadata(tmp_path))
    assert [getattr(u, "reason", "ok") for u in units] == ["ok", "duplicate_video_id", "unsafe_video_id"]
