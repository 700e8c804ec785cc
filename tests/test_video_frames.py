"""Video toolkit: frame extraction (dense and sparse plans), frame difference, box drawing."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from video_fixtures import leftovers, looped, real, vdir

from pipelines.core.errors import ConfigError, InputError
from pipelines.core.video import (
    NOISE_LEVEL,
    draw_box,
    drop_near_duplicates,
    extract_frames,
    frame_difference,
    frames_at,
    iter_frames,
    plan_runs,
    probe,
)
from pipelines.core.video import frames as frames_mod

__all__ = ["looped", "real", "vdir"]  # fixtures (vdir: the folder the others share), used by name


















def test_frames_dense_and_sparse_plans_give_identical_pixels(looped: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    info = probe(looped)
    dense = [i * 0.2 for i in range(40)]
    sparse = [1.5, 13.3, 27.9]
    assert len(plan_runs(info, sorted({round(t * 25) for t in dense}))) == 1
    assert len(plan_runs(info, [37, 332, 697])) == 3
    reference = {i: f for i, f in iter_frames(info, range(750))}
    for times in (dense, sparse):
        idx = [int(np.floor(t * 25 + 1e-6)) for t in times]
        got = frames_at(looped, times)
        for spawn_cost in (-1.0, 1e9):  # force one seek per frame, then one decode for all
            monkeypatch.setattr(frames_mod, "SPAWN_COST_S", spawn_cost)
            forced = frames_at(looped, times)
            assert all(np.array_equal(a, b) for a, b in zip(got, forced, strict=True))
        assert all(np.array_equal(g, reference[i]) for g, i in zip(got, idx, strict=True))


def test_extract_frames_names_formats_and_resize(real: dict[str, Path], tmp_path: Path) -> None:
    times = [0.0, 1.0, 1.0, 9.99]
    paths = extract_frames(real["bikes"], times, tmp_path / "a")
    assert [p.name for p in paths] == ["frame_0001.jpg", "frame_0002.jpg", "frame_0003.jpg", "frame_0004.jpg"]
    assert paths[1].read_bytes() == paths[2].read_bytes()
    hound = extract_frames(real["bikes"], [0.5, 1.0], tmp_path / "b", prefix="c01_", fmt="jpeg", width=336)
    assert [p.name for p in hound] == ["c01_0001.jpeg", "c01_0002.jpeg"]
    assert cv2.imread(str(hound[0])).shape == (143, 336, 3)
    png = extract_frames(real["bikes"], [2.0], tmp_path / "c", fmt="png",
                         name_fn=lambda i, t: f"t{t:.3f}.png")
    want = frames_at(real["bikes"], [2.0])[0]
    assert np.array_equal(cv2.imread(str(png[0])), want)  # PNG is lossless
    with pytest.raises(InputError, match=r"bikes.mp4: time 10.5 s is outside the video"):
        extract_frames(real["bikes"], [10.5], tmp_path / "d")
    with pytest.raises(ConfigError):
        extract_frames(real["bikes"], [1.0], tmp_path / "d", fmt="gif")
    with pytest.raises(ConfigError):
        extract_frames(real["bikes"], [1.0, 2.0], tmp_path / "d", name_fn=lambda i, t: "same.jpg")
    assert all(leftovers(tmp_path / d) == [] for d in ("a", "b", "c"))


def test_frame_difference_and_near_duplicates(real: dict[str, Path], tmp_path: Path) -> None:
    f0, f25 = frames_at(real["bikes"], [0.0, 1.0])
    jpg = extract_frames(real["bikes"], [0.0], tmp_path)[0]  # f0 after JPEG coding
    assert frame_difference(f0, f0) == 0.0
    assert frame_difference(f0, jpg) < NOISE_LEVEL
    assert frame_difference(f0, f25) > 5 * NOISE_LEVEL
    assert frame_difference(f0, cv2.resize(f0, (320, 136))) < NOISE_LEVEL  # sizes may differ
    assert drop_near_duplicates([f0, jpg, f25, f25.copy(), f0]) == [0, 2, 4]


def test_draw_box_on_a_copy(real: dict[str, Path], tmp_path: Path) -> None:
    src = extract_frames(real["bikes"], [3.0], tmp_path, fmt="png")[0]
    before = src.read_bytes()
    out = draw_box(src, (0.25, 0.25, 0.75, 0.75), tmp_path / "boxed.png", label="ride a bike (ü)")
    assert src.read_bytes() == before
    img, orig = cv2.imread(str(out)), cv2.imread(str(src))
    assert tuple(img[int(0.5 * 271), round(0.25 * 639)]) == (0, 200, 0)  # left edge, BGR green
    assert np.array_equal(img[200:, :100], orig[200:, :100])  # outside the box untouched
    again = draw_box(src, (0.25, 0.25, 0.75, 0.75), tmp_path / "boxed2.png", label="ride a bike (ü)")
    assert again.read_bytes() == out.read_bytes()
    with pytest.raises(ConfigError, match="overwrite"):
        draw_box(src, (0.1, 0.1, 0.2, 0.2), src)
    with pytest.raises(ConfigError, match="inverted"):
        draw_box(src, (0.5, 0.1, 0.2, 0.2), tmp_path / "bad.png")
    with pytest.raises(InputError, match=r"missing\.png"):
        draw_box(tmp_path / "missing.png", (0.1, 0.1, 0.2, 0.2), tmp_path / "x.png")
