"""Scene-order variants of one source whose files a metadata classifier cannot tell apart.

Contract:
- :func:`render_variants` renders the scenes of ``src`` in the original order, reversed, and in a
  shuffled order (never the identity, never the reversal with 3+ scenes) with one profile and
  returns their :class:`StreamStats` in that order. With :data:`MATCHED_PROFILE` it then pads the
  variants so that every figure of ``stream_stats`` is equal (see :func:`pad_to_match`).
- :func:`uneven_scenes` cuts a clip into 2-5 scenes of uneven length (for tests and benchmarks).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

from pipelines.core.rng import UnitRng
from pipelines.core.video.edit import assemble
from pipelines.core.video.profile import EncodeProfile
from pipelines.core.video.streams import StreamStats, stream_stats

Segment = tuple[float, float]

# Same rate control for every variant: constant QP with a fixed GOP (key frames at the same frame
# indices whatever the content), a fixed B-frame pattern, and constant-bitrate MP3 audio whose
# packets all have one size; the remaining video byte difference is padded (pad_to_match).
MATCHED_PROFILE = EncodeProfile(matched=True)


def uneven_scenes(duration: float, rng: UnitRng, min_seconds: float = 0.6) -> list[Segment]:
    """2-5 consecutive scenes tiling ``[0, duration)``, no two of the same length."""
    count = 2 + rng.below(min(4, max(1, int(duration / min_seconds) - 1)))
    while True:
        cuts = sorted(round(min_seconds + rng.random() * (duration - 2 * min_seconds), 2)
                      for _ in range(count - 1))
        bounds = [0.0, *cuts, round(duration, 3)]
        lengths = [round(b - a, 2) for a, b in pairwise(bounds)]
        if min(lengths) >= min_seconds and len(set(lengths)) == len(lengths):
            return list(pairwise(bounds))


def variant_orders(count: int, rng: UnitRng) -> list[tuple[int, ...]]:
    """(original, reversed, shuffled) scene orders for ``count`` >= 2 scenes."""
    identity, backwards = tuple(range(count)), tuple(range(count - 1, -1, -1))
    if count == 2:
        return [identity, backwards, backwards]
    while True:
        order = list(identity)
        rng.shuffle(order)
        if tuple(order) not in (identity, backwards):
            return [identity, backwards, tuple(order)]


def render_variants(src: Path, scenes: Sequence[Segment], rng: UnitRng, out_dir: Path,
                    profile: EncodeProfile) -> list[StreamStats]:
    """Render and describe the original, reversed and shuffled orders of ``scenes``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, order in zip(("normal", "reversed", "shuffled"), variant_orders(len(scenes), rng),
                           strict=True):
        path = out_dir / f"{name}.mp4"
        assemble(src, [scenes[i] for i in order], path, profile=profile)
        paths.append(path)
    if profile.matched:
        from pipelines.core.video.pad import pad_to_match

        pad_to_match(paths)
    return [stream_stats(p) for p in paths]
