"""Padding plan of matched variants: SEI sizes that cannot be made, and a real remux matching the model.

An SEI message codes its payload size with one extra byte per 255, so one per-key-frame size in
every 255 cannot be made. A plan that ignores it leaves such a file ``k`` bytes off (it failed on
demo_cycling with one x264 thread); :func:`plan_texts` must shift the target instead.
"""

from __future__ import annotations

from pathlib import Path

from video_fixtures import real

from pipelines.core.rng import UnitRng
from pipelines.core.video.pad import BASE_PAD, plan_texts, remux_padded, sei_bytes, text_for
from pipelines.core.video.streams import stream_stats

__all__ = ["real"]  # fixture, used by name


def test_sei_size_steps_by_two_once_per_255() -> None:
    jumps = [t for t in range(1, 2000) if sei_bytes(t + 1) - sei_bytes(t) == 2]
    assert all(sei_bytes(t + 1) - sei_bytes(t) in (1, 2) for t in range(1, 2000))
    assert jumps == [255 * m - 18 for m in range(1, 8)]  # payload (UUID + text + NUL) reaches 255 * m
    made = {sei_bytes(t) for t in range(1, 2000)}
    for size in range(sei_bytes(1), sei_bytes(1999)):
        assert (text_for(size) is not None) == (size in made)
        if size in made:
            assert sei_bytes(text_for(size)) == size  # type: ignore[arg-type]


def _padded(sizes: list[int], k: int, overhead: int) -> list[int]:
    return [s + k * sei_bytes(t) + overhead for s, t in zip(sizes, plan_texts(sizes, k, overhead),
                                                              strict=True)]


def test_plan_brings_every_set_of_sizes_within_one_byte_per_key_frame() -> None:
    shifted = 0
    for case in range(400):
        rng = UnitRng(0, f"pad/{case}")
        k, overhead = 2 + rng.below(30), rng.below(100)
        sizes = [500_000 + rng.below(200_000) for _ in range(3)]
        padded = _padded(sizes, k, overhead)
        assert max(padded) - min(padded) <= k - 1, (sizes, k, overhead)
        assert min(p - s for p, s in zip(padded, sizes, strict=True)) > (BASE_PAD - 1) * k  # all padded
        assert sorted(_padded(sizes[::-1], k, overhead)) == sorted(padded)  # order does not matter
        base = max(sizes) + BASE_PAD * k + sum(sizes) % k
        shifted += any(text_for((base - s - overhead) // k) is None for s in sizes)
    assert shifted > 0  # the cases a shift-free plan gets wrong are among them


def test_plan_fixes_the_case_a_shift_free_plan_misses() -> None:
    k, overhead = 13, 72
    sizes = [1_000_000, 1_000_000 + 13 * 300]
    base = max(sizes) + BASE_PAD * k + sum(sizes) % k
    needs = [(base - s - overhead) // k for s in sizes]
    assert text_for(needs[1]) is not None
    unmakeable = next(size for size in range(needs[0], needs[0] + 300) if text_for(size) is None)
    sizes[0] -= (unmakeable - needs[0]) * k  # now the first file needs the size that cannot be made
    base = max(sizes) + BASE_PAD * k + sum(sizes) % k
    assert text_for((base - sizes[0] - overhead) // k) is None
    padded = _padded(sizes, k, overhead)
    assert max(padded) - min(padded) <= k - 1


def test_real_remux_grows_as_the_model_says(real: dict[str, Path], tmp_path: Path) -> None:
    """ffmpeg's h264_metadata grows every key frame by exactly sei_bytes(text), across 255s."""
    before = stream_stats(real["bikes"])
    k = len(before.keyframe_times)
    growth = {}
    for text in (1, 237, 238, 492, 493):
        out = tmp_path / f"pad_{text}.mp4"
        remux_padded(real["bikes"], out, text)
        after = stream_stats(out)
        assert after.keyframe_times == before.keyframe_times
        assert after.video_packets == before.video_packets and after.audio_bytes == before.audio_bytes
        growth[text] = after.video_bytes - before.video_bytes
    assert k >= 2
    for text, grown in growth.items():
        assert grown - growth[1] == k * (sei_bytes(text) - sei_bytes(1)), text
    assert growth[238] - growth[237] == 2 * k  # the size that cannot be made, skipped
