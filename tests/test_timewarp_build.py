"""The timewarp demo build end to end: metadata + rendered videos -> every config, real media."""

from __future__ import annotations

import json

import pytest

from pipelines.cli import main
from pipelines.core.video import NOISE_LEVEL, check_indistinguishable, frame_difference, frames_at, probe
from pipelines.timewarp.units import CONFIGS
from tests.conftest import load_local


@pytest.fixture(scope="module")
def demo_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("timewarp_demo")
    assert main(["timewarp", "build", "--out", str(out), "--no-progress", "--workers", "2"]) == 0
    return out / "timewarp" / "0.1.0"


def test_every_config_built_and_loadable(demo_build):
    manifest = json.loads((demo_build / "manifest.json").read_text())
    assert manifest["reconciles"] and manifest["media_rendered"]
    counts = manifest["counts"]
    assert counts["videos"]["rejected"] == {"too_few_scenes": 1, "missing_timestamps": 1}
    assert counts["render"] == {"inputs": 4, "accepted": 4, "rejected": {}, "rejected_total": 0,
                                "reconciles": True}
    for config in CONFIGS:
        rows = manifest["configs"][config]
        assert rows > 0, config
        split = "test" if config.startswith(("timewar", "ordering")) else "train"
        assert load_local(demo_build, config, split).num_rows == rows


def test_variants_share_container_and_frames(demo_build):
    shuffled_rows = load_local(demo_build, "timewar_shuffled", "test")
    orders = {r["video_id"]: r["scene_order"] for r in shuffled_rows}
    for video_dir in sorted((demo_build / "media").iterdir()):
        variants = [video_dir / f"{v}.mp4" for v in ("normal", "shuffled", "reversed")]
        assert check_indistinguishable(variants) == [], video_dir.name
        normal = probe(variants[0])
        frames = sorted((video_dir / "normal_frames").iterdir())
        assert [f.name for f in frames][:2] == ["c01_0001.jpeg", "c01_0002.jpeg"]
        assert len(frames) == int(normal.video_duration * 2 + 1e-9)
        if video_dir.name in orders:
            # the shuffled clip starts with the first frame of the scene its order puts first
            meta = json.loads((demo_build.parent.parent / "demo_inputs/timewarp/metadata"
                               / f"{video_dir.name}.json").read_text())
            scenes = meta["content_metadata"]["scenes"]
            first_scene = orders[video_dir.name][0]
            start = sum(float(s["timestamps"]["end_timestamp"][-6:]) - float(
                s["timestamps"]["start_timestamp"][-6:]) for s in scenes[:first_scene])
            a = frames_at(variants[1], [0.0])[0]
            b = frames_at(variants[0], [start + 0.001])[0]
            assert frame_difference(a, b) < NOISE_LEVEL


def test_parquet_shards_with_embedded_videos_render(demo_build, tmp_path):
    """FineVideo's own layout: parquet rows with a ``json`` column and the ``mp4`` bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    inputs = demo_build.parent.parent / "demo_inputs" / "timewarp"
    rows = []
    for meta in sorted((inputs / "metadata").glob("*.json")):
        video = inputs / "videos" / f"{meta.stem}.mp4"
        rows.append({"json": meta.read_text(), "mp4": video.read_bytes() if video.exists() else None})
    shards = tmp_path / "shards"
    shards.mkdir()
    pq.write_table(pa.Table.from_pylist(rows[:3]), shards / "train-00000.parquet")
    pq.write_table(pa.Table.from_pylist(rows[3:]), shards / "train-00001.parquet")
    assert main(["timewarp", "build", "--finevideo", str(shards), "--out", str(tmp_path / "out"),
                 "--no-progress"]) == 0
    build = tmp_path / "out" / "timewarp" / "0.1.0"
    manifest = json.loads((build / "manifest.json").read_text())
    assert manifest["counts"]["videos"]["inputs"] == 6
    assert manifest["counts"]["render"]["accepted"] == 4 and manifest["media_rendered"]
    for video_dir in (build / "media").iterdir():  # same clips as the folder-of-JSON demo build
        for variant in ("normal", "shuffled", "reversed"):
            clip = f"{variant}.mp4"
            reference = demo_build / "media" / video_dir.name / clip
            assert (video_dir / clip).read_bytes() == reference.read_bytes()
    assert not (build / ".work").exists(), "spilled source videos are removed after the build"
