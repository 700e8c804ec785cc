"""Pad the video streams of re-ordered variants to one size (stream copy, no re-encode).

Contract of :func:`pad_to_match`: given renders of one source made with the matched profile (same
frame count, same key-frame indices), inserts into every key frame of every file an H.264 SEI
"user data unregistered" message (a fixed UUID and a run of ``x``) sized so that the video streams
end up within ``k - 1`` bytes of each other, ``k`` being the number of key frames (the SEI repeats
once per key frame, so sizes move in steps of ``k`` bytes); which file keeps the larger remainder
does not depend on its original size. Every file is padded, the largest too, so no file stands out
by having no padding. Decoders ignore such SEI messages: pixels are unchanged. Raises InputError
naming a file whose key frames differ from the first file's, or whose padding did not grow it by
the planned number of bytes.

Why a plan and not trial and error: an SEI message codes its payload size in ``size // 255 + 1``
bytes (``0xFF`` per whole 255, then the rest), so as the text grows by one character the message
grows by one byte, except at each multiple of 255 where it grows by two. One per-key-frame size in
every 255 cannot be made; a file that needs it would end ``k`` bytes off. :func:`plan_texts`
shifts the common target by whole steps of ``k`` (the remainders, hence the spread, stay the same)
until every file needs a size that exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pipelines.core.errors import InputError
from pipelines.core.video.ffmpeg_bin import atomic_output, media_arg, run, temp_sibling
from pipelines.core.video.streams import stream_stats

PAD_UUID = "5d1b0e3a-9c1f-4f7e-8a44-0b6f2f1c7a10"
BASE_PAD = 64  # bytes per key frame added to the largest file too
UUID_BYTES = 16
MAX_SHIFTS = 255  # one unmakeable size per 255: n < 255 files always fit within n + 1 shifts


def sei_bytes(text: int) -> int:
    """Bytes of one user-data-unregistered SEI message holding ``text`` characters: payload type
    (1), payload size (``payload // 255 + 1``), UUID, the text and its NUL terminator."""
    payload = UUID_BYTES + text + 1
    return 1 + payload // 255 + 1 + payload


def text_for(message_bytes: int) -> int | None:
    """The text length whose SEI message takes exactly ``message_bytes``, or None if none does."""
    text = max(1, message_bytes - UUID_BYTES - 3 - message_bytes // 255)
    while sei_bytes(text) < message_bytes:
        text += 1
    return text if sei_bytes(text) == message_bytes else None


def plan_texts(sizes: Sequence[int], keyframes: int, overhead: int) -> list[int]:
    """Text length per file so that video streams of ``sizes`` bytes end within ``keyframes - 1``.

    A text of ``t`` characters grows a stream by ``keyframes * sei_bytes(t) + overhead`` (the
    overhead: NAL headers and lengths, the same for every variant). The target depends on the set
    of sizes only (see module contract); ValueError if no shift of it is reachable by all files.
    """
    k = keyframes
    base = max(sizes) + BASE_PAD * k + sum(sizes) % k
    for shift in range(MAX_SHIFTS + 1):
        target = base + shift * k
        texts = [text_for((target - size - overhead) // k) for size in sizes]
        if all(t is not None for t in texts):
            return texts  # type: ignore[return-value]
    raise ValueError(f"no common padded size for {len(sizes)} streams within {MAX_SHIFTS} steps")


def pad_to_match(paths: Sequence[Path]) -> None:
    """Pad every file in ``paths`` in place (see module contract)."""
    paths = [Path(p) for p in paths]
    stats = [stream_stats(p) for p in paths]
    keys = stats[0].keyframe_times
    for s in stats[1:]:
        if s.keyframe_times != keys or s.video_packets != stats[0].video_packets:
            raise InputError(s.path, "cannot pad: key frames or packet count differ from "
                                     f"{stats[0].path.name}")
    k = len(keys)
    sizes = [s.video_bytes for s in stats]
    overhead = _measure_overhead(paths[0], sizes[0], k)
    try:
        texts = plan_texts(sizes, k, overhead)
    except ValueError as exc:
        raise InputError(paths[0], f"cannot pad: {exc}") from None
    for path, size, text in zip(paths, sizes, texts, strict=True):
        remux_padded(path, path, text)  # reads the file fully before the padded copy replaces it
        planned, got = size + k * sei_bytes(text) + overhead, stream_stats(path).video_bytes
        if got != planned:
            raise InputError(path, f"padding made a {got}-byte video stream, planned {planned}")


def _measure_overhead(path: Path, size: int, k: int) -> int:
    """Bytes a padding adds beyond its ``k`` SEI messages (one trial remux of ``path``)."""
    trial = temp_sibling(path, "padtrial")
    try:
        remux_padded(path, trial, 1)
        return stream_stats(trial).video_bytes - size - k * sei_bytes(1)
    finally:
        trial.unlink(missing_ok=True)


def remux_padded(src: Path, out: Path, text: int) -> None:
    """Copy ``src`` to ``out`` (may be ``src``) with a ``text``-character SEI in every key frame."""
    sei = f"h264_metadata=sei_user_data={PAD_UUID}+{'x' * text}"
    with atomic_output(out) as tmp:
        run(["-i", media_arg(src), "-map", "0", "-c", "copy", "-bsf:v", sei, "-fflags", "+bitexact",
             "-map_metadata", "-1", "-map_chapters", "-1", "-movflags", "+faststart", "-f", "mp4",
             "-y", media_arg(tmp)], subject=src, what="pad video stream", timeout=120)
