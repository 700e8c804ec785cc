"""Frames the exported evaluators show: exactly the asked times, found by suffix, never stale, never
clamped. Checked on real clips through the embedded helper and through the exported hooks."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from pipelines.core import evalframes
from pipelines.core.evalformats import candidates_literal, render_export, tsv_text
from pipelines.core.video import NOISE_LEVEL, frame_difference, frames_at, probe
from pipelines.timewarp.exports import TSV_COLUMNS
from tests.scorer_harness import lmms_utils, vlmevalkit_class
from tests.test_scorer_exports import finebench_demo  # noqa: F401  (module fixture)
from tests.video_fixtures import ffmpeg, real  # noqa: F401  (session fixture)

TIMES = [0.0, 1.04, 2.5, 3.96]


def assert_frames(paths: list[str], video: Path, times: list[float]) -> None:
    """Each image equals the toolkit's frame at its time, and is closer to it than to the frame
    half a second away (so an off-by-many frame fails)."""
    expected = frames_at(video, times)
    duration = probe(video).duration
    away = frames_at(video, [(t + 0.5) % duration for t in times])
    for path, frame, other in zip(paths, expected, away, strict=True):
        assert frame_difference(path, frame) < NOISE_LEVEL * 2
        assert frame_difference(path, frame) < frame_difference(path, other)


@pytest.fixture
def mkv_root(real: dict[str, Path], tmp_path: Path) -> Path:  # noqa: F811
    """A video folder holding only ``clip01.mkv`` (bikes, remuxed)."""
    root = tmp_path / "videos"
    root.mkdir()
    ffmpeg("-i", str(real["bikes"]), "-c", "copy", str(root / "clip01.mkv"))
    return root


def test_frames_at_exact_times_from_mkv(mkv_root: Path, tmp_path: Path) -> None:
    video = evalframes.locate_video(str(mkv_root), "clip01", "q-1")
    assert video.endswith("clip01.mkv")
    paths = evalframes.cached_frames(video, TIMES, str(tmp_path / "cache"), "q-1")
    assert len(paths) == len(TIMES) and all(Path(p).is_file() for p in paths)
    assert_frames(paths, Path(video), TIMES)
    mtimes = [Path(p).stat().st_mtime_ns for p in paths]
    assert evalframes.cached_frames(video, TIMES, str(tmp_path / "cache"), "q-1") == paths
    assert [Path(p).stat().st_mtime_ns for p in paths] == mtimes  # served from the cache


def test_missing_video_and_out_of_range_times_name_the_question(mkv_root: Path, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"question q-7: no video nope\{\.mp4/\.mkv/\.webm"):
        evalframes.locate_video(str(mkv_root), "nope", "q-7")
    video = str(mkv_root / "clip01.mkv")  # 10 s at 25 fps
    for bad in (10.0, 12.5, -0.5):
        with pytest.raises(ValueError, match=rf"question q-9: frame time {bad:g}s is outside video"):
            evalframes.cached_frames(video, [1.0, bad], str(tmp_path / "cache"), "q-9")
    assert not list((tmp_path / "cache").rglob("*.jpg"))  # checked before anything is written
    assert len(evalframes.cached_frames(video, [9.96], str(tmp_path / "cache"), "q-9")) == 1


def test_replaced_video_is_never_served_old_frames(real: dict[str, Path], tmp_path: Path) -> None:  # noqa: F811
    clip, cache = tmp_path / "media" / "v1" / "normal.mp4", str(tmp_path / "cache")
    clip.parent.mkdir(parents=True)
    shutil.copy(real["bikes"], clip)
    first = evalframes.cached_frames(str(clip), [1.0, 2.0], cache, "q")
    shutil.copy(real["carphone"], clip)  # a rebuild writes another clip at the same path
    second = evalframes.cached_frames(str(clip), [1.0, 2.0], cache, "q")
    assert first != second
    assert_frames(second, clip, [1.0, 2.0])
    assert frame_difference(first[0], second[0]) > 10 * NOISE_LEVEL


def test_uniform_times_are_frame_exact(real: dict[str, Path]) -> None:  # noqa: F811
    times = evalframes.uniform_times(str(real["bikes"]), 8)  # 250 frames at 25 fps
    assert times == [np.floor((i + 0.5) * 250 / 8) / 25 for i in range(8)]


def test_lmms_finebench_shows_exactly_the_question_frames(
        finebench_demo: Path, mkv_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    monkeypatch.setenv("FINEBENCH_VIDEO_ROOT", str(mkv_root))
    monkeypatch.setenv("FINEBENCH_FRAME_CACHE", str(tmp_path / "cache"))
    utils = lmms_utils(finebench_demo / "exports" / "lmms_eval")
    rows = (finebench_demo / "exports" / "lmms_eval" / "finebench_mcq.jsonl").read_text()
    doc = json.loads(rows.split("\n")[0])
    doc = {**doc, "id": "fb-x", "video_id": "clip01", "frame_times": TIMES, "frame_keys": []}
    paths = utils.finebench_frame_paths(doc)
    assert_frames(paths, mkv_root / "clip01.mkv", TIMES)
    images = utils.finebench_doc_to_visual(doc)
    assert len(images) == len(TIMES) and images[0].mode == "RGB"
    # frames extracted by the build (frame_keys) are used as they are
    keys = [f"media/frames/clip01/{Path(p).name}" for p in paths]
    for key, path in zip(keys, paths, strict=True):
        (finebench_demo / key).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, finebench_demo / key)
    assert utils.finebench_frame_paths({**doc, "frame_keys": keys}) == [str(finebench_demo / k) for k in keys]
    shutil.rmtree(finebench_demo / "media")
    with pytest.raises(ValueError, match="question fb-x: frame time 11s is outside video"):
        utils.finebench_frame_paths({**doc, "frame_times": [11.0]})
    monkeypatch.setattr(utils, "VIDEO_ROOT", "")
    with pytest.raises(FileNotFoundError, match=r"question fb-x: .*FINEBENCH_VIDEO_ROOT"):
        utils.finebench_frame_paths(doc)


def test_vlmevalkit_classes_show_exact_and_fresh_frames(finebench_demo: Path, mkv_root: Path,  # noqa: F811
                                                       real: dict[str, Path], tmp_path: Path,  # noqa: F811
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    lmu = tmp_path / "LMUData"
    lmu.mkdir()
    monkeypatch.setenv("LMUData", str(lmu))
    monkeypatch.setenv("FINEBENCH_VIDEO_ROOT", str(mkv_root))
    with open(finebench_demo / "exports" / "vlmevalkit" / "FineBench_mcq.tsv", newline="") as handle:
        first = next(csv.DictReader(handle, delimiter="\t"))
    header = list(first)
    values = first | {"video": "clip01", "frame_times": json.dumps(TIMES)}
    (lmu / "FineBench_mcq.tsv").write_text(tsv_text(header, [[values[h] for h in header]]))
    exported = finebench_demo / "exports" / "vlmevalkit" / "finebench_dataset.py"
    finebench = vlmevalkit_class(exported, "FineBench")
    message = finebench(dataset="FineBench_mcq").build_prompt(0)
    images = [m["value"] for m in message if m["type"] == "image"]
    assert_frames(images, mkv_root / "clip01.mkv", TIMES)
    assert message[-1]["type"] == "text" and "A. " in message[-1]["value"]
    # TimeWar: evenly spread frames, refreshed when a rebuild replaces the clip at the same path
    root = tmp_path / "build"
    clip = root / "media" / "v1" / "normal.mp4"
    clip.parent.mkdir(parents=True)
    shutil.copy(real["bikes"], clip)
    monkeypatch.setenv("TIMEWAR_VIDEO_ROOT", str(root))
    (lmu / "TimeWar_normal.tsv").write_text(tsv_text(TSV_COLUMNS, [
        [0, "tw-1", "media/v1/normal", "What comes first?",
         candidates_literal(["one", "two", "three", "four"]), "B", "first", "p1"]]))
    (tmp_path / "timewar_dataset.py").write_text(render_export("vlmevalkit_timewar_dataset.py.j2"))
    timewar_class = vlmevalkit_class(tmp_path / "timewar_dataset.py", "TimeWar")
    first = [m["value"] for m in timewar_class(dataset="TimeWar_normal", nframe=4).build_prompt(0)[:-1]]
    assert_frames(first, clip, evalframes.uniform_times(str(clip), 4))
    shutil.copy(real["carphone"], clip)
    second = [m["value"] for m in timewar_class(dataset="TimeWar_normal", nframe=4).build_prompt(0)[:-1]]
    assert_frames(second, clip, evalframes.uniform_times(str(clip), 4))
    video = timewar_class(dataset="TimeWar_normal").build_prompt(0, video_llm=True)[0]
    assert video == {"type": "video", "value": str(clip)}
