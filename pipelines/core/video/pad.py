"""Pad the video streams of re-ordered variants to one size (stream copy, no re-encode).

Contract of :func:`pad_to_match`: given renders of one source made with the matched profile (same
frame count, same key-frame indices), inserts into every key frame of every file an H.264 SEI
"user data unregistered" message (a fixed UUID and a run of ``x``) sized so that the video streams
end up within ``k - 1`` bytes of each other, ``k`` being the number of key frames (the SEI repeats
once per key frame, so sizes move in steps of ``k`` bytes); which file keeps the larger remainder
does not depend on its original size. Every file is padded, the largest too,
so no file stands out by having no padding. Decoders ignore such SEI messages: pixels are
unchanged. Raises InputError naming a file whose key frames differ from the first file's.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from pipelines.core.errors import InputError
from pipelines.core.video.ffmpeg_bin import atomic_output, media_arg, run
from pipelines.core.video.streams import stream_stats

PAD_UUID = "5d1b0e3a-9c1f-4f7e-8a44-0b6f2f1c7a10"
BASE_PAD = 64  # bytes per key frame added to the largest file too
_OVERHEAD = 24  # bytes an SEI message adds beyond its text (length, headers, UUID, trailing bits)


def pad_to_match(paths: Sequence[Path]) -> None:
    """Pad every file in ``paths`` in place (see module contract)."""
    stats = [stream_stats(p) for p in paths]
    keys = stats[0].keyframe_times
    for s in stats[1:]:
        if s.keyframe_times != keys or s.video_packets != stats[0].video_packets:
            raise InputError(s.path, "cannot pad: key frames or packet count differ from "
                                     f"{stats[0].path.name}")
    k = len(keys)
    sizes = [s.video_bytes for s in stats]
    # The last < k bytes cannot be padded. An offset that depends on the set of sizes (not on
    # which file is which) keeps the largest file from always landing exactly on the target,
    # which would single it out.
    target = max(sizes) + BASE_PAD * k + sum(sizes) % k
    for path, s in zip(paths, stats, strict=True):
        _pad_one(Path(path), target - s.video_bytes, k)


def _pad_one(path: Path, wanted: int, k: int) -> None:
    """Grow the video stream of ``path`` by ``wanted`` bytes, to within ``k - 1``."""
    text = max(1, wanted // k - _OVERHEAD)
    original = path.with_name(f".{path.stem}.unpadded{path.suffix}")
    os.replace(path, original)
    try:
        before = stream_stats(original).video_bytes
        for _ in range(4):
            _remux(original, path, text)
            grown = stream_stats(path).video_bytes - before
            step = (wanted - grown) // k
            if step == 0 or text + step < 1:
                break
            text += step
    finally:
        original.unlink(missing_ok=True)


def _remux(src: Path, out: Path, text: int) -> None:
    sei = f"h264_metadata=sei_user_data={PAD_UUID}+{'x' * text}"
    with atomic_output(out) as tmp:
        run(["-i", media_arg(src), "-map", "0", "-c", "copy", "-bsf:v", sei, "-fflags", "+bitexact",
             "-map_metadata", "-1", "-map_chapters", "-1", "-movflags", "+faststart", "-f", "mp4",
             "-y", media_arg(tmp)], subject=src, what="pad video stream", timeout=120)
