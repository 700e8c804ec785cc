"""RLE helpers (pycocotools) and the mask presence source."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.core.masks import MaskError, MaskPresence, ObjectMasks, area, box, checked, decode, encode


@pytest.mark.parametrize("shape", [(1, 1), (7, 13), (96, 128)])
def test_encode_decode_round_trip_bit_for_bit(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(3)
    for density in (0.0, 0.1, 0.5, 1.0):
        mask = rng.random(shape) < density
        rle = encode(mask)
        assert isinstance(rle["counts"], str) and rle["size"] == list(shape)
        assert np.array_equal(decode(rle), mask)
        assert area(rle) == int(mask.sum())


def test_uncompressed_counts_are_accepted_and_checked() -> None:
    rle = checked({"size": [2, 3], "counts": [1, 2, 3]})  # column-major runs: 0, 1 1, 0 0 0
    assert decode(rle).T.ravel().tolist() == [False, True, True, False, False, False]
    with pytest.raises(MaskError, match="runs cover 5 pixels"):
        checked({"size": [2, 3], "counts": [1, 2, 2]})


@pytest.mark.parametrize("bad", [{"size": [4, 5], "counts": "zz!!"}, {"size": [4], "counts": "1"},
                                 {"counts": "1"}, {"size": [4, 5], "counts": 3}, "rle",
                                 {"size": [True, 5], "counts": "1"}])
def test_undecodable_rle_raises_mask_error(bad: object) -> None:
    with pytest.raises(MaskError):
        checked(bad)  # type: ignore[arg-type]


def test_box_is_tight_and_normalised() -> None:
    mask = np.zeros((10, 20), bool)
    mask[2:5, 4:10] = True
    assert box(encode(mask)) == pytest.approx((4 / 20, 2 / 10, 10 / 20, 5 / 10))
    assert box(encode(np.zeros((10, 20), bool))) is None


def test_mask_presence_is_a_non_empty_mask_per_frame() -> None:
    full, empty = encode(np.ones((4, 4), bool)), encode(np.zeros((4, 4), bool))
    source = MaskPresence([
        ObjectMasks("v2", "b", (0.0, 1.0), (full, full)),
        ObjectMasks("v1", "a", (0.0, 0.5, 1.0, 1.5), (None, full, empty, full), "dog"),
    ])
    assert list(source.video_ids()) == ["v1", "v2"]
    (track,) = source.tracks("v1")
    assert track.present == (False, True, False, True) and track.label == "dog"
    assert track.spans() == [(0.5, 0.5), (1.5, 1.5)]
    assert track.present_at(0.4, tolerance=0.2) is True
    assert source.tracks("unknown") == ()


def test_read_mask_presence_tracks_the_demo_objects(tmp_path) -> None:
    from pipelines.core.masks import read_mask_presence
    from pipelines.revos.demo import draw_video, frame_names, write_revos

    write_revos(tmp_path)
    source, skipped, seen = read_mask_presence(tmp_path, fps=30.0)
    assert list(source.video_ids()) == ["demo_defects", "demo_park", "demo_street"]
    assert sorted(r for _, r, _ in skipped) == ["empty_mask", "mask_frame_mismatch", "undecodable_rle",
                                                 "unknown_anno_id"]
    assert seen == len(skipped) + sum(len(source.tracks(v)) for v in source.video_ids())
    _, drawn = draw_video("demo_street")
    names = frame_names(len(drawn[1]))
    for track in source.tracks("demo_street"):
        assert track.present == tuple(bool(m.any()) for m in drawn[int(track.object_id)])
        assert track.times == tuple(int(n) / 30.0 for n in names)
    red = next(t for t in source.tracks("demo_street") if t.object_id == "1")
    assert red.label == "the red ball rolling to the right"
    assert red.spans() == [(red.times[4], red.times[11])]


def test_frame_times_from_frame_numbers_or_positions() -> None:
    from pipelines.core.masks import frame_times

    assert frame_times(["00000", "00005", "00010"], 30.0) == (0.0, 5 / 30, 10 / 30)
    assert frame_times(["a", "b"], 2.0) == (0.0, 0.5)
    assert frame_times(["00010", "00005"], 30.0) is None
